//! The macOS system keychain: `security add-trusted-cert -d -r trustRoot -k KEYCHAIN CA`,
//! removal by SHA-1. The command lines are built (and unit-tested) everywhere; they run
//! only on macOS (not tested on a Mac).

use std::path::Path;

use crate::error::InstallError;

/// The system keychain.
pub const SYSTEM_KEYCHAIN: &str = "/Library/Keychains/System.keychain";

/// Adds the authority as a trusted root for every user.
pub fn add_argv(keychain: &Path, ca: &Path) -> Vec<String> {
    [
        "security",
        "add-trusted-cert",
        "-d",
        "-r",
        "trustRoot",
        "-k",
        &keychain.to_string_lossy(),
        &ca.to_string_lossy(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Deletes the certificate (and its trust settings) named by its SHA-1.
pub fn remove_argv(keychain: &Path, sha1: &str) -> Vec<String> {
    [
        "security",
        "delete-certificate",
        "-Z",
        sha1,
        &keychain.to_string_lossy(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Lists Passerelle's certificates of the keychain with their SHA-1 (`SHA-1 hash: ...`).
pub fn find_argv(keychain: &Path) -> Vec<String> {
    [
        "security",
        "find-certificate",
        "-Z",
        "-a",
        "-c",
        "Passerelle",
        &keychain.to_string_lossy(),
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Adds the authority (macOS only).
#[cfg(target_os = "macos")]
pub fn add(ca: &Path, sha1: &str) -> Result<passerelle_installation::TrustEntry, InstallError> {
    let keychain = Path::new(SYSTEM_KEYCHAIN);
    crate::cmd::run(&add_argv(keychain, ca))?;
    Ok(passerelle_installation::TrustEntry::MacosKeychain {
        keychain: keychain.to_owned(),
        sha1: sha1.to_owned(),
    })
}

/// Removes the certificate (macOS only; elsewhere there is nothing to remove).
pub fn remove(keychain: &Path, sha1: &str) -> Result<(), InstallError> {
    if cfg!(target_os = "macos") {
        crate::cmd::run(&remove_argv(keychain, sha1)).map(drop)
    } else {
        Ok(())
    }
}

/// Whether the certificate is in the system keychain; `None` off macOS.
pub fn present(sha1: &str) -> Result<Option<bool>, InstallError> {
    if !cfg!(target_os = "macos") {
        return Ok(None);
    }
    let out = crate::cmd::run(&find_argv(Path::new(SYSTEM_KEYCHAIN)))?;
    Ok(Some(out.to_uppercase().contains(&sha1.to_uppercase())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keychain_command_lines() {
        let k = Path::new(SYSTEM_KEYCHAIN);
        assert_eq!(
            add_argv(k, Path::new("/var/lib/passerelle/tls/ca.pem")),
            [
                "security",
                "add-trusted-cert",
                "-d",
                "-r",
                "trustRoot",
                "-k",
                "/Library/Keychains/System.keychain",
                "/var/lib/passerelle/tls/ca.pem"
            ]
        );
        assert_eq!(
            remove_argv(k, "AB12"),
            [
                "security",
                "delete-certificate",
                "-Z",
                "AB12",
                "/Library/Keychains/System.keychain"
            ]
        );
        assert_eq!(
            find_argv(k),
            [
                "security",
                "find-certificate",
                "-Z",
                "-a",
                "-c",
                "Passerelle",
                "/Library/Keychains/System.keychain"
            ]
        );
    }
}
