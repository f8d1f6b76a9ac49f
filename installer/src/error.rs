//! The installer's one error type: every message is French, for the person installing.

use std::path::PathBuf;

use passerelle_installation::tls::TlsError;
use passerelle_installation::InstallationError;

/// Why an installer command failed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The `passerelle` program to install was not found or cannot be used.
    #[error("programme passerelle : {0}")]
    Program(String),
    /// An `--app-origin` is not an origin.
    #[error("origine invalide « {0} » : attendu https://hôte[:port], sans chemin ni barre finale")]
    BadOrigin(String),
    /// Reading or writing a file or directory failed.
    #[error("{path} : {source}{}", permission_hint(.source))]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// An external command failed or could not be started.
    #[error("la commande `{command}` a échoué : {detail}")]
    Command {
        /// The command line.
        command: String,
        /// Its error output, or why it did not start.
        detail: String,
    },
    /// The configuration file could not be edited or would be refused by the daemon.
    #[error("configuration {path} : {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The service manager refused.
    #[error("service : {0}")]
    Service(String),
    /// The installation record or places.
    #[error(transparent)]
    Installation(#[from] InstallationError),
    /// The local authority or the daemon's certificate.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// Some steps of an uninstall failed (each was reported as it happened).
    #[error("{0} étape(s) de la désinstallation ont échoué (voir ci-dessus)")]
    Incomplete(usize),
}

fn permission_hint(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        " (droits administrateur nécessaires : relancez avec sudo)"
    } else {
        ""
    }
}

impl InstallError {
    /// An [`InstallError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> InstallError {
        let path = path.into();
        move |source| InstallError::Io { path, source }
    }
}
