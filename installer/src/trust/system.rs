//! The system store on Debian/Ubuntu: the authority copied to
//! [`SYSTEM_ANCHOR`], then `update-ca-certificates` (removal: delete, then
//! `update-ca-certificates --fresh`, which also drops the links it made).

use std::path::{Path, PathBuf};

use passerelle_installation::{TrustEntry, SYSTEM_ANCHOR};

use crate::cmd;
use crate::error::InstallError;
use crate::fsutil;

/// `update-ca-certificates`, with `--fresh` for a removal.
pub fn update_argv(fresh: bool) -> Vec<String> {
    let mut argv = vec!["update-ca-certificates".to_owned()];
    if fresh {
        argv.push("--fresh".to_owned());
    }
    argv
}

/// Whether this system has the Debian tool and directory.
pub fn available() -> bool {
    let dir = Path::new(SYSTEM_ANCHOR)
        .parent()
        .expect("anchor has a directory");
    dir.is_dir() && cmd::on_path("update-ca-certificates")
}

/// Trusts `ca_pem` system-wide; returns the entry.
pub fn add(ca_pem: &str, created: &mut Vec<PathBuf>) -> Result<TrustEntry, InstallError> {
    let anchor = PathBuf::from(SYSTEM_ANCHOR);
    // A renewed authority replaces the anchor: rebuild from scratch so no link of the
    // previous one's hash is left.
    let replaced = std::fs::read_to_string(&anchor).is_ok_and(|old| old != ca_pem);
    fsutil::write_file(&anchor, ca_pem.as_bytes(), 0o644, created)?;
    cmd::run(&update_argv(replaced))?;
    Ok(TrustEntry::System { anchor })
}

/// Removes the anchor and rebuilds the store.
pub fn remove(anchor: &Path) -> Result<(), InstallError> {
    fsutil::remove_file(anchor)?;
    cmd::run(&update_argv(true)).map(drop)
}

/// Whether the anchor is there (and, given the current authority, is it).
pub fn present(anchor: &Path, ca_pem: Option<&str>) -> bool {
    match std::fs::read_to_string(anchor) {
        Ok(text) => ca_pem.is_none_or(|pem| pem == text),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_command_lines() {
        assert_eq!(update_argv(false), ["update-ca-certificates"]);
        assert_eq!(update_argv(true), ["update-ca-certificates", "--fresh"]);
    }
}
