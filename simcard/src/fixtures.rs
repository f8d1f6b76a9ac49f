//! Fixtures of the simulated cards: JSON identities (embedded in the binary, or read from a
//! file) and their test keys. The NIR and billing keys are re-exported from [`crate::cards`].
//!
//! A card is named `KIND:ID`, for example `vitale:nguyen` or `cps:durand-sage-femme`
//! ([`list`]); `KIND:PATH.json` loads a fixture file instead (its `kind` must match). The
//! identities are fictitious; the keys are test keys (`simcard/fixtures/keys/README.md`).

use std::path::Path;

use super::cps::SimCps;
use super::t0::T0Card;
use super::vitale::SimVitale;
use super::SimCard;

mod types;

pub use passerelle_cards::cps::billing_key;
pub use passerelle_protocol::nir::nir_key;
pub use types::{
    Ald, Amc, Beneficiary, CpxFixture, Holder, Rights, RightsPeriod, Situation, VitaleFixture,
};

/// Every embedded fixture: (spec, JSON text).
const FIXTURES: &[(&str, &str)] = &[
    (
        "vitale:martin-famille",
        include_str!("../fixtures/cards/vitale-martin-famille.json"),
    ),
    (
        "vitale:nguyen",
        include_str!("../fixtures/cards/vitale-nguyen.json"),
    ),
    (
        "vitale:santoni-corse",
        include_str!("../fixtures/cards/vitale-santoni-corse.json"),
    ),
    (
        "vitale:bernard-c2s",
        include_str!("../fixtures/cards/vitale-bernard-c2s.json"),
    ),
    (
        "cps:durand-sage-femme",
        include_str!("../fixtures/cards/cps-durand-sage-femme.json"),
    ),
    (
        "cps:lefevre-medecin",
        include_str!("../fixtures/cards/cps-lefevre-medecin.json"),
    ),
    (
        "cpe:petit-secretaire",
        include_str!("../fixtures/cards/cpe-petit-secretaire.json"),
    ),
    (
        "cpf:moreau-remplacant",
        include_str!("../fixtures/cards/cpf-moreau-remplacant.json"),
    ),
    (
        "cps:roux-sage-femme-remplacante",
        include_str!("../fixtures/cards/cps-roux-sage-femme-remplacante.json"),
    ),
];

macro_rules! key_set {
    ($id:literal) => {
        CpxKeys {
            id: $id,
            sig_key_pem: include_str!(concat!("../fixtures/keys/", $id, "-sig.key")),
            sig_public_pem: include_str!(concat!("../fixtures/keys/", $id, "-sig.pub.pem")),
            sig_cert: include_bytes!(concat!("../fixtures/keys/", $id, "-sig.der")),
            auth_key_pem: include_str!(concat!("../fixtures/keys/", $id, "-auth.key")),
            auth_public_pem: include_str!(concat!("../fixtures/keys/", $id, "-auth.pub.pem")),
            auth_cert: include_bytes!(concat!("../fixtures/keys/", $id, "-auth.der")),
        }
    };
}

/// The embedded test key sets, one per CPx fixture id.
const KEYS: &[CpxKeys] = &[
    key_set!("durand-sage-femme"),
    key_set!("lefevre-medecin"),
    key_set!("petit-secretaire"),
    key_set!("moreau-remplacant"),
];

/// The test authority that issued the fixture certificates (PEM). Test only.
pub const TEST_CA_PEM: &str = include_str!("../fixtures/keys/ca.pem");

/// A fixture could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FixtureError {
    /// No fixture with this spec.
    #[error("carte simulée inconnue « {0} »")]
    Unknown(String),
    /// The fixture file cannot be read.
    #[error("fixture « {0} » illisible : {1}")]
    Io(String, String),
    /// The fixture is malformed.
    #[error("fixture « {0} » invalide : {1}")]
    Invalid(String, String),
}

/// A fixture of either family.
#[derive(Debug, Clone)]
pub enum Fixture {
    /// A Carte Vitale.
    Vitale(VitaleFixture),
    /// A CPS, CPE or CPF.
    Cpx(CpxFixture),
}

/// The test keys and certificates of one CPx card (embedded; test only).
#[derive(Debug, Clone, Copy)]
pub struct CpxKeys {
    /// Key set id (the fixture id).
    pub id: &'static str,
    /// Signature key `CPS_PRIV_SIG`, PKCS#8 PEM.
    pub sig_key_pem: &'static str,
    /// Its public key, SubjectPublicKeyInfo PEM.
    pub sig_public_pem: &'static str,
    /// Signature certificate, DER.
    pub sig_cert: &'static [u8],
    /// Authentication key `CPS_PRIV_AUT`, PKCS#8 PEM.
    pub auth_key_pem: &'static str,
    /// Its public key, SubjectPublicKeyInfo PEM.
    pub auth_public_pem: &'static str,
    /// Authentication certificate, DER.
    pub auth_cert: &'static [u8],
}

/// Every embedded card spec, in a stable order.
pub fn list() -> Vec<&'static str> {
    FIXTURES.iter().map(|(spec, _)| *spec).collect()
}

/// The embedded test key set `id`.
pub fn keys(id: &str) -> Option<CpxKeys> {
    KEYS.iter().find(|k| k.id == id).copied()
}

/// The fixture named by `spec` (`KIND:ID` embedded, or `KIND:PATH.json`).
pub fn fixture(spec: &str) -> Result<Fixture, FixtureError> {
    let unknown = || FixtureError::Unknown(spec.to_owned());
    let (kind, id) = spec.split_once(':').ok_or_else(unknown)?;
    let fixture = if id.ends_with(".json") {
        load_file(Path::new(id))?
    } else {
        let text = FIXTURES
            .iter()
            .find(|(s, _)| *s == spec)
            .map(|(_, t)| *t)
            .ok_or_else(unknown)?;
        parse(spec, text)?
    };
    let actual = match &fixture {
        Fixture::Vitale(v) => &v.kind,
        Fixture::Cpx(c) => &c.kind,
    };
    if actual != kind {
        return Err(FixtureError::Invalid(
            spec.into(),
            format!("kind « {actual} », pas « {kind} »"),
        ));
    }
    Ok(fixture)
}

/// Reads a fixture file (JSON, `kind` decides the family).
pub fn load_file(path: &Path) -> Result<Fixture, FixtureError> {
    let name = path.display().to_string();
    let text =
        std::fs::read_to_string(path).map_err(|e| FixtureError::Io(name.clone(), e.to_string()))?;
    parse(&name, &text)
}

/// A fresh simulated card (powered on, nothing verified) for `spec`: `KIND:ID` or
/// `KIND:PATH.json`, and `+t0` at the end for a card answering over T=0
/// ([`crate::t0::T0Card`]: `61 xx`, `6C xx`).
pub fn card_from_spec(spec: &str) -> Result<Box<dyn SimCard>, FixtureError> {
    match spec.strip_suffix(T0_SUFFIX) {
        Some(base) => Ok(Box::new(T0Card::new(build(base, fixture(base)?)?))),
        None => build(spec, fixture(spec)?),
    }
}

/// The end of a card spec asking for a card answering over T=0.
pub const T0_SUFFIX: &str = "+t0";

/// The simulated card of `fixture`; `name` is for error messages.
pub fn build(name: &str, fixture: Fixture) -> Result<Box<dyn SimCard>, FixtureError> {
    match fixture {
        Fixture::Vitale(v) => Ok(Box::new(SimVitale::new(v))),
        Fixture::Cpx(c) => {
            let key_id = c.keys.clone().unwrap_or_else(|| c.id.clone());
            let keys = keys(&key_id).ok_or_else(|| {
                FixtureError::Invalid(name.into(), format!("pas de clés de test « {key_id} »"))
            })?;
            let card = SimCps::new(c, keys).map_err(|e| FixtureError::Invalid(name.into(), e))?;
            Ok(Box::new(card))
        }
    }
}

fn parse(name: &str, text: &str) -> Result<Fixture, FixtureError> {
    let invalid = |e: String| FixtureError::Invalid(name.to_owned(), e);
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let fixture = match value.get("kind").and_then(|k| k.as_str()) {
        Some("vitale") => {
            Fixture::Vitale(serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?)
        }
        Some("cps" | "cpe" | "cpf") => {
            Fixture::Cpx(serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?)
        }
        _ => return Err(invalid("kind : vitale, cps, cpe ou cpf".into())),
    };
    if let Fixture::Cpx(c) = &fixture {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if c.card_type.to_ascii_lowercase() != c.kind {
            return Err(invalid(format!(
                "card_type « {} » pour kind « {} »",
                c.card_type, c.kind
            )));
        }
        if !digits(&c.pin, 4) || !digits(&c.puk, 8) {
            return Err(invalid("pin : 4 chiffres, puk : 8 chiffres".into()));
        }
        if c.situations.len() > 16 {
            return Err(invalid("au plus 16 situations".into()));
        }
    }
    Ok(fixture)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fixture_loads_with_good_keys() {
        for spec in list() {
            card_from_spec(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            match fixture(spec).unwrap() {
                Fixture::Vitale(v) => {
                    assert_eq!(spec, format!("vitale:{}", v.id));
                    let own = v.beneficiaries.iter().filter_map(|b| b.nir.clone());
                    for nir in std::iter::once(v.nir.clone()).chain(own) {
                        let key: u8 = nir[13..].parse().unwrap();
                        assert_eq!(nir_key(&nir[..13]), Some(key), "{spec} {nir}");
                    }
                }
                Fixture::Cpx(c) => {
                    assert_eq!(spec, format!("{}:{}", c.kind, c.id));
                    for s in &c.situations {
                        let key = billing_key(&s.billing_number).map(|k| k.to_string());
                        assert_eq!(key.as_deref(), Some(s.billing_key.as_str()), "{spec}");
                    }
                }
            }
        }
        assert_eq!(list().len(), 9);
        assert!(matches!(
            card_from_spec("vitale:personne"),
            Err(FixtureError::Unknown(_))
        ));
        assert!(card_from_spec("nfc:x").is_err());
        assert!(card_from_spec("nguyen").is_err());
    }

    #[test]
    fn the_fixtures_tell_the_stories_the_tests_need() {
        let Ok(Fixture::Vitale(martin)) = fixture("vitale:martin-famille") else {
            panic!()
        };
        assert_eq!(martin.beneficiaries.len(), 4);
        assert_eq!(martin.rights.ald.len(), 1);
        let Ok(Fixture::Vitale(nguyen)) = fixture("vitale:nguyen") else {
            panic!()
        };
        assert!(nguyen
            .rights
            .periods
            .iter()
            .any(|p| p.nature == "maternite"));
        assert!(nguyen.rights.amc.is_some());
        let Ok(Fixture::Vitale(santoni)) = fixture("vitale:santoni-corse") else {
            panic!()
        };
        assert_eq!(&santoni.nir[5..7], "2A");
        let Ok(Fixture::Vitale(bernard)) = fixture("vitale:bernard-c2s") else {
            panic!()
        };
        assert!(bernard
            .rights
            .amc
            .as_ref()
            .is_some_and(|a| a.c2s && a.tiers_payant));
        let Ok(Fixture::Cpx(cpe)) = fixture("cpe:petit-secretaire") else {
            panic!()
        };
        assert!(cpe.situations.iter().all(|s| !s.may_sign_lot));
        let Ok(Fixture::Cpx(cpf)) = fixture("cpf:moreau-remplacant") else {
            panic!()
        };
        assert!(cpf.situations.iter().any(|s| s.mode == "R"));
        let Ok(Fixture::Cpx(roux)) = fixture("cps:roux-sage-femme-remplacante") else {
            panic!()
        };
        assert!(roux.card_type == "CPS" && roux.situations.iter().all(|s| s.mode == "R"));
        let Ok(Fixture::Cpx(durand)) = fixture("cps:durand-sage-femme") else {
            panic!()
        };
        assert_eq!(durand.situations.len(), 2);
        assert!(durand.situations.iter().all(|s| s.may_sign_lot));
    }

    #[test]
    fn fixture_files_load_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("autre.json");
        let mut json: serde_json::Value =
            serde_json::from_str(include_str!("../fixtures/cards/cps-lefevre-medecin.json"))
                .unwrap();
        json["id"] = "autre".into();
        json["keys"] = "lefevre-medecin".into();
        std::fs::write(&path, json.to_string()).unwrap();
        let spec = format!("cps:{}", path.display());
        assert_eq!(
            card_from_spec(&spec).unwrap().atr(),
            passerelle_cards::atr::CPS3_ATR
        );
        let wrong_kind = format!("vitale:{}", path.display());
        assert!(matches!(
            card_from_spec(&wrong_kind),
            Err(FixtureError::Invalid(..))
        ));
        let missing = format!("cps:{}", dir.path().join("absent.json").display());
        assert!(matches!(
            card_from_spec(&missing),
            Err(FixtureError::Io(..))
        ));
        json["pin"] = "12".into();
        std::fs::write(&path, json.to_string()).unwrap();
        assert!(matches!(
            card_from_spec(&spec),
            Err(FixtureError::Invalid(..))
        ));
    }
}
