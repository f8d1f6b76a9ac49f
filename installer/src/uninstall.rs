//! `passerelle-install uninstall`: undoes exactly what the record says was done.

use std::path::Path;

use passerelle_installation::Installation;

use crate::error::InstallError;
use crate::{fsutil, policy, service, trust};

/// Runs `uninstall` for `record` (saved at `record_path`); the data directory only with
/// `purge`. Goes on after a failed step and reports how many failed.
pub fn run(record: Installation, record_path: &Path, purge: bool) -> Result<(), InstallError> {
    let mut failures = 0;
    let mut step = |what: &str, r: Result<(), InstallError>| match r {
        Ok(()) => println!("{what} : fait"),
        Err(e) => {
            eprintln!("{what} : échec : {e}");
            failures += 1;
        }
    };
    let mode = record.mode;
    if record.unit_file.exists() || !cfg!(target_os = "linux") {
        let _ = service::stop(mode);
        step("Service arrêté et retiré", service::uninstall(mode));
    }
    for entry in &record.trust {
        step(
            &format!("Confiance retirée : {}", trust::describe(entry)),
            trust::remove(entry),
        );
    }
    for file in &record.policy_files {
        step(
            &format!("Politique retirée : {}", file.display()),
            fsutil::remove_file(file),
        );
    }
    if !record.app_origins.is_empty() && !cfg!(target_os = "linux") {
        step("Politique retirée", policy::remove_native());
    }
    for db in record
        .created
        .iter()
        .filter(|d| d.join("cert9.db").is_file())
    {
        step(
            &format!("Base NSS créée par l'installation : {}", db.display()),
            remove_created_db(db),
        );
    }
    step(
        &format!("Fiche retirée : {}", record_path.display()),
        fsutil::remove_file(record_path),
    );
    if purge {
        step(
            &format!("Données supprimées : {}", record.data_dir.display()),
            purge_data(&record.data_dir),
        );
    }
    for path in record.created.iter().rev() {
        if path.starts_with(&record.data_dir) && !purge {
            continue;
        }
        remove_created(path, &record.data_dir);
    }
    if !purge && record.data_dir.exists() {
        println!(
            "Données conservées : {} (supprimez-les avec --purge)",
            record.data_dir.display()
        );
    }
    if failures > 0 {
        return Err(InstallError::Incomplete(failures));
    }
    println!("Désinstallation terminée.");
    Ok(())
}

/// Removes a created file, or a created directory when it is empty (what someone else put
/// in it stays, and is named).
fn remove_created(path: &Path, data_dir: &Path) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        if let Err(e) = std::fs::remove_dir(path) {
            if !path.starts_with(data_dir) && !data_dir.starts_with(path) {
                eprintln!("{} conservé : {e}", path.display());
            }
        }
    } else if let Err(e) = std::fs::remove_file(path) {
        eprintln!("{} : {e}", path.display());
    }
}

/// The files of an NSS database the installer created, when no certificate is left in it.
fn remove_created_db(db: &Path) -> Result<(), InstallError> {
    let left = trust::nss::remaining(db)?;
    if !left.is_empty() {
        println!(
            "{} conservée : elle contient d'autres certificats ({})",
            db.display(),
            left.iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return Ok(());
    }
    for f in trust::nss::DB_FILES {
        fsutil::remove_file(&db.join(f))?;
    }
    Ok(())
}

/// The data directory and, where systemd moved it (`DynamicUser=`), its real place.
fn purge_data(dir: &Path) -> Result<(), InstallError> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() {
        if let Ok(target) = dir.canonicalize() {
            std::fs::remove_dir_all(&target).map_err(InstallError::io(&target))?;
        }
        return fsutil::remove_file(dir);
    }
    std::fs::remove_dir_all(dir).map_err(InstallError::io(dir))
}
