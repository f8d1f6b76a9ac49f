//! The Windows machine `Root` store: `certutil -addstore -f Root CA`, removal
//! `certutil -delstore Root THUMBPRINT`. The command lines are built (and unit-tested)
//! everywhere; they run only on Windows (not tested on Windows).

use std::path::Path;

use crate::error::InstallError;

/// Adds the authority to the machine's trusted roots.
pub fn add_argv(ca: &Path) -> Vec<String> {
    ["certutil", "-addstore", "-f", "Root", &ca.to_string_lossy()]
        .map(str::to_owned)
        .to_vec()
}

/// Deletes the certificate named by its SHA-1 thumbprint.
pub fn remove_argv(thumbprint: &str) -> Vec<String> {
    ["certutil", "-delstore", "Root", thumbprint]
        .map(str::to_owned)
        .to_vec()
}

/// Shows the certificate (exit status 0 when it is there).
pub fn find_argv(thumbprint: &str) -> Vec<String> {
    ["certutil", "-store", "Root", thumbprint]
        .map(str::to_owned)
        .to_vec()
}

/// Adds the authority (Windows only).
#[cfg(windows)]
pub fn add(ca: &Path, sha1: &str) -> Result<passerelle_installation::TrustEntry, InstallError> {
    crate::cmd::run(&add_argv(ca))?;
    Ok(passerelle_installation::TrustEntry::WindowsRoot {
        thumbprint: sha1.to_owned(),
    })
}

/// Removes the certificate (Windows only; elsewhere there is nothing to remove).
pub fn remove(thumbprint: &str) -> Result<(), InstallError> {
    if cfg!(windows) {
        crate::cmd::run(&remove_argv(thumbprint)).map(drop)
    } else {
        Ok(())
    }
}

/// Whether the certificate is in the store; `None` off Windows.
pub fn present(thumbprint: &str) -> Result<Option<bool>, InstallError> {
    if !cfg!(windows) {
        return Ok(None);
    }
    crate::cmd::succeeds(&find_argv(thumbprint)).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_store_command_lines() {
        assert_eq!(
            add_argv(Path::new(r"C:\ProgramData\Passerelle\tls\ca.pem")),
            [
                "certutil",
                "-addstore",
                "-f",
                "Root",
                r"C:\ProgramData\Passerelle\tls\ca.pem"
            ]
        );
        assert_eq!(
            remove_argv("AB12"),
            ["certutil", "-delstore", "Root", "AB12"]
        );
        assert_eq!(find_argv("AB12"), ["certutil", "-store", "Root", "AB12"]);
    }
}
