//! The rights of the fixture cards, as a Carte Vitale read gives them.

use passerelle_protocol::{
    Ald, Amc, AmcKind, Beneficiary, Rights, RightsOrigin, RightsPeriod, RightsRef,
};

use super::PEOPLE;
use crate::error::BillingError;
use crate::rights::{unknown_reference, ResolvedRights, RightsLookup};

/// The rights of the fixture cards, as a Carte Vitale read gives them: what
/// `simcard/fixtures/cards/vitale-*.json` hold.
pub struct SampleRights;

fn person(first: &str, birth: &str, quality: &str, nir: Option<&str>) -> Beneficiary {
    Beneficiary {
        last_name: String::new(),
        first_name: first.to_owned(),
        birth_date: birth.to_owned(),
        birth_rank: 1,
        quality: quality.to_owned(),
        nir: nir.map(str::to_owned),
    }
}

fn period(from: &str, until: &str, coverage: &str, nature: &str) -> RightsPeriod {
    RightsPeriod {
        from: from.to_owned(),
        until: until.to_owned(),
        coverage: coverage.to_owned(),
        nature: nature.to_owned(),
        beneficiary: None,
    }
}

fn amc(number: &str, name: &str, tiers_payant: bool, kind: AmcKind) -> Option<Amc> {
    Some(Amc {
        number: number.to_owned(),
        name: name.to_owned(),
        until: "2027-12-31".to_owned(),
        tiers_payant,
        kind,
    })
}

/// The rights on the fixture card of serial `serial`.
pub fn card_rights(serial: &str) -> Option<ResolvedRights> {
    let (_, nir, _, _, _, _, [regime, caisse, centre]) =
        PEOPLE.iter().find(|p| p.0 == serial).copied()?;
    let maladie = period("2025-01-01", "2027-12-31", "70", "maladie");
    let (beneficiaries, periods, ald, amc) = match serial {
        "4098765432" => (
            vec![person("THI MAI", "1992-01-08", "00", None)],
            vec![
                maladie,
                period("2026-06-01", "2027-01-31", "100", "maternite"),
            ],
            vec![],
            amc(
                "69500017",
                "Mutuelle des Canuts (fictive)",
                true,
                AmcKind::Mutuelle,
            ),
        ),
        "4012345678" => (
            vec![
                person("PIERRE", "1978-06-14", "00", None),
                person("SOPHIE", "1980-03-02", "02", Some("280036912304533")),
                person("LEA", "2012-09-15", "06", None),
                person("HUGO", "2015-04-21", "06", None),
            ],
            vec![maladie],
            vec![Ald {
                code: "08".to_owned(),
                until: "2028-03-31".to_owned(),
                beneficiary: 1,
            }],
            amc(
                "75500042",
                "Mutuelle du Faubourg (fictive)",
                false,
                AmcKind::Mutuelle,
            ),
        ),
        "4077712345" => (
            vec![person("INES", "1998-04-23", "00", None)],
            vec![maladie],
            vec![],
            amc(
                "69199999",
                "Complémentaire santé solidaire (fictive)",
                true,
                AmcKind::C2s,
            ),
        ),
        _ => (
            vec![person("ANGE", "1965-02-10", "00", None)],
            vec![maladie],
            vec![],
            None,
        ),
    };
    Some(ResolvedRights {
        origin: RightsOrigin::Vitale,
        card_serial: Some(serial.to_owned()),
        reference: None,
        modelled: false,
        nir: nir.to_owned(),
        beneficiaries,
        rights: Rights {
            regime: regime.to_owned(),
            caisse: caisse.to_owned(),
            centre: centre.to_owned(),
            periods,
            ald,
            amc,
        },
    })
}

impl RightsLookup for SampleRights {
    fn resolve(&self, r: &RightsRef) -> Result<ResolvedRights, BillingError> {
        match r {
            RightsRef::Vitale { card_serial } => card_rights(card_serial)
                .ok_or_else(|| unknown_reference("carte Vitale inconnue des exemples.")),
            RightsRef::Online { .. } => Err(unknown_reference(
                "les exemples n'ont pas de réponse de droits en ligne.",
            )),
        }
    }
}
