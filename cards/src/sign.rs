//! Signing with the CPS signature key (`CPS_PRIV_SIG`): MSE SET, then PSO COMPUTE DIGITAL
//! SIGNATURE over a SHA-256 digest (RSA PKCS#1 v1.5), and the check of every signature
//! against the card's own certificate before it is handed out.

use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::Sha256;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

use super::cps::select_ias;
use super::error::CardError;
use super::io;
use super::{commands, layout::cps};
use crate::apdu::StatusWord;
use crate::transport::CardTransaction;

/// Signs `digest` (SHA-256 of the data) with the signature key. Needs the PIN verified on
/// this card session, else [`CardError::PinRequired`] (the card answers `69 82`). The
/// signature is not checked here: see [`check_signature`].
pub fn sign_digest(
    tx: &mut dyn CardTransaction,
    digest: &[u8; cps::DIGEST_LEN],
) -> Result<Vec<u8>, CardError> {
    select_ias(tx)?;
    io::expect_ok(tx, &commands::mse_set_signature(), "MSE SET (signature)")?;
    let response = io::send(tx, &commands::pso_compute_signature(digest))?;
    match response.status() {
        StatusWord::Success if !response.data().is_empty() => Ok(response.data().to_vec()),
        StatusWord::Success => Err(CardError::Malformed { what: "signature" }),
        StatusWord::SecurityNotSatisfied => Err(CardError::PinRequired),
        sw => Err(CardError::Status {
            command: "PSO COMPUTE DIGITAL SIGNATURE",
            sw,
        }),
    }
}

/// Checks that `signature` is the RSA PKCS#1 v1.5 SHA-256 signature of `digest` by the key
/// of `certificate_der`. A certificate that does not parse is [`CardError::Malformed`]; a
/// signature that does not verify is [`CardError::SignatureNotVerified`].
pub fn check_signature(
    certificate_der: &[u8],
    digest: &[u8; cps::DIGEST_LEN],
    signature: &[u8],
) -> Result<(), CardError> {
    public_key(certificate_der)?
        .verify(Pkcs1v15Sign::new::<Sha256>(), digest, signature)
        .map_err(|_| CardError::SignatureNotVerified)
}

/// The RSA public key of a DER certificate.
pub fn public_key(certificate_der: &[u8]) -> Result<RsaPublicKey, CardError> {
    let malformed = CardError::Malformed { what: "certificat" };
    let certificate = Certificate::from_der(certificate_der).map_err(|_| malformed.clone())?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| malformed.clone())?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| malformed)
}

#[cfg(test)]
mod tests;
