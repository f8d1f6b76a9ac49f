//! `passerelle-install install`: every step, each recorded in the [`Installation`] record
//! as it is done, so even a failed install can be undone by `uninstall`.

use std::path::{Path, PathBuf};

use passerelle_installation::tls::{Ensured, TlsFiles};
use passerelle_installation::{
    ca_fingerprint, ca_nickname, Installation, ServiceMode, TrustEntry, RECORD_FORMAT,
};
use passerelle_protocol::security::is_pairable_origin as is_pairable;

use crate::cli::InstallArgs;
use crate::error::InstallError;
use crate::{config, fsutil, policy, polkit, program, service, trust, unit};

/// Runs `install`.
pub fn run(args: InstallArgs) -> Result<(), InstallError> {
    let mode: ServiceMode = args.mode.into();
    let places = mode.places()?;
    let program = program::resolve(args.program.as_deref(), mode)?;
    for origin in &args.app_origins {
        if !is_pairable(origin) {
            return Err(InstallError::BadOrigin(origin.clone()));
        }
    }
    let previous = Installation::load(&places.record)?;
    let mut origins = if args.app_origins.is_empty() {
        previous
            .as_ref()
            .map(|p| p.app_origins.clone())
            .unwrap_or_default()
    } else {
        args.app_origins.clone()
    };
    origins.dedup();
    let homes = program::browser_homes(&args.browser_homes, mode);

    let mut record = Installation {
        format: RECORD_FORMAT,
        mode,
        installed_at: now(),
        program: program.clone(),
        config_file: places.config_file.clone(),
        data_dir: places.data_dir.clone(),
        unit_file: places.unit_file.clone(),
        ca_fingerprint: String::new(),
        app_origins: origins,
        // The previous entries stay recorded until they are removed, so a failed install
        // can still be undone.
        trust: previous
            .as_ref()
            .map(|p| p.trust.clone())
            .unwrap_or_default(),
        policy_files: Vec::new(),
        created: previous
            .as_ref()
            .map(|p| p.created.clone())
            .unwrap_or_default(),
    };
    let result = steps(&mut record, previous.as_ref(), &homes, args.no_start);
    let record_dir = places
        .record
        .parent()
        .expect("the record is in a directory");
    if record_dir.is_dir() {
        record.save(&places.record)?;
    }
    match result {
        Ok(()) => {
            println!("Fiche d'installation : {}", places.record.display());
            println!("Installation terminée.");
            Ok(())
        }
        Err(e) => {
            eprintln!(
                "Installation incomplète ; `passerelle-install uninstall` défait ce qui a été fait."
            );
            Err(e)
        }
    }
}

fn steps(
    record: &mut Installation,
    previous: Option<&Installation>,
    homes: &[PathBuf],
    no_start: bool,
) -> Result<(), InstallError> {
    let mode = record.mode;
    let config_dir = record.config_file.parent().expect("config in a directory");
    fsutil::create_dir(config_dir, &mut record.created)?;
    fsutil::create_dir(&record.data_dir, &mut record.created)?;

    // The authority and the daemon's certificate: made (or renewed) by the daemon's own
    // code, whose authority key is never written.
    let tls = TlsFiles::in_dir(&record.data_dir);
    if tls.ensure()? == Ensured::NewAuthority {
        println!(
            "Autorité locale et certificat du démon créés dans {}",
            tls.ca.parent().unwrap_or(&tls.ca).display()
        );
    }
    let ca_pem = std::fs::read_to_string(&tls.ca).map_err(InstallError::io(&tls.ca))?;
    let fingerprint = ca_fingerprint(&ca_pem).ok_or_else(|| InstallError::Config {
        path: tls.ca.clone(),
        message: "certificat d'autorité illisible".into(),
    })?;
    record.ca_fingerprint = fingerprint.clone();
    println!("Autorité locale : empreinte SHA-256 {fingerprint}");

    write_config(record)?;

    trust_current(record, &ca_pem, &tls.ca, homes)?;

    // The Local Network Access policy.
    if !record.app_origins.is_empty() {
        record.policy_files = policy::write(&record.app_origins, &mut record.created)?;
        for f in &record.policy_files {
            println!("Politique Chrome/Chromium écrite : {}", f.display());
        }
        native_policy(&record.app_origins)?;
    }
    if let Some(prev) = previous {
        for old in prev
            .policy_files
            .iter()
            .filter(|f| !record.policy_files.contains(f))
        {
            fsutil::remove_file(old)?;
        }
    }

    // pcscd's polkit rule for the system service's user (inert where pcscd has no polkit).
    if mode == ServiceMode::System && cfg!(target_os = "linux") {
        if let Some(rule) = polkit::write(&mut record.created)? {
            println!("Règle polkit pour pcscd écrite : {}", rule.display());
        }
    }

    // The service.
    let unit_dir = record.unit_file.parent().expect("unit in a directory");
    if cfg!(target_os = "linux") {
        fsutil::create_dir(unit_dir, &mut record.created)?;
    }
    let unit_existed = record.unit_file.exists();
    let text = match mode {
        ServiceMode::System => unit::system_unit(&record.program, &record.config_file),
        ServiceMode::User => unit::user_unit(&record.program, &record.config_file),
    };
    service::install(mode, &record.program, &record.config_file, text)?;
    if cfg!(target_os = "linux") {
        if !record.unit_file.is_file() {
            return Err(InstallError::Service(format!(
                "l'unité attendue {} n'a pas été écrite",
                record.unit_file.display()
            )));
        }
        if !unit_existed {
            fsutil::record(&mut record.created, &record.unit_file);
        }
        println!("Service installé : {}", record.unit_file.display());
    }
    if !no_start {
        if previous.is_some() {
            // Restart so the daemon serves the current certificate.
            let _ = service::stop(mode);
        }
        service::start(mode)?;
        println!("Service démarré.");
    }
    Ok(())
}

/// Trusts the current authority in every store, each entry recorded as soon as it is
/// added; then removes the entries that trusted a previous authority (or a home no longer
/// chosen).
fn trust_current(
    record: &mut Installation,
    ca_pem: &str,
    ca: &Path,
    homes: &[PathBuf],
) -> Result<(), InstallError> {
    let stale: Vec<TrustEntry> = std::mem::take(&mut record.trust);
    record.trust = stale.clone();
    let mut current = Vec::new();
    if record.mode == ServiceMode::System {
        if trust::system::available() {
            let entry = trust::system::add(ca_pem, &mut record.created)?;
            added(record, &mut current, entry);
        } else {
            println!("Magasin du système non géré ici (update-ca-certificates absent) : ignoré.");
        }
    }
    let nickname = ca_nickname(&record.ca_fingerprint);
    for home in homes {
        let mut entries = Vec::new();
        let result =
            trust::nss::add_in_home(home, ca, &nickname, &mut record.created, &mut entries);
        for entry in entries {
            added(record, &mut current, entry);
        }
        result?;
    }
    for entry in native_trust(ca, ca_pem)? {
        added(record, &mut current, entry);
    }
    for old in stale.iter().filter(|e| !current.contains(e)) {
        trust::remove(old)?;
        record.trust.retain(|e| e != old);
        println!("Ancienne confiance retirée : {}", trust::describe(old));
    }
    Ok(())
}

fn added(record: &mut Installation, current: &mut Vec<TrustEntry>, entry: TrustEntry) {
    println!("Confiance ajoutée : {}", trust::describe(&entry));
    if !record.trust.contains(&entry) {
        record.trust.push(entry.clone());
    }
    current.push(entry);
}

fn write_config(record: &mut Installation) -> Result<(), InstallError> {
    let path = record.config_file.clone();
    let existing = match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(InstallError::io(&path)(e)),
    };
    let keys = config::OwnedKeys {
        data_dir: record.data_dir.clone(),
        journald: (record.mode == ServiceMode::System).then_some(true),
        app_origins: record.app_origins.clone(),
    };
    let text = config::edit(existing.as_deref(), &keys, &path)?;
    if existing.as_deref() != Some(text.as_str()) {
        fsutil::write_file(&path, text.as_bytes(), 0o644, &mut record.created)?;
        println!("Configuration écrite : {}", path.display());
    }
    Ok(())
}

/// The macOS keychain or the Windows Root store (nothing on Linux).
#[allow(unused_variables)]
fn native_trust(ca: &Path, ca_pem: &str) -> Result<Vec<TrustEntry>, InstallError> {
    #[allow(unused_mut)]
    let mut entries = Vec::new();
    #[cfg(any(target_os = "macos", windows))]
    {
        let sha1 = trust::sha1_hex(ca_pem).unwrap_or_default();
        #[cfg(target_os = "macos")]
        entries.push(trust::macos::add(ca, &sha1)?);
        #[cfg(windows)]
        entries.push(trust::windows::add(ca, &sha1)?);
    }
    Ok(entries)
}

/// The policy on macOS and Windows (nothing on Linux, where it is a file).
#[allow(unused_variables)]
fn native_policy(origins: &[String]) -> Result<(), InstallError> {
    #[cfg(target_os = "macos")]
    crate::cmd::run(&policy::macos_argv(origins))?;
    #[cfg(windows)]
    for argv in policy::windows_argv(origins) {
        crate::cmd::run(&argv)?;
    }
    Ok(())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
