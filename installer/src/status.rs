//! `passerelle-install status`: what is installed, the service's state, and whether each
//! trust entry and policy is still in place.

use passerelle_installation::tls::TlsFiles;
use passerelle_installation::{ca_fingerprint, Installation, ServiceMode};

use crate::error::InstallError;
use crate::{policy, service, trust};

/// Prints the status of `record`; `None`: nothing installed.
pub fn run(record: Option<Installation>) -> Result<(), InstallError> {
    let Some(r) = record else {
        println!("Passerelle n'est pas installé (aucune fiche d'installation).");
        return Ok(());
    };
    let mode = match r.mode {
        ServiceMode::System => "service système",
        ServiceMode::User => "service de session",
    };
    println!("Passerelle installé le {} ({mode})", r.installed_at);
    println!("  programme : {}", r.program.display());
    println!("  configuration : {}", r.config_file.display());
    println!("  données : {}", r.data_dir.display());
    println!(
        "  unité : {} ({})",
        r.unit_file.display(),
        if r.unit_file.is_file() {
            "présente"
        } else {
            "ABSENTE"
        }
    );
    println!("  état du service : {}", service::state(r.mode));

    let ca = TlsFiles::in_dir(&r.data_dir).ca;
    let current = std::fs::read_to_string(&ca).ok();
    let current_fp = current.as_deref().and_then(ca_fingerprint);
    println!("  autorité locale : {}", r.ca_fingerprint);
    match &current_fp {
        Some(fp) if *fp == r.ca_fingerprint => {}
        Some(fp) => println!(
            "  ATTENTION : l'autorité actuelle ({fp}) a été renouvelée depuis l'installation : \
             relancez `passerelle-install install` pour lui faire confiance"
        ),
        None => println!("  ATTENTION : {} est absent ou illisible", ca.display()),
    }
    for entry in &r.trust {
        let state = match trust::present(entry, current.as_deref())? {
            Some(true) => "présente",
            Some(false) => "ABSENTE",
            None => "non vérifiable sur ce système",
        };
        println!("  confiance : {} : {state}", trust::describe(entry));
    }
    if r.app_origins.is_empty() {
        println!("  origines des applications web : aucune");
    } else {
        println!(
            "  origines des applications web : {}",
            r.app_origins.join(", ")
        );
    }
    for file in &r.policy_files {
        let state = if policy::present(file, &r.app_origins) {
            "en place"
        } else {
            "ABSENTE ou modifiée"
        };
        println!("  politique : {} : {state}", file.display());
    }
    Ok(())
}
