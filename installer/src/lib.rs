//! `passerelle-install`: installs the Passerelle daemon as a service, trusts its local
//! certificate authority in the system and browser stores, writes the Chrome Local Network
//! Access policy, and undoes all of it.
//!
//! Every path comes from [`passerelle_installation`] (shared with
//! `passerelle doctor`); what an install did is kept in its
//! [`Installation`](passerelle_installation::Installation) record. The authority is
//! the daemon's own ([`passerelle_installation::tls::TlsFiles::ensure`]): name-constrained to
//! localhost, its key never written.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod cmd;
pub mod config;
pub mod error;
pub mod fsutil;
pub mod install;
pub mod policy;
pub mod polkit;
pub mod program;
pub mod service;
pub mod status;
pub mod trust;
pub mod uninstall;
pub mod unit;

pub use error::InstallError;

use passerelle_installation::{Installation, ServiceMode};

/// Runs one command line.
pub fn run(cli: cli::Cli) -> Result<(), InstallError> {
    match cli.command {
        cli::Command::Install(args) => install::run(args),
        cli::Command::Uninstall { mode, purge } => match find(mode.map(Into::into))? {
            Some((record, path)) => uninstall::run(record, &path, purge),
            None => {
                println!("Rien à désinstaller : aucune fiche d'installation.");
                Ok(())
            }
        },
        cli::Command::Status { mode } => status::run(find(mode.map(Into::into))?.map(|(r, _)| r)),
    }
}

/// The record of `mode`, or of whichever mode is installed (system first), with its path.
fn find(
    mode: Option<ServiceMode>,
) -> Result<Option<(Installation, std::path::PathBuf)>, InstallError> {
    let modes = match mode {
        Some(m) => vec![m],
        None => vec![ServiceMode::System, ServiceMode::User],
    };
    for m in modes {
        let Ok(places) = m.places() else { continue };
        if let Some(record) = Installation::load(&places.record)? {
            return Ok(Some((record, places.record)));
        }
    }
    Ok(None)
}
