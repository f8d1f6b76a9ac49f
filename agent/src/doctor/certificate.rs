//! The daemon's certificate: present, issued by the install's authority for the loopback
//! names, and not about to expire.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName, UnixTime};

use super::{Finding, Verdict};
use crate::tls::{TlsFiles, RENEW_BEFORE_DAYS};

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
    if let Err(e) = verify_for_loopback(&ca, &leaf) {
        findings.push(
            Finding::new(
                "certificate",
                Verdict::Problem,
                format!("le certificat du démon n'est pas valable pour localhost : {e}"),
            )
            .advise(format!(
                "arrêtez le démon, supprimez le dossier {} puis redémarrez-le (un nouveau \
                 certificat sera créé, à faire reconnaître par `passerelle-install install`)",
                files.ca.parent().unwrap_or(data_dir).display()
            )),
        );
        return Some(authority);
    }
    match days_left(&leaf) {
        Some(days) if days < RENEW_BEFORE_DAYS => findings.push(
            Finding::new(
                "certificate",
                Verdict::Warning,
                format!("le certificat du démon expire dans {days} jour(s)"),
            )
            .advise(
                "il sera renouvelé au prochain démarrage du démon ; relancez ensuite \
                 `passerelle-install install` pour que les navigateurs reconnaissent le nouveau",
            ),
        ),
        Some(days) => findings.push(Finding::new(
            "certificate",
            Verdict::Ok,
            format!("certificat valable pour localhost, 127.0.0.1 et ::1 ({days} jours restants)"),
        )),
        None => findings.push(problem("date d'expiration illisible".into())),
    }
    Some(authority)
}

/// Verifies `leaf` against `ca` for `localhost` and `127.0.0.1`, now (webpki, with the
/// authority's name constraints).
fn verify_for_loopback(
    ca: &CertificateDer<'static>,
    leaf: &CertificateDer<'_>,
) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
    for name in ["localhost", "127.0.0.1"] {
        let server = ServerName::try_from(name).expect("a valid name");
        verifier
            .verify_server_cert(leaf, &[], &server, &[], UnixTime::now())
            .map_err(|e| format!("{name} : {e}"))?;
    }
    Ok(())
}

/// Whole days until `leaf` expires (negative when expired).
fn days_left(leaf: &CertificateDer<'_>) -> Option<i64> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Some((crate::tls::not_after(leaf)? - now).div_euclid(24 * 3600))
}
