//! Where an installed Passerelle lives, and the record the installer keeps of what it did.
//!
//! `passerelle-install` (the `installer/` crate) writes these places and the
//! [`Installation`] record; `passerelle doctor` reads them. Both take every well-known path
//! from here so they cannot disagree. Two modes:
//!
//! | | system (headless workstation) | user (desktop session) |
//! |---|---|---|
//! | unit | `/etc/systemd/system/passerelle.service` | `~/.config/systemd/user/passerelle.service` |
//! | config | `/etc/passerelle/config.toml` | `~/.config/passerelle/config.toml` |
//! | data (store, TLS) | `/var/lib/passerelle` | `~/.local/share/passerelle` |
//! | record | `/etc/passerelle/installation.json` | `~/.config/passerelle/installation.json` |
//!
//! The user paths follow the XDG variables, as the daemon's own defaults do.
//!
//! Beside the places: [`config`] (the configuration file both read), [`tls`] (the local
//! certificate authority and the daemon's certificates) and [`files`] (the one atomic file
//! write). This crate is what the installer and the daemon share; it knows nothing of
//! cards, billing or HTTP.

#![forbid(unsafe_code)]

pub mod config;
pub mod files;
pub mod tls;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the service (systemd unit `passerelle.service`).
pub const SERVICE_NAME: &str = "passerelle";
/// The service manager's label: unit `passerelle.service` (no organisation prefix).
pub fn service_label() -> service_manager::ServiceLabel {
    service_manager::ServiceLabel {
        qualifier: None,
        organization: None,
        application: SERVICE_NAME.into(),
    }
}

/// Debian's directory of locally added authorities (then `update-ca-certificates`).
pub const SYSTEM_ANCHOR: &str = "/usr/local/share/ca-certificates/passerelle-local-ca.crt";
/// Debian's bundle of trusted authorities, rebuilt by `update-ca-certificates`.
pub const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
/// Managed policy directories of Chromium (Debian) and Google Chrome on Linux.
pub const POLICY_DIRS: [&str; 2] = [
    "/etc/chromium/policies/managed",
    "/etc/opt/chrome/policies/managed",
];
/// Name of our policy file in each of [`POLICY_DIRS`].
pub const POLICY_FILE: &str = "passerelle.json";
/// The Chrome policy that lets listed public origins call loopback (Local Network Access).
pub const LNA_POLICY: &str = "LoopbackNetworkAllowedForUrls";
/// Version of the [`Installation`] record format.
pub const RECORD_FORMAT: u32 = 1;

/// How the service is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceMode {
    /// A systemd system unit with a dedicated user (headless workstation).
    System,
    /// A systemd user unit in the desktop session.
    User,
}

/// The files and directories of one mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Places {
    /// The daemon's configuration file.
    pub config_file: PathBuf,
    /// The daemon's data directory (store, audit, `tls/`).
    pub data_dir: PathBuf,
    /// The installer's [`Installation`] record.
    pub record: PathBuf,
    /// The systemd unit file.
    pub unit_file: PathBuf,
}

/// Failures reading or writing the installation record, or finding the user's directories.
#[derive(Debug, thiserror::Error)]
pub enum InstallationError {
    /// No home directory to put the user's files in.
    #[error("dossier personnel introuvable (HOME n'est pas défini)")]
    NoHome,
    /// Reading or writing a file failed.
    #[error("{path} : {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The record is not one we wrote.
    #[error("{path} : fiche d'installation illisible ({reason})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl ServiceMode {
    /// Where this mode's files are.
    pub fn places(self) -> Result<Places, InstallationError> {
        match self {
            ServiceMode::System => {
                let etc = Path::new("/etc").join(SERVICE_NAME);
                Ok(Places {
                    config_file: etc.join("config.toml"),
                    data_dir: Path::new("/var/lib").join(SERVICE_NAME),
                    record: etc.join("installation.json"),
                    unit_file: PathBuf::from(format!("/etc/systemd/system/{SERVICE_NAME}.service")),
                })
            }
            ServiceMode::User => {
                let base = directories::BaseDirs::new().ok_or(InstallationError::NoHome)?;
                let config = base.config_dir().join(SERVICE_NAME);
                Ok(Places {
                    config_file: config.join("config.toml"),
                    data_dir: base.data_dir().join(SERVICE_NAME),
                    record: config.join("installation.json"),
                    unit_file: base
                        .config_dir()
                        .join("systemd/user")
                        .join(format!("{SERVICE_NAME}.service")),
                })
            }
        }
    }
}

/// One trust entry the installer added, to check and to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "store", rename_all = "snake_case")]
pub enum TrustEntry {
    /// The system store: a file in `/usr/local/share/ca-certificates` (Debian).
    System {
        /// The anchor file written.
        anchor: PathBuf,
    },
    /// An NSS database (Chromium's `~/.pki/nssdb`, a Firefox profile).
    Nss {
        /// Which browser and profile, for people.
        browser: String,
        /// The database directory (used as `sql:{db}`).
        db: PathBuf,
        /// The certificate's nickname in it.
        nickname: String,
    },
    /// The macOS system keychain.
    MacosKeychain {
        /// The keychain file.
        keychain: PathBuf,
        /// The certificate's SHA-1 (how `security delete-certificate -Z` names it).
        sha1: String,
    },
    /// The Windows machine `Root` store.
    WindowsRoot {
        /// The certificate's SHA-1 thumbprint (how `certutil -delstore` names it).
        thumbprint: String,
    },
}

/// An NSS certificate database of one browser profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NssStore {
    /// Which browser and profile, for people ("chromium", "firefox:abcd.default").
    pub browser: String,
    /// The database directory.
    pub db: PathBuf,
}

/// The NSS databases of `home`: Chromium's (`~/.pki/nssdb`, listed even if absent: the
/// installer creates it) and every Firefox profile that has a `cert9.db`.
pub fn nss_stores(home: &Path) -> Vec<NssStore> {
    let mut stores = vec![NssStore {
        browser: "chromium".into(),
        db: home.join(".pki/nssdb"),
    }];
    let firefox = home.join(".mozilla/firefox");
    let mut profiles: Vec<PathBuf> = std::fs::read_dir(&firefox)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("cert9.db").is_file())
        .collect();
    profiles.sort();
    for profile in profiles {
        let name = profile
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        stores.push(NssStore {
            browser: format!("firefox:{name}"),
            db: profile,
        });
    }
    stores
}

/// The SHA-256 fingerprint (lowercase hex) of the first certificate of a PEM text.
pub fn ca_fingerprint(pem: &str) -> Option<String> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).ok()?;
    Some(hex::encode(Sha256::digest(der.as_ref())))
}

/// The nickname of the authority in an NSS database: names the install by its fingerprint,
/// so a renewed authority gets its own entry and the old one can be removed.
pub fn ca_nickname(fingerprint: &str) -> String {
    let short = fingerprint.get(..16).unwrap_or(fingerprint);
    format!("Passerelle autorite locale {short}")
}

/// The (nickname, trust) pairs of a `certutil -L` listing.
pub fn parse_certutil_list(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .skip_while(|l| !l.contains("SSL,S/MIME,JAR/XPI"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let l = l.trim_end();
            let (name, trust) = l.rsplit_once(char::is_whitespace)?;
            Some((name.trim_end().to_owned(), trust.to_owned()))
        })
        .collect()
}

/// What one `passerelle-install install` did; `uninstall` undoes exactly this.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    /// [`RECORD_FORMAT`].
    pub format: u32,
    /// System or user service.
    pub mode: ServiceMode,
    /// When (RFC 3339).
    pub installed_at: String,
    /// The `passerelle` binary the unit runs.
    pub program: PathBuf,
    /// The configuration file written.
    pub config_file: PathBuf,
    /// The daemon's data directory.
    pub data_dir: PathBuf,
    /// The unit file written.
    pub unit_file: PathBuf,
    /// Fingerprint of the authority trusted ([`ca_fingerprint`]).
    pub ca_fingerprint: String,
    /// The browser application origins of the LNA policy.
    pub app_origins: Vec<String>,
    /// Trust entries added.
    pub trust: Vec<TrustEntry>,
    /// Policy files written.
    pub policy_files: Vec<PathBuf>,
    /// Files and directories the install created that were not there before, in creation
    /// order (uninstall removes them in reverse; the data directory only on request).
    pub created: Vec<PathBuf>,
}

impl Installation {
    /// Reads the record at `path`; `None` when there is none.
    pub fn load(path: &Path) -> Result<Option<Installation>, InstallationError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(InstallationError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        let record: Installation =
            serde_json::from_str(&text).map_err(|e| InstallationError::Corrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if record.format != RECORD_FORMAT {
            return Err(InstallationError::Corrupt {
                path: path.to_owned(),
                reason: format!("format {} inconnu", record.format),
            });
        }
        Ok(Some(record))
    }

    /// Writes the record at `path` (atomically, readable by all: `doctor` reads it).
    pub fn save(&self, path: &Path) -> Result<(), InstallationError> {
        let io = |source| InstallationError::Io {
            path: path.to_owned(),
            source,
        };
        let text = serde_json::to_string_pretty(self).expect("the record serialises") + "\n";
        crate::files::write_atomic(path, text.as_bytes(), 0o644).map_err(io)
    }

    /// The record of whichever mode is installed, system first.
    pub fn find() -> Result<Option<Installation>, InstallationError> {
        for mode in [ServiceMode::System, ServiceMode::User] {
            let places = match mode.places() {
                Ok(p) => p,
                Err(InstallationError::NoHome) => continue,
                Err(e) => return Err(e),
            };
            if let Some(record) = Installation::load(&places.record)? {
                return Ok(Some(record));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(dir: &Path) -> Installation {
        Installation {
            format: RECORD_FORMAT,
            mode: ServiceMode::User,
            installed_at: "2026-11-23T12:00:00Z".into(),
            program: "/usr/local/bin/passerelle".into(),
            config_file: dir.join("config.toml"),
            data_dir: dir.join("data"),
            unit_file: dir.join("passerelle.service"),
            ca_fingerprint: "ab".repeat(32),
            app_origins: vec!["https://app.example".into()],
            trust: vec![
                TrustEntry::System {
                    anchor: SYSTEM_ANCHOR.into(),
                },
                TrustEntry::Nss {
                    browser: "chromium".into(),
                    db: dir.join(".pki/nssdb"),
                    nickname: ca_nickname(&"ab".repeat(32)),
                },
            ],
            policy_files: vec![Path::new(POLICY_DIRS[0]).join(POLICY_FILE)],
            created: vec![dir.join("data")],
        }
    }

    #[test]
    fn record_round_trips_and_absent_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("installation.json");
        assert_eq!(Installation::load(&path).unwrap(), None);
        let r = record(dir.path());
        r.save(&path).unwrap();
        assert_eq!(Installation::load(&path).unwrap(), Some(r));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"store\": \"nss\""), "{text}");
    }

    #[test]
    fn a_foreign_record_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("installation.json");
        let mut r = record(dir.path());
        r.format = 99;
        r.save(&path).unwrap();
        let err = Installation::load(&path).unwrap_err().to_string();
        assert!(err.contains("format 99"), "{err}");
        std::fs::write(&path, "{").unwrap();
        let err = Installation::load(&path).unwrap_err().to_string();
        assert!(err.contains("illisible"), "{err}");
    }

    #[test]
    fn nss_stores_lists_chromium_and_firefox_profiles_with_a_database() {
        let home = tempfile::tempdir().unwrap();
        let ff = home.path().join(".mozilla/firefox");
        std::fs::create_dir_all(ff.join("b.default-release")).unwrap();
        std::fs::write(ff.join("b.default-release/cert9.db"), b"").unwrap();
        std::fs::create_dir_all(ff.join("a.empty")).unwrap();
        let stores = nss_stores(home.path());
        let names: Vec<&str> = stores.iter().map(|s| s.browser.as_str()).collect();
        assert_eq!(names, ["chromium", "firefox:b.default-release"]);
        assert_eq!(stores[0].db, home.path().join(".pki/nssdb"));
    }

    #[test]
    fn fingerprint_and_nickname_name_the_authority() {
        let dir = tempfile::tempdir().unwrap();
        let files = crate::tls::TlsFiles::in_dir(dir.path());
        files.ensure().unwrap();
        let pem = std::fs::read_to_string(&files.ca).unwrap();
        let fp = ca_fingerprint(&pem).unwrap();
        assert_eq!(fp.len(), 64);
        assert_eq!(
            ca_nickname(&fp),
            format!("Passerelle autorite locale {}", &fp[..16])
        );
        assert_eq!(ca_fingerprint("not a certificate"), None);
    }
}
