//! The grants file: approved applications, persisted so they survive a restart.
//!
//! `{data_dir}/grants.json`, 0600, rewritten whole on every change with an atomic write
//! (temporary file, fsync, rename, fsync of the directory). Tokens are stored as their
//! SHA-256 only.
//!
//! Version 2: a local program's identity is an OS account string (`"os_user": "uid=1000"`).
//! Version 1 files (a numeric `"uid"`) are read and rewritten as version 2 on the next save.

use std::path::{Path, PathBuf};

use passerelle_protocol::Grant;
use serde::{Deserialize, Serialize};

/// The version this daemon writes.
const VERSION: u32 = 2;

/// File name of the grants inside the data directory.
pub const FILE_NAME: &str = "grants.json";

/// A grant as stored: the wire [`Grant`] plus the token's hash and expiry in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredGrant {
    /// What clients see.
    pub grant: Grant,
    /// Hex SHA-256 of the token.
    pub token_sha256: String,
    /// Expiry, seconds since the Unix epoch.
    pub expires_unix: i64,
}

#[derive(Serialize, Deserialize, Default)]
struct FileFormat {
    version: u32,
    grants: Vec<StoredGrant>,
}

/// Reads and writes the grants file.
#[derive(Debug, Clone)]
pub struct GrantFile {
    path: PathBuf,
}

impl GrantFile {
    /// The grants file at `path` (not read yet).
    pub fn new(path: &Path) -> GrantFile {
        GrantFile {
            path: path.to_owned(),
        }
    }

    /// Loads the grants; a missing file is no grants.
    pub fn load(&self) -> std::io::Result<Vec<StoredGrant>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let invalid = |e: serde_json::Error| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{} : {e}", self.path.display()),
                    )
                };
                let mut value: serde_json::Value =
                    serde_json::from_slice(&bytes).map_err(invalid)?;
                upgrade_v1(&mut value);
                let file: FileFormat = serde_json::from_value(value).map_err(invalid)?;
                Ok(file.grants)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Replaces the file with `grants`, atomically.
    pub fn save(&self, grants: &[StoredGrant]) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(&FileFormat {
            version: VERSION,
            grants: grants.to_vec(),
        })
        .map_err(std::io::Error::other)?;
        passerelle_installation::files::write_atomic(&self.path, &json, 0o600)?;
        Ok(())
    }
}

/// Version 1 → 2: `{"kind": "local", "uid": 1000}` becomes `{"kind": "local", "os_user": "uid=1000"}`.
fn upgrade_v1(file: &mut serde_json::Value) {
    let Some(grants) = file.get_mut("grants").and_then(|g| g.as_array_mut()) else {
        return;
    };
    for stored in grants {
        let Some(client) = stored
            .pointer_mut("/grant/client")
            .and_then(|c| c.as_object_mut())
        else {
            continue;
        };
        if let Some(uid) = client.remove("uid").and_then(|u| u.as_u64()) {
            client.insert("os_user".into(), serde_json::json!(format!("uid={uid}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_protocol::{ClientIdentity, OsUser, Scope};
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn round_trip_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = GrantFile::new(&dir.path().join(FILE_NAME));
        assert!(file.load().unwrap().is_empty());
        let g = StoredGrant {
            grant: Grant {
                id: "ab".into(),
                client: ClientIdentity::Local {
                    os_user: OsUser::unix(1),
                },
                app_name: "x".into(),
                scopes: vec![Scope::Admin],
                created_at: "t".into(),
                expires_at: "t".into(),
            },
            token_sha256: "00".into(),
            expires_unix: 5,
        };
        file.save(std::slice::from_ref(&g)).unwrap();
        file.save(std::slice::from_ref(&g)).unwrap();
        assert_eq!(file.load().unwrap(), vec![g]);
        let mode = std::fs::metadata(dir.path().join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn version_1_local_grants_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let v1 = r#"{"version": 1, "grants": [{"grant": {"id": "ab",
            "client": {"kind": "local", "uid": 1000}, "app_name": "x", "scopes": ["admin"],
            "created_at": "t", "expires_at": "t"}, "token_sha256": "00", "expires_unix": 5}]}"#;
        std::fs::write(&path, v1).unwrap();
        let grants = GrantFile::new(&path).load().unwrap();
        assert_eq!(
            grants[0].grant.client,
            ClientIdentity::Local {
                os_user: OsUser::unix(1000)
            }
        );
    }
}
