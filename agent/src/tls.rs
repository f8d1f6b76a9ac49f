//! TLS material of the API: a per-install local certificate authority and the daemon's
//! certificate for `localhost`, `127.0.0.1` and `::1`.
//!
//! The authority is name-constrained to those three names and its private key is never
//! written anywhere: it signs the daemon's certificate once and is dropped, so no key on
//! disk can mint a certificate for another name. Renewal makes both anew (the new
//! authority must then be trusted again). Files, in `{data_dir}/tls/`: `ca.pem` (the
//! authority's certificate, to trust), `server.pem` (chain), `server.key` (0600).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    NameConstraints, SanType,
};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use time::{Duration, OffsetDateTime};

/// The daemon certificate is renewed when it expires within this many days.
pub const RENEW_BEFORE_DAYS: i64 = 30;
/// Validity of the daemon certificate (browsers cap leaf validity near 398 days).
const LEAF_DAYS: i64 = 397;

/// Where the TLS files are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The authority's certificate (PEM): what a browser or client must trust.
    pub ca: PathBuf,
    /// The daemon's certificate chain (PEM).
    pub chain: PathBuf,
    /// The daemon's private key (PEM, mode 0600).
    pub key: PathBuf,
}

/// TLS setup failures.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Reading or writing a file failed.
    #[error("fichier TLS {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Certificate generation or parsing failed.
    #[error("certificat TLS : {0}")]
    Certificate(String),
}

impl TlsFiles {
    /// The files under `data_dir/tls`.
    pub fn in_dir(data_dir: &Path) -> Self {
        let dir = data_dir.join("tls");
        TlsFiles {
            ca: dir.join("ca.pem"),
            chain: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }

    /// Makes the authority and the daemon certificate if they are missing or the daemon
    /// certificate expires soon. Returns true when it made new ones.
    pub fn ensure(&self) -> Result<bool, TlsError> {
        if self.ca.exists() && self.chain.exists() && self.key.exists() && !self.expires_soon()? {
            return Ok(false);
        }
        let (ca_pem, leaf_pem, key_pem) = generate(OffsetDateTime::now_utc())?;
        let dir = self.ca.parent().expect("tls files live in a directory");
        create_private_dir(dir)?;
        write_file(&self.key, key_pem.as_bytes(), 0o600)?;
        write_file(&self.chain, leaf_pem.as_bytes(), 0o644)?;
        write_file(&self.ca, ca_pem.as_bytes(), 0o644)?;
        Ok(true)
    }

    fn expires_soon(&self) -> Result<bool, TlsError> {
        let pem = read(&self.chain)?;
        let cert = CertificateDer::from_pem_slice(&pem)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let not_after = not_after(&cert)
            .ok_or_else(|| TlsError::Certificate("date d'expiration illisible".into()))?;
        let limit = OffsetDateTime::now_utc() + Duration::days(RENEW_BEFORE_DAYS);
        Ok(not_after < limit.unix_timestamp())
    }

    /// A rustls server configuration serving the daemon certificate (HTTP/2 and 1.1).
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&read(&self.chain)?)
                .collect::<Result<_, _>>()
                .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let key = PrivateKeyDer::from_pem_slice(&read(&self.key)?)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Certificate(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Certificate(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// Makes a name-constrained authority and a daemon certificate; returns (ca, leaf, leaf key)
/// as PEM. The authority's key is dropped at the end of this function.
/// When a certificate (DER) expires, in seconds since the Unix epoch.
pub fn not_after(cert: &CertificateDer<'_>) -> Option<i64> {
    let parsed = <x509_cert::Certificate as x509_cert::der::Decode>::from_der(cert).ok()?;
    let not_after = parsed.tbs_certificate.validity.not_after.to_unix_duration();
    Some(not_after.as_secs() as i64)
}

fn generate(now: OffsetDateTime) -> Result<(String, String, String), TlsError> {
    let err = |e: rcgen::Error| TlsError::Certificate(e.to_string());
    let ca_key = KeyPair::generate().map_err(err)?;
    let mut ca = CertificateParams::default();
    ca.distinguished_name = name(&format!(
        "Passerelle autorité locale {}",
        now.unix_timestamp()
    ));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![
            GeneralSubtree::DnsName("localhost".into()),
            GeneralSubtree::IpAddress(CidrSubnet::from_v4_prefix([127, 0, 0, 1], 32)),
            GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(
                IpAddr::V6(Ipv6Addr::LOCALHOST),
                128,
            )),
        ],
        excluded_subtrees: vec![],
    });
    ca.not_before = now - Duration::hours(1);
    ca.not_after = now + Duration::days(LEAF_DAYS + 1);
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;

    let leaf_key = KeyPair::generate().map_err(err)?;
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = name("localhost");
    leaf.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(err)?),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = now - Duration::hours(1);
    leaf.not_after = now + Duration::days(LEAF_DAYS);
    let issuer = Issuer::new(ca, ca_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(err)?;
    Ok((ca_cert.pem(), leaf_cert.pem(), leaf_key.serialize_pem()))
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "Passerelle");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    std::fs::create_dir_all(dir).map_err(|source| TlsError::Io {
        path: dir.to_owned(),
        source,
    })
}

/// Writes atomically (see [`crate::files::write_atomic`]) with the given Unix mode.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    crate::files::write_atomic(path, bytes, mode).map_err(|source| TlsError::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_once_and_serves() {
        let dir = tempfile::tempdir().unwrap();
        let files = TlsFiles::in_dir(dir.path());
        assert!(files.ensure().unwrap());
        assert!(
            !files.ensure().unwrap(),
            "second start reuses the certificate"
        );
        files.server_config().unwrap();
        let ca = std::fs::read_to_string(&files.ca).unwrap();
        assert!(ca.contains("BEGIN CERTIFICATE"));
        assert!(!ca.contains("PRIVATE KEY"));
        // The only private key on disk is the daemon's own.
        let keys: Vec<_> = std::fs::read_dir(dir.path().join("tls"))
            .unwrap()
            .filter(|e| {
                std::fs::read_to_string(e.as_ref().unwrap().path())
                    .unwrap()
                    .contains("PRIVATE KEY")
            })
            .collect();
        assert_eq!(keys.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
