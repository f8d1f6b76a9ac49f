//! TLS material of the API: a per-install local certificate authority and the daemon's
//! certificates for `localhost`, `127.0.0.1` and `::1`.
//!
//! The authority is name-constrained to those three names and its private key is never
//! written anywhere: when it is made, it signs [`LEAVES`] daemon certificates at once, with
//! consecutive one-year windows (each valid [`LEAF_DAYS`] days, as browsers require), and
//! is dropped. No key on disk can mint a certificate, for these names or any other.
//! When the current certificate comes within [`RENEW_BEFORE_DAYS`] of its end, the daemon
//! moves to the next one (already signed, by the authority the browsers already trust:
//! nothing to do for anyone); only when none is left, about five years on, is a new
//! authority made, which must then be trusted again (`passerelle-install install`).
//!
//! Files, in `{data_dir}/tls/`: `ca.pem` (the authority's certificate, to trust),
//! `server.pem` + `server.key` (the current certificate and its key, 0600), and
//! `next/server-N.pem` + `server-N.key` (the ones to come, N = 1, 2, …).

mod generate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use time::{Duration, OffsetDateTime};

pub use generate::{LEAF_DAYS, LEAF_STEP_DAYS, LEAVES};

/// The daemon moves to its next certificate when the current one ends within this many days.
pub const RENEW_BEFORE_DAYS: i64 = 30;

/// Where the TLS files are.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The authority's certificate (PEM): what a browser or client must trust.
    pub ca: PathBuf,
    /// The daemon's current certificate (PEM).
    pub chain: PathBuf,
    /// The current certificate's private key (PEM, mode 0600).
    pub key: PathBuf,
    /// The directory of the certificates to come (`server-N.pem`, `server-N.key`).
    pub next: PathBuf,
}

/// What [`TlsFiles::ensure`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The current certificate is good: nothing changed.
    Kept,
    /// The current certificate was replaced by the next one, signed by the same authority.
    NextCertificate,
    /// A new authority and its certificates were made (first start, none left, or files
    /// that do not fit together): the authority must be trusted (again).
    NewAuthority,
}

/// One certificate to come, in `next/`.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Its rank (`N` of `server-N.pem`).
    pub rank: u32,
    /// The certificate.
    pub cert: PathBuf,
    /// Its key.
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
            next: dir.join("next"),
        }
    }

    /// Makes sure a good certificate is in place, now (see [`TlsFiles::ensure_at`]).
    pub fn ensure(&self) -> Result<Ensured, TlsError> {
        self.ensure_at(OffsetDateTime::now_utc())
    }

    /// Keeps the current certificate while it is good at `now` (issued by `ca.pem`, its key
    /// matching, valid for more than [`RENEW_BEFORE_DAYS`]); else moves to the first
    /// certificate to come that is; else makes a new authority and its certificates.
    pub fn ensure_at(&self, now: OffsetDateTime) -> Result<Ensured, TlsError> {
        let ca = match read_if_present(&self.ca)? {
            Some(pem) => CertificateDer::from_pem_slice(&pem).ok(),
            None => None,
        };
        if let Some(ca) = &ca {
            if usable(ca, &self.chain, &self.key, now)? {
                return Ok(Ensured::Kept);
            }
            let pending = self.pending()?;
            for (i, next) in pending.iter().enumerate() {
                if usable(ca, &next.cert, &next.key, now)? {
                    self.promote(next)?;
                    // Those before it are spent.
                    for spent in &pending[..i] {
                        remove_if_present(&spent.cert)?;
                        remove_if_present(&spent.key)?;
                    }
                    return Ok(Ensured::NextCertificate);
                }
            }
        }
        self.new_authority(now)?;
        Ok(Ensured::NewAuthority)
    }

    /// The certificates to come, by rank.
    pub fn pending(&self) -> Result<Vec<Pending>, TlsError> {
        let entries = match std::fs::read_dir(&self.next) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(io_error(&self.next, source)),
        };
        let mut pending: Vec<Pending> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|name| {
                let rank = name
                    .strip_prefix("server-")?
                    .strip_suffix(".pem")?
                    .parse()
                    .ok()?;
                Some(Pending {
                    rank,
                    cert: self.next.join(&name),
                    key: self.next.join(format!("server-{rank}.key")),
                })
            })
            .collect();
        pending.sort_by_key(|p| p.rank);
        Ok(pending)
    }

    /// The end of the last certificate already signed (current or to come), in seconds
    /// since the Unix epoch: until then no new authority is needed.
    pub fn covered_until(&self) -> Option<i64> {
        let mut paths = vec![self.chain.clone()];
        paths.extend(self.pending().ok()?.into_iter().map(|p| p.cert));
        paths
            .iter()
            .filter_map(|p| CertificateDer::from_pem_file(p).ok())
            .filter_map(|c| not_after(&c))
            .max()
    }

    /// Makes `pending` the current certificate: its key first, then the certificate, then
    /// its files in `next/` go (a crash in between leaves a pair that does not fit, which
    /// [`TlsFiles::ensure_at`] mends by promoting the same one again).
    fn promote(&self, pending: &Pending) -> Result<(), TlsError> {
        write_file(&self.key, &read(&pending.key)?, 0o600)?;
        write_file(&self.chain, &read(&pending.cert)?, 0o644)?;
        remove_if_present(&pending.cert)?;
        remove_if_present(&pending.key)
    }

    /// A new authority and its [`LEAVES`] certificates: the ones to come first, then the
    /// current one, the authority last (until then, the old files do not fit together and
    /// a crash means starting over).
    fn new_authority(&self, now: OffsetDateTime) -> Result<(), TlsError> {
        let (ca_pem, leaves) = generate::authority_and_leaves(now)?;
        match std::fs::remove_dir_all(&self.next) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&self.next, e)),
        }
        create_private_dir(&self.next)?;
        for (rank, leaf) in leaves.iter().enumerate().skip(1) {
            write_file(
                &self.next.join(format!("server-{rank}.key")),
                leaf.key.as_bytes(),
                0o600,
            )?;
            write_file(
                &self.next.join(format!("server-{rank}.pem")),
                leaf.cert.as_bytes(),
                0o644,
            )?;
        }
        let current = &leaves[0];
        write_file(&self.key, current.key.as_bytes(), 0o600)?;
        write_file(&self.chain, current.cert.as_bytes(), 0o644)?;
        write_file(&self.ca, ca_pem.as_bytes(), 0o644)?;
        Ok(())
    }

    /// A rustls server configuration serving the current certificate (HTTP/2 and 1.1).
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

/// Whether the certificate at `cert` with the key at `key` can serve from `now`: both
/// present, the key its own, issued by `ca` for the loopback names, valid now and for
/// more than [`RENEW_BEFORE_DAYS`].
fn usable(
    ca: &CertificateDer<'static>,
    cert: &Path,
    key: &Path,
    now: OffsetDateTime,
) -> Result<bool, TlsError> {
    let (Some(cert_pem), Some(key_pem)) = (read_if_present(cert)?, read_if_present(key)?) else {
        return Ok(false);
    };
    let (Ok(leaf), Ok(key)) = (
        CertificateDer::from_pem_slice(&cert_pem),
        PrivateKeyDer::from_pem_slice(&key_pem),
    ) else {
        return Ok(false);
    };
    let provider = rustls::crypto::ring::default_provider();
    if rustls::sign::CertifiedKey::from_der(vec![leaf.clone()], key, &provider).is_err() {
        return Ok(false);
    }
    let lasts = not_after(&leaf)
        .is_some_and(|end| end >= (now + Duration::days(RENEW_BEFORE_DAYS)).unix_timestamp());
    Ok(lasts && verify_for_loopback(ca, &leaf, now).is_ok())
}

/// Verifies `leaf` against `ca` for `localhost` and `127.0.0.1` at `now` (webpki, with the
/// authority's name constraints).
pub fn verify_for_loopback(
    ca: &CertificateDer<'static>,
    leaf: &CertificateDer<'_>,
    now: OffsetDateTime,
) -> Result<(), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).map_err(|e| e.to_string())?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
    let at = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        now.unix_timestamp().max(0) as u64,
    ));
    for name in ["localhost", "127.0.0.1"] {
        let server = ServerName::try_from(name).expect("a valid name");
        verifier
            .verify_server_cert(leaf, &[], &server, &[], at)
            .map_err(|e| format!("{name} : {e}"))?;
    }
    Ok(())
}

/// When a certificate (DER) expires, in seconds since the Unix epoch.
pub fn not_after(cert: &CertificateDer<'_>) -> Option<i64> {
    let parsed = <x509_cert::Certificate as x509_cert::der::Decode>::from_der(cert).ok()?;
    let not_after = parsed.tbs_certificate.validity.not_after.to_unix_duration();
    Some(not_after.as_secs() as i64)
}

fn io_error(path: &Path, source: std::io::Error) -> TlsError {
    TlsError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>, TlsError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_error(path, e)),
    }
}

fn remove_if_present(path: &Path) -> Result<(), TlsError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(path, e)),
        _ => Ok(()),
    }
}

fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))
}

/// Writes atomically (see [`crate::files::write_atomic`]) with the given Unix mode.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    crate::files::write_atomic(path, bytes, mode).map_err(|e| io_error(path, e))
}

#[cfg(test)]
mod tests;
