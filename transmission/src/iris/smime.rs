//! S/MIME encryption to the organism: CMS `EnvelopedData` built with RustCrypto's `cms`
//! builder (no hand-written ASN.1).
//!
//! Key transport: RSA PKCS#1 v1.5 (`rsaEncryption`), the only one `cms` 0.2's
//! `KeyTransRecipientInfoBuilder` offers, and what `openssl cms -encrypt` does by default.
//! Content encryption: AES-256-CBC. The recipient is named by issuer and serial number.

use cms::builder::{
    ContentEncryptionAlgorithm, EnvelopedDataBuilder, KeyEncryptionInfo,
    KeyTransRecipientInfoBuilder,
};
use cms::cert::IssuerAndSerialNumber;
use cms::content_info::ContentInfo;
use cms::enveloped_data::RecipientIdentifier;
use der::{Any, Decode, DecodePem, Encode};
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use time::OffsetDateTime;
use x509_cert::Certificate;

use super::IrisError;

/// An organism's encryption certificate (X.509 with an RSA key).
#[derive(Debug, Clone)]
pub struct OrganismCertificate {
    cert: Certificate,
    public_key: RsaPublicKey,
}

impl OrganismCertificate {
    /// Reads a certificate given as PEM (`-----BEGIN CERTIFICATE-----`) or DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<OrganismCertificate, IrisError> {
        let unreadable = |e: der::Error| IrisError::Certificate(e.to_string());
        let cert = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
            Certificate::from_pem(bytes).map_err(unreadable)?
        } else {
            Certificate::from_der(bytes).map_err(unreadable)?
        };
        let spki = &cert.tbs_certificate.subject_public_key_info;
        if spki.algorithm.oid != const_oid::db::rfc5912::RSA_ENCRYPTION {
            return Err(IrisError::NotRsa(spki.algorithm.oid.to_string()));
        }
        let spki_der = spki.to_der().map_err(unreadable)?;
        let public_key = RsaPublicKey::from_public_key_der(&spki_der)
            .map_err(|e| IrisError::Certificate(e.to_string()))?;
        Ok(OrganismCertificate { cert, public_key })
    }

    /// The certificate's subject, as text (`CN=...,O=...`).
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate.subject.to_string()
    }

    /// Fails unless the certificate is valid at `at` (not before its start, not after its end).
    pub fn check_validity(&self, at: OffsetDateTime) -> Result<(), IrisError> {
        let validity = &self.cert.tbs_certificate.validity;
        let secs = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
        let ts = at.unix_timestamp();
        let date = |s: i64| {
            OffsetDateTime::from_unix_timestamp(s)
                .map(|d| d.date().to_string())
                .unwrap_or_else(|_| s.to_string())
        };
        if ts < secs(validity.not_before) {
            return Err(IrisError::CertificateNotYetValid(date(secs(
                validity.not_before,
            ))));
        }
        if ts > secs(validity.not_after) {
            return Err(IrisError::CertificateExpired(date(secs(
                validity.not_after,
            ))));
        }
        Ok(())
    }
}

/// Encrypts `content` (a whole MIME entity) to the organism's certificate; returns the DER of
/// a CMS `ContentInfo` holding `EnvelopedData`: the body of `smime.p7m`.
pub fn envelope(content: &[u8], org: &OrganismCertificate) -> Result<Vec<u8>, IrisError> {
    let encryption = |e: cms::builder::Error| IrisError::Encryption(e.to_string());
    let tbs = &org.cert.tbs_certificate;
    let rid = RecipientIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: tbs.issuer.clone(),
        serial_number: tbs.serial_number.clone(),
    });
    let mut rng = rand::thread_rng();
    let mut key_rng = rand::thread_rng();
    let recipient = KeyTransRecipientInfoBuilder::new(
        rid,
        KeyEncryptionInfo::Rsa(org.public_key.clone()),
        &mut key_rng,
    )
    .map_err(encryption)?;
    let mut builder =
        EnvelopedDataBuilder::new(None, content, ContentEncryptionAlgorithm::Aes256Cbc, None)
            .map_err(encryption)?;
    let enveloped = builder
        .add_recipient_info(recipient)
        .map_err(encryption)?
        .build_with_rng(&mut rng)
        .map_err(encryption)?;
    let content_info = ContentInfo {
        content_type: const_oid::db::rfc5911::ID_ENVELOPED_DATA,
        content: Any::encode_from(&enveloped).map_err(|e| IrisError::Encryption(e.to_string()))?,
    };
    content_info
        .to_der()
        .map_err(|e| IrisError::Encryption(e.to_string()))
}
