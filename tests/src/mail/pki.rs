//! The rig's private test CA and the server certificate Postfix and Dovecot present.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use super::RigError;

/// A private CA and a server certificate for `localhost` and `127.0.0.1`, all PEM.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate, what clients must trust.
    pub ca_pem: String,
    /// The server certificate followed by the CA certificate.
    pub server_chain_pem: String,
    /// The server's private key (PKCS#8).
    pub server_key_pem: String,
}

impl TestPki {
    /// Makes a fresh CA (ECDSA P-256, path length 0) and a server certificate it signs.
    pub fn generate() -> Result<TestPki, RigError> {
        let pki = |e: rcgen::Error| RigError::Pki(e.to_string());

        let ca_key = KeyPair::generate().map_err(pki)?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(pki)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Passerelle test mail CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).map_err(pki)?;
        let issuer = Issuer::new(ca_params, ca_key);

        // rcgen turns "127.0.0.1" into an IP address SAN.
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .map_err(pki)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let leaf_key = KeyPair::generate().map_err(pki)?;
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(pki)?;

        Ok(TestPki {
            ca_pem: ca_cert.pem(),
            server_chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
            server_key_pem: leaf_key.serialize_pem(),
        })
    }
}
