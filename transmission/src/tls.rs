//! The rustls client configuration for the mail servers.
//!
//! Server certificates are checked against the system's roots (through
//! `rustls-platform-verifier`, which on Linux reads the system store with
//! `rustls-native-certs`) plus, optionally, a private CA given as PEM: a practice's own mail
//! server, or the test rig. This is exactly what lettre builds for SMTP with its
//! `rustls-platform-verifier` feature and `add_root_certificate`, so SMTP and IMAP trust the
//! same certificates.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::ClientConfig;

/// How a mail connection is secured. There is no plaintext mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (SMTP submission on 587,
    /// IMAP on 143).
    StartTls,
    /// TLS from the first byte (SMTP submissions on 465, IMAPS on 993).
    ImplicitTls,
}

/// Why a TLS client configuration could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The private CA file is not PEM certificates.
    #[error("Le certificat d'autorité indiqué pour la messagerie est illisible : {0}")]
    CaFile(String),
    /// The file holds no certificate at all.
    #[error("Le fichier d'autorité indiqué pour la messagerie ne contient aucun certificat.")]
    NoCertificate,
    /// rustls refused the configuration (no system roots and no private CA, for instance).
    #[error("Configuration TLS impossible : {0}")]
    Config(String),
    /// The host name is neither a DNS name nor an IP address.
    #[error("Nom de serveur invalide pour TLS : « {0} »")]
    ServerName(String),
}

/// The crypto provider used everywhere in this crate (ring, like the rest of Passerelle).
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses PEM text holding one or more CA certificates.
pub fn parse_ca_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::CaFile(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    Ok(certs)
}

/// A client configuration trusting the system's roots plus `extra_ca_pem`, if given.
pub fn client_config(extra_ca_pem: Option<&[u8]>) -> Result<Arc<ClientConfig>, TlsError> {
    let extra = match extra_ca_pem {
        Some(pem) => parse_ca_pem(pem)?,
        None => Vec::new(),
    };
    let provider = provider();
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(extra, provider.clone())
            .map_err(|e| TlsError::Config(e.to_string()))?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The name to check the server's certificate against (DNS name or IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsError::ServerName(host.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_file_without_certificates() {
        assert!(matches!(
            parse_ca_pem(b"hello"),
            Err(TlsError::NoCertificate)
        ));
        assert!(server_name("localhost").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("bad name").is_err());
    }

    #[test]
    fn builds_with_system_roots_only() {
        assert!(client_config(None).is_ok());
    }
}
