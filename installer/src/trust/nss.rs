//! NSS certificate databases (Chromium's `~/.pki/nssdb`, each Firefox profile), through
//! `certutil` from libnss3-tools: `-A -t "C,," -n NICKNAME -i ca.pem`.

use std::path::{Path, PathBuf};

use passerelle_installation::{nss_stores, TrustEntry};

use crate::cmd;
use crate::error::InstallError;
use crate::fsutil;

/// The files `certutil -N` makes in a new database.
pub const DB_FILES: [&str; 3] = ["cert9.db", "key4.db", "pkcs11.txt"];

fn sql(db: &Path) -> String {
    format!("sql:{}", db.display())
}

/// Creates an empty database without a password.
pub fn create_argv(db: &Path) -> Vec<String> {
    vec![
        "certutil".into(),
        "-N".into(),
        "-d".into(),
        sql(db),
        "--empty-password".into(),
    ]
}

/// Adds `ca` as a trusted authority for web sites under `nickname`.
pub fn add_argv(db: &Path, nickname: &str, ca: &Path) -> Vec<String> {
    vec![
        "certutil".into(),
        "-A".into(),
        "-d".into(),
        sql(db),
        "-t".into(),
        "C,,".into(),
        "-n".into(),
        nickname.into(),
        "-i".into(),
        ca.to_string_lossy().into_owned(),
    ]
}

/// Deletes the certificate `nickname`.
pub fn delete_argv(db: &Path, nickname: &str) -> Vec<String> {
    vec![
        "certutil".into(),
        "-D".into(),
        "-d".into(),
        sql(db),
        "-n".into(),
        nickname.into(),
    ]
}

/// Lists the database (with `nickname`: that certificate only; fails when absent).
pub fn list_argv(db: &Path, nickname: Option<&str>) -> Vec<String> {
    let mut argv = vec!["certutil".into(), "-L".into(), "-d".into(), sql(db)];
    if let Some(n) = nickname {
        argv.extend(["-n".into(), n.into()]);
    }
    argv
}

/// The (nickname, trust) pairs of a `certutil -L` listing (shared with `passerelle doctor`).
pub use passerelle_installation::parse_certutil_list as parse_list;

/// Trusts `ca` in every NSS database of `home` (creating Chromium's when absent, its
/// directories recorded in `created`), pushing each entry to `entries` as soon as it is added;
/// files made in the home are given to its owner.
pub fn add_in_home(
    home: &Path,
    ca: &Path,
    nickname: &str,
    created: &mut Vec<PathBuf>,
    entries: &mut Vec<TrustEntry>,
) -> Result<(), InstallError> {
    for store in nss_stores(home) {
        // Directories made are recorded at once; the database files are not (uninstall
        // deletes them only when no other certificate was added to the database).
        let mut made = Vec::new();
        if !store.db.join("cert9.db").is_file() {
            let result = fsutil::create_dir(&store.db, &mut made);
            for dir in &made {
                fsutil::record(created, dir);
            }
            result?;
            cmd::run(&create_argv(&store.db))?;
            made.extend(
                DB_FILES
                    .iter()
                    .map(|f| store.db.join(f))
                    .filter(|f| f.exists()),
            );
        }
        cmd::run(&add_argv(&store.db, nickname, ca))?;
        fsutil::give_to_owner_of(home, &made)?;
        entries.push(TrustEntry::Nss {
            browser: store.browser,
            db: store.db,
            nickname: nickname.to_owned(),
        });
    }
    Ok(())
}

/// Whether `nickname` is in the database.
pub fn present(db: &Path, nickname: &str) -> Result<bool, InstallError> {
    if !db.join("cert9.db").is_file() {
        return Ok(false);
    }
    cmd::succeeds(&list_argv(db, Some(nickname)))
}

/// Deletes `nickname` from the database (nothing to do when it or the database is gone).
pub fn remove(db: &Path, nickname: &str) -> Result<(), InstallError> {
    if present(db, nickname)? {
        cmd::run(&delete_argv(db, nickname))?;
    }
    Ok(())
}

/// The certificates left in the database.
pub fn remaining(db: &Path) -> Result<Vec<(String, String)>, InstallError> {
    if !db.join("cert9.db").is_file() {
        return Ok(Vec::new());
    }
    Ok(parse_list(&cmd::run(&list_argv(db, None))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certutil_command_lines() {
        let db = Path::new("/home/a/.pki/nssdb");
        assert_eq!(
            create_argv(db),
            [
                "certutil",
                "-N",
                "-d",
                "sql:/home/a/.pki/nssdb",
                "--empty-password"
            ]
        );
        assert_eq!(
            add_argv(
                db,
                "Passerelle autorite locale 0123",
                Path::new("/d/tls/ca.pem")
            ),
            [
                "certutil",
                "-A",
                "-d",
                "sql:/home/a/.pki/nssdb",
                "-t",
                "C,,",
                "-n",
                "Passerelle autorite locale 0123",
                "-i",
                "/d/tls/ca.pem"
            ]
        );
        assert_eq!(
            delete_argv(db, "N"),
            ["certutil", "-D", "-d", "sql:/home/a/.pki/nssdb", "-n", "N"]
        );
        assert_eq!(
            list_argv(db, Some("N")),
            ["certutil", "-L", "-d", "sql:/home/a/.pki/nssdb", "-n", "N"]
        );
    }

    #[test]
    fn listing_is_parsed_into_nicknames_and_trust() {
        let listing = "\nCertificate Nickname                                         Trust Attributes\n\
                       \x20                                                            SSL,S/MIME,JAR/XPI\n\n\
                       Passerelle autorite locale 0123456789abcdef                  C,,  \n\
                       Other CA                                                     CT,C,C\n";
        assert_eq!(
            parse_list(listing),
            [
                (
                    "Passerelle autorite locale 0123456789abcdef".to_owned(),
                    "C,,".to_owned()
                ),
                ("Other CA".to_owned(), "CT,C,C".to_owned())
            ]
        );
        assert!(
            parse_list("\nCertificate Nickname  Trust Attributes\n  SSL,S/MIME,JAR/XPI\n\n")
                .is_empty()
        );
    }
}
