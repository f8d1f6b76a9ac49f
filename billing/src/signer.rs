//! Who signs FSE and lots: a narrow trait the daemon implements over the card layer (PIN +
//! PSO on the CPS signature key), and [`KeySigner`], a key held in memory, for tests and
//! benches (given the simulated cards' test keys, which this crate does not hold).
//!
//! Modelled: the real FSE and lot signature inputs are restricted. Passerelle signs a
//! SHA-256 digest (PKCS#1 v1.5, as the CPS3 does) of a canonical serialisation of the FSE
//! (see [`super::fse::signature_digest`]) and of the B2 bytes of a lot.

use passerelle_protocol::{CardKind, PractitionerRef};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::der::{Decode, Encode};
use x509_cert::Certificate;

/// What identifies a signer: the card and the chosen situation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerIdentity {
    /// `cps`, `cpe`, `cpf`.
    pub card_kind: CardKind,
    /// Billing number (8 digits) of the situation used.
    pub billing_number: String,
    /// Index of the situation on the card.
    pub situation: u8,
    /// The situation may sign invoices.
    pub may_sign_invoice: bool,
    /// The situation may sign lots.
    pub may_sign_lot: bool,
    /// Tariff zone code of the situation.
    pub tariff_zone: String,
    /// Profession code of the holder.
    pub profession: String,
    /// Speciality code of the situation.
    pub speciality: String,
}

impl SignerIdentity {
    /// The identity of situation `index` of a card as read, if the card has it.
    pub fn from_card(card: &passerelle_protocol::CpxCard, index: u8) -> Option<Self> {
        let s = card.situations.iter().find(|s| s.index == index)?;
        Some(SignerIdentity {
            card_kind: card.kind,
            billing_number: s.billing_number.clone(),
            situation: index,
            may_sign_invoice: s.may_sign_invoice,
            may_sign_lot: s.may_sign_lot,
            tariff_zone: s.tariff_zone.clone(),
            profession: card.holder.profession.clone(),
            speciality: s.speciality.clone(),
        })
    }

    /// A card of `kind` signing as the situation `p` names (tests, benches).
    pub fn of(
        kind: CardKind,
        p: &PractitionerRef,
        may_sign_invoice: bool,
        may_sign_lot: bool,
    ) -> Self {
        SignerIdentity {
            card_kind: kind,
            billing_number: p.billing_number.clone(),
            situation: p.situation,
            may_sign_invoice,
            may_sign_lot,
            tariff_zone: p.tariff_zone.clone(),
            profession: p.profession.clone(),
            speciality: p.speciality.clone(),
        }
    }

    /// True when `p` (an FSE's practitioner) is this very situation: billing number,
    /// index, tariff zone, profession and speciality.
    pub fn is(&self, p: &PractitionerRef) -> bool {
        (
            &self.billing_number,
            self.situation,
            &self.tariff_zone,
            &self.profession,
            &self.speciality,
        ) == (
            &p.billing_number,
            p.situation,
            &p.tariff_zone,
            &p.profession,
            &p.speciality,
        )
    }
}

/// Why a signature could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SignError(pub String);

/// Signs for billing. The card layer implements it over a CPS whose PIN was verified.
pub trait BillingSigner {
    /// Who signs.
    fn identity(&self) -> SignerIdentity;
    /// PKCS#1 v1.5 signature of a SHA-256 digest with the signature key.
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError>;
    /// The signature certificate, DER.
    fn certificate_der(&self) -> Result<Vec<u8>, SignError>;
}

/// A signer over an RSA key held in memory (PKCS#8 PEM) and its certificate: tests, benches
/// and the demo, with the simulated cards' test keys. Anything it signs proves nothing.
pub struct KeySigner {
    identity: SignerIdentity,
    key: RsaPrivateKey,
    certificate: Vec<u8>,
}

impl KeySigner {
    /// Signs as `identity` with `key_pem` (PKCS#8), whose certificate is `certificate_der`.
    pub fn new(
        identity: SignerIdentity,
        key_pem: &str,
        certificate_der: &[u8],
    ) -> Result<Self, SignError> {
        let key = RsaPrivateKey::from_pkcs8_pem(key_pem).map_err(|e| SignError(e.to_string()))?;
        Ok(KeySigner {
            identity,
            key,
            certificate: certificate_der.to_vec(),
        })
    }
}

impl BillingSigner for KeySigner {
    fn identity(&self) -> SignerIdentity {
        self.identity.clone()
    }

    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        self.key
            .sign(Pkcs1v15Sign::new::<Sha256>(), digest)
            .map_err(|e| SignError(e.to_string()))
    }

    fn certificate_der(&self) -> Result<Vec<u8>, SignError> {
        Ok(self.certificate.clone())
    }
}

/// Checks a PKCS#1 v1.5 SHA-256 signature of `digest` against the key of a DER certificate
/// (the same check the card layer makes after the CPS signed).
pub fn verify(
    certificate_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
) -> Result<(), SignError> {
    let unreadable = || SignError("certificat illisible".into());
    let certificate = Certificate::from_der(certificate_der).map_err(|_| unreadable())?;
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|_| unreadable())?;
    let key = RsaPublicKey::from_public_key_der(&spki).map_err(|_| unreadable())?;
    key.verify(Pkcs1v15Sign::new::<Sha256>(), digest, signature)
        .map_err(|_| SignError("signature invalide".into()))
}
