//! Identity fixtures of the simulated cards (JSON, embedded in the binary) and the NIR key.
//!
//! A card is named `KIND:ID`, for example `vitale:nguyen` or `cps:durand-sage-femme`.

use serde::Deserialize;

use super::cps::SimCps;
use super::vitale::SimVitale;
use super::SimCard;

/// Every fixture: (spec, JSON text).
const FIXTURES: &[(&str, &str)] = &[
    (
        "vitale:martin-famille",
        include_str!("../../fixtures/cards/vitale-martin-famille.json"),
    ),
    (
        "vitale:nguyen",
        include_str!("../../fixtures/cards/vitale-nguyen.json"),
    ),
    (
        "vitale:santoni-corse",
        include_str!("../../fixtures/cards/vitale-santoni-corse.json"),
    ),
    (
        "cps:durand-sage-femme",
        include_str!("../../fixtures/cards/cps-durand-sage-femme.json"),
    ),
    (
        "cps:lefevre-medecin",
        include_str!("../../fixtures/cards/cps-lefevre-medecin.json"),
    ),
    (
        "cpe:petit-secretaire",
        include_str!("../../fixtures/cards/cpe-petit-secretaire.json"),
    ),
    (
        "cpf:moreau-remplacant",
        include_str!("../../fixtures/cards/cpf-moreau-remplacant.json"),
    ),
];

/// Test keys of the CPx fixtures: (id, signature key PEM, signature cert DER, auth key PEM,
/// auth cert DER). Test-only, see `agent/fixtures/keys/README.md`.
type KeySet = (
    &'static str,
    &'static str,
    &'static [u8],
    &'static str,
    &'static [u8],
);

macro_rules! keys {
    ($id:literal) => {
        (
            $id,
            include_str!(concat!("../../fixtures/keys/", $id, "-sig.key")),
            include_bytes!(concat!("../../fixtures/keys/", $id, "-sig.der")),
            include_str!(concat!("../../fixtures/keys/", $id, "-auth.key")),
            include_bytes!(concat!("../../fixtures/keys/", $id, "-auth.der")),
        )
    };
}

const KEYS: &[KeySet] = &[
    keys!("durand-sage-femme"),
    keys!("lefevre-medecin"),
    keys!("petit-secretaire"),
    keys!("moreau-remplacant"),
];

/// The test authority that issued the fixture certificates (PEM).
pub const TEST_CA_PEM: &str = include_str!("../../fixtures/keys/ca.pem");

/// A fixture could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// No fixture with this spec.
    #[error("carte simulée inconnue « {0} »")]
    Unknown(String),
    /// The fixture is malformed (a bug in the fixture files).
    #[error("fixture « {0} » invalide : {1}")]
    Invalid(String, String),
}

/// A patient's Carte Vitale.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VitaleFixture {
    /// Always `vitale`.
    pub kind: String,
    /// Fixture id.
    pub id: String,
    /// Card serial number.
    pub serial: String,
    /// Card validity end `YYYYMMDD`.
    pub valid_until: String,
    /// NIR of the insured person, 15 characters (13 + key).
    pub nir: String,
    /// The insured person first, then the beneficiaries.
    pub beneficiaries: Vec<Beneficiary>,
    /// The protected zone (modelled), as data.
    pub rights: serde_json::Value,
}

/// One person on a Vitale card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beneficiary {
    /// Last name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Birth date `YYYYMMDD`.
    pub birth_date: String,
    /// Birth rank (twins).
    pub birth_rank: u8,
    /// Quality code.
    pub quality: String,
    /// Own NIR, when not attached to the insured's.
    #[serde(default)]
    pub nir: Option<String>,
}

/// A CPS, CPE or CPF card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CpxFixture {
    /// `cps`, `cpe` or `cpf`.
    pub kind: String,
    /// Fixture id (also names its test keys).
    pub id: String,
    /// `CPS`, `CPE` or `CPF`.
    pub card_type: String,
    /// Card serial.
    pub serial: String,
    /// Validity start `YYYYMMDD`.
    pub valid_from: String,
    /// Validity end `YYYYMMDD`.
    pub valid_until: String,
    /// The card's PIN (a fixture's; a real PIN is never stored).
    pub pin: String,
    /// The card's unblock code.
    pub puk: String,
    /// Holder identity.
    pub holder: Holder,
    /// Practice situations (at most 16).
    pub situations: Vec<Situation>,
}

/// Holder of a CPx card.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holder {
    /// National id type.
    pub id_type: String,
    /// National id.
    pub id: String,
    /// Civility.
    pub civility: String,
    /// Last name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Profession code.
    pub profession: String,
    /// Speciality code.
    pub speciality: String,
}

/// One practice situation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    /// `L`, `S` or `R`.
    pub mode: String,
    /// 8 digits.
    pub billing_number: String,
    /// 1 digit.
    pub billing_key: String,
    /// Structure id.
    pub structure_id: String,
    /// Structure name.
    pub structure_name: String,
    /// Tariff zone code.
    pub tariff_zone: String,
    /// Agreement code.
    pub agreement: String,
    /// May sign an invoice.
    pub may_sign_invoice: bool,
    /// May sign a lot.
    pub may_sign_lot: bool,
    /// Speciality code.
    pub speciality: String,
}

/// Keys of a CPx fixture.
pub struct CpxKeys {
    /// Signature key, PKCS#8 PEM.
    pub sig_key_pem: &'static str,
    /// Signature certificate, DER.
    pub sig_cert: &'static [u8],
    /// Authentication key, PKCS#8 PEM.
    pub auth_key_pem: &'static str,
    /// Authentication certificate, DER.
    pub auth_cert: &'static [u8],
}

/// Every card spec, in a stable order.
pub fn list() -> Vec<&'static str> {
    FIXTURES.iter().map(|(spec, _)| *spec).collect()
}

fn text(spec: &str) -> Result<&'static str, FixtureError> {
    FIXTURES
        .iter()
        .find(|(s, _)| *s == spec)
        .map(|(_, t)| *t)
        .ok_or_else(|| FixtureError::Unknown(spec.to_owned()))
}

/// The Vitale fixture `vitale:ID`.
pub fn vitale(spec: &str) -> Result<VitaleFixture, FixtureError> {
    serde_json::from_str(text(spec)?).map_err(|e| FixtureError::Invalid(spec.into(), e.to_string()))
}

/// The CPx fixture `cps:ID`, `cpe:ID` or `cpf:ID`, with its keys.
pub fn cpx(spec: &str) -> Result<(CpxFixture, CpxKeys), FixtureError> {
    let fixture: CpxFixture = serde_json::from_str(text(spec)?)
        .map_err(|e| FixtureError::Invalid(spec.into(), e.to_string()))?;
    let (_, sig_key_pem, sig_cert, auth_key_pem, auth_cert) = KEYS
        .iter()
        .find(|k| k.0 == fixture.id)
        .ok_or_else(|| FixtureError::Invalid(spec.into(), "no test keys".into()))?;
    Ok((
        fixture,
        CpxKeys {
            sig_key_pem,
            sig_cert,
            auth_key_pem,
            auth_cert,
        },
    ))
}

/// A fresh simulated card (powered on, nothing verified) for `spec`.
pub fn card_from_spec(spec: &str) -> Result<Box<dyn SimCard>, FixtureError> {
    match spec.split_once(':').map(|(kind, _)| kind) {
        Some("vitale") => Ok(Box::new(SimVitale::new(vitale(spec)?))),
        Some("cps" | "cpe" | "cpf") => {
            let (fixture, keys) = cpx(spec)?;
            let card =
                SimCps::new(fixture, keys).map_err(|e| FixtureError::Invalid(spec.into(), e))?;
            Ok(Box::new(card))
        }
        _ => Err(FixtureError::Unknown(spec.to_owned())),
    }
}

/// The 2-digit key of a 13-character NIR: 97 − (NIR mod 97). Corsica: `2A` counts as `20`
/// minus 1,000,000 and `2B` as `20` minus 2,000,000. `None` if the NIR is malformed.
pub fn nir_key(nir13: &str) -> Option<u8> {
    if nir13.len() != 13 || !nir13.is_ascii() {
        return None;
    }
    let (head, dept, tail) = (&nir13[..5], &nir13[5..7], &nir13[7..]);
    let (dept, minus) = match dept {
        "2A" | "2a" => ("20", 1_000_000),
        "2B" | "2b" => ("20", 2_000_000),
        d => (d, 0),
    };
    let digits = format!("{head}{dept}{tail}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse::<u64>().ok()?.checked_sub(minus)?;
    Some((97 - value % 97) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_keys() {
        // 1 78 06 75 112 233: 1780675112233 mod 97 = 82 → key 15.
        assert_eq!(1780675112233u64 % 97, 82);
        assert_eq!(nir_key("1780675112233"), Some(15));
        // Corsica 2A: 1650219004019 mod 97 gives the key.
        assert_eq!(
            nir_key("165022A004019"),
            Some((97 - 1650219004019u64 % 97) as u8)
        );
        assert_eq!(
            nir_key("165022B004019"),
            Some((97 - 1650218004019u64 % 97) as u8)
        );
        assert_eq!(nir_key("16502"), None);
        assert_eq!(nir_key("165022C004019"), None);
    }

    #[test]
    fn every_fixture_loads_and_its_nirs_have_good_keys() {
        for spec in list() {
            card_from_spec(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            if spec.starts_with("vitale:") {
                let v = vitale(spec).unwrap();
                let nirs = std::iter::once(v.nir.clone())
                    .chain(v.beneficiaries.iter().filter_map(|b| b.nir.clone()));
                for nir in nirs {
                    let key: u8 = nir[13..].parse().unwrap();
                    assert_eq!(nir_key(&nir[..13]), Some(key), "{spec} {nir}");
                }
            }
        }
        assert!(card_from_spec("vitale:personne").is_err());
        assert!(card_from_spec("nfc:x").is_err());
    }

    #[test]
    fn cpe_may_never_sign_lots() {
        let (cpe, _) = cpx("cpe:petit-secretaire").unwrap();
        assert_eq!(cpe.card_type, "CPE");
        assert!(cpe
            .situations
            .iter()
            .all(|s| !s.may_sign_lot && !s.may_sign_invoice));
    }
}
