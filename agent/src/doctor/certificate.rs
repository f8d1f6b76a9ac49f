//! The daemon's certificate: present, issued by the install's authority for the loopback
//! names, and not about to expire.

use std::path::Path;

use rustls::pki_types::{pem::PemObject, CertificateDer};

use super::{Finding, Verdict};
use passerelle_installation::tls::{verify_for_loopback, TlsFiles, RENEW_BEFORE_DAYS};

/// The install's authority, as trust checks need it.
pub(super) struct Authority {
    /// Its certificate (DER).
    pub der: CertificateDer<'static>,
    /// SHA-256 of `der`, lowercase hex.
    pub fingerprint: String,
}

/// Checks `{data_dir}/tls`; returns the authority when its certificate can be read.
pub(super) fn check(data_dir: &Path, findings: &mut Vec<Finding>) -> Option<Authority> {
    let files = TlsFiles::in_dir(data_dir);
    let problem = |message: String| {
        Finding::new("certificate", Verdict::Problem, message).advise(
            "il est créé au premier démarrage du démon, ou par `passerelle-install install`",
        )
    };
    let (ca_pem, chain_pem) = match (std::fs::read(&files.ca), std::fs::read(&files.chain)) {
        (Ok(ca), Ok(chain)) => (ca, chain),
        (Err(e), _) | (_, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            findings.push(
                Finding::new(
                    "certificate",
                    Verdict::Warning,
                    format!("pas encore de certificat dans {}", files.ca.parent().unwrap_or(data_dir).display()),
                )
                .advise("il est créé au premier démarrage du démon, ou par `passerelle-install install`"),
            );
            return None;
        }
        (Err(e), _) | (_, Err(e)) => {
            findings.push(
                problem(format!(
                    "{} illisible ({e})",
                    files.ca.parent().unwrap_or(data_dir).display()
                ))
                .advise("si c'est un refus d'accès, lancez `sudo passerelle doctor`"),
            );
            return None;
        }
    };
    let (Ok(ca), Ok(leaf)) = (
        CertificateDer::from_pem_slice(&ca_pem),
        CertificateDer::from_pem_slice(&chain_pem),
    ) else {
        findings.push(problem(format!(
            "{} ou {} n'est pas un certificat lisible",
            files.ca.display(),
            files.chain.display()
        )));
        return None;
    };
    let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(ca.as_ref()));
    let authority = Authority {
        der: ca.clone(),
        fingerprint,
    };
    let now = time::OffsetDateTime::now_utc();
    if let Err(e) = verify_for_loopback(&ca, &leaf, now) {
        findings.push(
            Finding::new(
                "certificate",
                Verdict::Problem,
                format!("le certificat du démon n'est pas valable pour localhost : {e}"),
            )
            .advise(
                "redémarrez le démon : il passe au certificat suivant de la même autorité \
                 s'il en a un ; sinon il en crée une nouvelle, à faire reconnaître par \
                 `passerelle-install install`",
            ),
        );
        return Some(authority);
    }
    let Some(leaf_end) = passerelle_installation::tls::not_after(&leaf) else {
        findings.push(problem("date d'expiration illisible".into()));
        return Some(authority);
    };
    let days = days_until(leaf_end, now);
    // How far the certificates already signed reach (this one and those to come).
    let covered = files
        .covered_until()
        .map_or(days, |end| days_until(end, now))
        .max(days);
    let valid =
        format!("certificat valable pour localhost, 127.0.0.1 et ::1 ({days} jours restants");
    if covered < RENEW_BEFORE_DAYS {
        findings.push(
            Finding::new(
                "certificate",
                Verdict::Warning,
                format!(
                    "le certificat du démon expire dans {days} jour(s) et c'est le dernier \
                     signé par cette autorité"
                ),
            )
            .advise(
                "une nouvelle autorité sera créée au prochain contrôle du démon (au plus tard \
                 6 heures) ; relancez ensuite `passerelle-install install` pour que les \
                 navigateurs la reconnaissent",
            ),
        );
    } else if covered > days {
        findings.push(Finding::new(
            "certificate",
            Verdict::Ok,
            format!("{valid} ; les suivants, déjà signés par la même autorité, couvrent {covered} jours)"),
        ));
    } else {
        findings.push(Finding::new(
            "certificate",
            Verdict::Ok,
            format!(
                "{valid} ; c'est le dernier signé par cette autorité : dans {} jours, une \
                 nouvelle autorité sera à faire reconnaître)",
                covered - RENEW_BEFORE_DAYS
            ),
        ));
    }
    Some(authority)
}

/// Whole days from `now` to `end` (seconds since the Unix epoch; negative when past).
fn days_until(end: i64, now: time::OffsetDateTime) -> i64 {
    (end - now.unix_timestamp()).div_euclid(24 * 3600)
}
