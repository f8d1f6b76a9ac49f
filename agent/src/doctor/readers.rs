//! pcscd reachable, readers seen.

use super::{Finding, Verdict};
use passerelle_installation::config::{BackendChoice, Config};

/// Checks the PC/SC service and lists its readers (skipped with simulated readers).
pub(super) fn check(config: &Config, findings: &mut Vec<Finding>) {
    if config.readers.backend == BackendChoice::Simulated {
        findings.push(Finding::new(
            "pcscd",
            Verdict::Skipped,
            "lecteurs simulés (readers.backend = \"simulated\") : pcscd n'est pas utilisé",
        ));
        return;
    }
    let context = match pcsc::Context::establish(pcsc::Scope::User) {
        Ok(c) => c,
        Err(e) => {
            findings.push(
                Finding::new(
                    "pcscd",
                    Verdict::Problem,
                    format!("le service des cartes à puce (pcscd) ne répond pas ({e})"),
                )
                .advise(
                    "démarrez-le : sudo systemctl start pcscd.socket \
                     (paquet Debian « pcscd » s'il n'est pas installé)",
                ),
            );
            return;
        }
    };
    findings.push(Finding::new(
        "pcscd",
        Verdict::Ok,
        "le service des cartes à puce (pcscd) répond",
    ));
    match context.list_readers_owned() {
        Ok(names) if !names.is_empty() => {
            let names: Vec<String> = names
                .iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect();
            findings.push(Finding::new(
                "readers",
                Verdict::Ok,
                format!("{} lecteur(s) : {}", names.len(), names.join(", ")),
            ));
        }
        Ok(_) | Err(pcsc::Error::NoReadersAvailable) => findings.push(
            Finding::new(
                "readers",
                Verdict::Problem,
                "aucun lecteur de cartes n'est branché",
            )
            .advise("branchez le lecteur (USB) ; s'il l'est, débranchez-le et rebranchez-le"),
        ),
        Err(e) => findings.push(Finding::new(
            "readers",
            Verdict::Problem,
            format!("pcscd ne donne pas la liste des lecteurs ({e})"),
        )),
    }
}
