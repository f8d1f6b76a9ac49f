//! Who and what the installation is for: the `passerelle` program, and the homes whose
//! browsers trust the authority.

use std::path::{Path, PathBuf};

use passerelle_installation::ServiceMode;

use crate::error::InstallError;

/// The `passerelle` program: `explicit`, else next to this installer, else on `PATH`;
/// absolute. Refused when missing, or (system mode) under `/home` or `/root`, which the
/// service's `ProtectHome=yes` hides.
pub fn resolve(explicit: Option<&Path>, mode: ServiceMode) -> Result<PathBuf, InstallError> {
    let name = format!("passerelle{}", std::env::consts::EXE_SUFFIX);
    let candidate = match explicit {
        Some(p) => Some(p.to_owned()),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|d| d.join(&name)))
            .filter(|p| p.is_file())
            .or_else(|| {
                std::env::var_os("PATH").and_then(|paths| {
                    std::env::split_paths(&paths)
                        .map(|d| d.join(&name))
                        .find(|p| p.is_file())
                })
            }),
    };
    let Some(path) = candidate else {
        return Err(InstallError::Program(
            "introuvable à côté de l'installeur ni dans le PATH ; indiquez-le avec --program CHEMIN"
                .into(),
        ));
    };
    if !path.is_file() {
        return Err(InstallError::Program(format!(
            "{} n'existe pas ou n'est pas un fichier",
            path.display()
        )));
    }
    let path = path.canonicalize().map_err(InstallError::io(&path))?;
    if mode == ServiceMode::System && (path.starts_with("/home") || path.starts_with("/root")) {
        return Err(InstallError::Program(format!(
            "{} est dans un dossier personnel, que le service système ne voit pas \
             (ProtectHome) : copiez-le par exemple dans /usr/local/bin",
            path.display()
        )));
    }
    Ok(path)
}

/// The homes whose NSS databases get the authority: `explicit`, else `$HOME` (user mode),
/// else `$SUDO_USER`'s home (system mode), else none.
pub fn browser_homes(explicit: &[PathBuf], mode: ServiceMode) -> Vec<PathBuf> {
    if !explicit.is_empty() {
        return explicit.to_vec();
    }
    match mode {
        ServiceMode::User => directories::BaseDirs::new()
            .map(|b| vec![b.home_dir().to_owned()])
            .unwrap_or_default(),
        ServiceMode::System => std::env::var("SUDO_USER")
            .ok()
            .filter(|u| !u.is_empty() && u != "root")
            .and_then(|u| home_of(&u))
            .into_iter()
            .collect(),
    }
}

/// A user's home directory from the passwd database (`getent passwd USER`).
fn home_of(user: &str) -> Option<PathBuf> {
    let out = std::process::Command::new("getent")
        .args(["passwd", user])
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    line.trim_end()
        .split(':')
        .nth(5)
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}
