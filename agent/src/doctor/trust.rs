//! Is the install's authority trusted: by the system store, and by each browser profile's
//! NSS database (Chromium on Linux ignores the system store).

use std::path::Path;
use std::process::Command;

use rustls::pki_types::{pem::PemObject, CertificateDer};

use super::certificate::Authority;
use super::{Finding, Verdict};
use passerelle_installation::{ca_nickname, parse_certutil_list, NssStore};

const REINSTALL: &str =
    "relancez l'installation : `sudo passerelle-install install --mode system` (service système) ou `passerelle-install install --mode user` (session)";

/// Looks for the authority in the system bundle. Missing is a problem when the service
/// was installed for the system (`expected`: the installer puts it there); otherwise a
/// warning (browsers have their own stores; programs like curl will refuse).
pub(super) fn check_system(
    ca: &Authority,
    bundle: &Path,
    expected: bool,
    findings: &mut Vec<Finding>,
) {
    let pem = match std::fs::read(bundle) {
        Ok(p) => p,
        Err(e) => {
            findings.push(Finding::new(
                "trust.system",
                Verdict::Skipped,
                format!("magasin du système {} illisible ({e})", bundle.display()),
            ));
            return;
        }
    };
    let found = CertificateDer::pem_slice_iter(&pem)
        .flatten()
        .any(|cert| cert == ca.der);
    findings.push(if found {
        Finding::new(
            "trust.system",
            Verdict::Ok,
            "l'autorité locale est reconnue par le système",
        )
    } else {
        Finding::new(
            "trust.system",
            if expected {
                Verdict::Problem
            } else {
                Verdict::Warning
            },
            "l'autorité locale n'est pas reconnue par le système (curl et les programmes \
             du système refuseront la connexion)",
        )
        .advise(REINSTALL)
    });
}

/// Looks for the authority, by its nickname, in each NSS database.
pub(super) fn check_browsers(ca: &Authority, stores: &[NssStore], findings: &mut Vec<Finding>) {
    let nickname = ca_nickname(&ca.fingerprint);
    for store in stores {
        let check = format!("trust.nss:{}", store.browser);
        if !store.db.join("cert9.db").is_file() {
            findings.push(
                Finding::new(
                    check,
                    Verdict::Warning,
                    format!(
                        "pas de base de certificats {} : ce navigateur ne reconnaîtra pas le démon",
                        store.db.display()
                    ),
                )
                .advise(REINSTALL),
            );
            continue;
        }
        let output = Command::new("certutil")
            .arg("-L")
            .arg("-d")
            .arg(format!("sql:{}", store.db.display()))
            .args(["-n", &nickname, "-a"])
            .output();
        let finding = match output {
            Err(e) => Finding::new(
                check,
                Verdict::Skipped,
                format!(
                    "certutil introuvable ({e}) : base {} non vérifiée",
                    store.db.display()
                ),
            )
            .advise("installez le paquet Debian « libnss3-tools »"),
            Ok(out) if out.status.success() && holds(&out.stdout, ca) => {
                if trusted_for_servers(&store.db, &nickname) {
                    Finding::new(
                        check,
                        Verdict::Ok,
                        format!("l'autorité locale est reconnue ({})", store.db.display()),
                    )
                } else {
                    Finding::new(
                        check,
                        Verdict::Problem,
                        format!(
                            "l'autorité locale est dans {} sans la confiance pour les sites (C)",
                            store.db.display()
                        ),
                    )
                    .advise(REINSTALL)
                }
            }
            Ok(_) => Finding::new(
                check,
                Verdict::Problem,
                format!(
                    "l'autorité locale n'est pas dans {} : ce navigateur affichera une erreur \
                     de certificat",
                    store.db.display()
                ),
            )
            .advise(REINSTALL),
        };
        findings.push(finding);
    }
}

/// Whether certutil's PEM output is exactly the authority.
fn holds(pem: &[u8], ca: &Authority) -> bool {
    CertificateDer::pem_slice_iter(pem)
        .flatten()
        .any(|cert| cert == ca.der)
}

/// Whether the database's listing gives `nickname` the SSL trust flag `C` (trusted issuer
/// of server certificates), as `certutil -A -t "C,,"` sets it.
fn trusted_for_servers(db: &Path, nickname: &str) -> bool {
    let Ok(out) = Command::new("certutil")
        .arg("-L")
        .arg("-d")
        .arg(format!("sql:{}", db.display()))
        .output()
    else {
        return false;
    };
    parse_certutil_list(&String::from_utf8_lossy(&out.stdout))
        .iter()
        .any(|(name, trust)| {
            name == nickname && trust.split(',').next().is_some_and(|ssl| ssl.contains('C'))
        })
}
