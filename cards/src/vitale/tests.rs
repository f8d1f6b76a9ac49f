use passerelle_protocol::{Ald, Amc, Beneficiary, CardKind, DataSource, Rights, RightsPeriod};

use super::*;
use crate::atr::VITALE2_ATR;
use crate::test_support::DirectTransaction;
use crate::test_support::{iso, Garbage, PulledAfter, Truncating};
use crate::transport::TransportError;
use passerelle_simcard::fixtures::{self, Fixture, VitaleFixture};
use passerelle_simcard::{SimCard, SimVitale};

const VITALES: [&str; 4] = [
    "vitale:martin-famille",
    "vitale:nguyen",
    "vitale:santoni-corse",
    "vitale:bernard-c2s",
];

fn fixture(spec: &str) -> VitaleFixture {
    match fixtures::fixture(spec).unwrap() {
        Fixture::Vitale(v) => v,
        Fixture::Cpx(_) => panic!("{spec}"),
    }
}

fn unlocked(f: VitaleFixture) -> Box<dyn SimCard> {
    let mut card = SimVitale::new(f);
    card.unlock_protected_zone();
    Box::new(card)
}

/// What `read_vitale` must give for `f`, field for field from the fixture JSON.
fn expected(f: &VitaleFixture, with_rights: bool) -> VitaleCard {
    let beneficiaries: Vec<Beneficiary> = f
        .beneficiaries
        .iter()
        .map(|b| Beneficiary {
            last_name: b.last_name.clone(),
            first_name: b.first_name.clone(),
            birth_date: iso(&b.birth_date),
            birth_rank: b.birth_rank,
            quality: b.quality.clone(),
            nir: b.nir.clone(),
        })
        .collect();
    let r = &f.rights;
    let rights = Rights {
        regime: r.regime.clone(),
        caisse: r.caisse.clone(),
        centre: r.centre.clone(),
        periods: r
            .periods
            .iter()
            .map(|p| RightsPeriod {
                from: iso(&p.from),
                until: iso(&p.until),
                coverage: p.coverage.clone(),
                nature: p.nature.clone(),
                beneficiary: p.beneficiary,
            })
            .collect(),
        ald: r
            .ald
            .iter()
            .map(|a| Ald {
                code: a.code.clone(),
                until: iso(&a.until),
                beneficiary: a.beneficiary,
            })
            .collect(),
        amc: r.amc.as_ref().map(|a| Amc {
            number: a.number.clone(),
            name: a.name.clone(),
            until: iso(&a.until),
            tiers_payant: a.tiers_payant,
            kind: if a.c2s {
                AmcKind::C2s
            } else {
                AmcKind::Mutuelle
            },
        }),
    };
    VitaleCard {
        serial: f.serial.clone(),
        valid_until: iso(&f.valid_until),
        insured: beneficiaries[0].clone(),
        beneficiaries,
        nir: Nir {
            value: f.nir.clone(),
            key_valid: true,
        },
        rights: with_rights.then_some(rights),
        rights_unavailable: None,
        source: DataSource::Card,
    }
}

#[test]
fn every_fixture_patient_reads_back_without_rights_by_default() {
    for spec in VITALES {
        let mut tx = DirectTransaction::new(fixtures::card_from_spec(spec).unwrap());
        let card = read_vitale(&mut tx).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(card, expected(&fixture(spec), false), "{spec}");
        assert!(card.rights.is_none());
    }
}

#[test]
fn every_fixture_patient_reads_back_with_rights_once_unlocked() {
    for spec in VITALES {
        let f = fixture(spec);
        let mut tx = DirectTransaction::new(unlocked(f.clone()));
        let card = read_vitale(&mut tx).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(card, expected(&f, true), "{spec}");
    }
    let martin = read_vitale(&mut DirectTransaction::new(unlocked(fixture(VITALES[0])))).unwrap();
    assert_eq!(martin.beneficiaries.len(), 4);
    assert_eq!(martin.insured.first_name, "PIERRE");
    assert_eq!(martin.rights.unwrap().ald[0].until, "2028-03-31");
}

#[test]
fn six_people_with_long_names_need_more_than_one_chunk() {
    let mut f = fixture("vitale:martin-famille");
    let template = f.beneficiaries[2].clone();
    while f.beneficiaries.len() < 6 {
        f.beneficiaries.push(template.clone());
    }
    for b in &mut f.beneficiaries {
        b.last_name = format!("{}-DE-LA-FONTAINE-SAINT-ANDRE", b.last_name);
    }
    let mut tx = PulledAfter::new(unlocked(f.clone()), usize::MAX);
    let card = read_vitale(&mut tx).unwrap();
    assert_eq!(card, expected(&f, true));
    assert!(tx.sent > 5, "the beneficiaries take two READ BINARY");
}

#[test]
fn a_wrong_nir_key_is_refused() {
    let mut f = fixture("vitale:martin-famille");
    f.nir = "178067511223316".into();
    let card = fixtures::build("clé fausse", Fixture::Vitale(f)).unwrap();
    let err = read_vitale(&mut DirectTransaction::new(card)).unwrap_err();
    assert_eq!(
        err,
        CardError::InvalidNir {
            nir: "178067511223316".into()
        }
    );
    assert!(err.to_string().contains("clé de contrôle"));

    // A beneficiary's own NIR is checked as well; so is a NIR of the wrong length.
    let mut f = fixture("vitale:martin-famille");
    f.beneficiaries[1].nir = Some("280036912304534".into());
    let err = read_vitale(&mut DirectTransaction::new(Box::new(SimVitale::new(f)))).unwrap_err();
    assert!(matches!(err, CardError::InvalidNir { .. }), "{err:?}");
    let mut f = fixture("vitale:nguyen");
    f.nir = "2920169388012".into();
    let err = read_vitale(&mut DirectTransaction::new(Box::new(SimVitale::new(f)))).unwrap_err();
    assert!(matches!(err, CardError::InvalidNir { .. }), "{err:?}");
}

#[test]
fn a_pulled_card_never_gives_a_half_read() {
    for (spec, rights) in [(VITALES[0], false), (VITALES[0], true), (VITALES[1], true)] {
        let card = || match rights {
            true => unlocked(fixture(spec)),
            false => fixtures::card_from_spec(spec).unwrap(),
        };
        let mut full = PulledAfter::new(card(), usize::MAX);
        read_vitale(&mut full).unwrap();
        let apdus = full.sent;
        assert!(apdus >= 5);
        for n in 0..apdus {
            let result = read_vitale(&mut PulledAfter::new(card(), n));
            assert_eq!(
                result,
                Err(CardError::Transport(TransportError::CardRemoved)),
                "{spec} pulled after {n}"
            );
        }
        assert!(read_vitale(&mut PulledAfter::new(card(), apdus)).is_ok());
    }
}

#[test]
fn garbage_answers_are_errors_never_panics() {
    for seed in 1..2000u64 {
        let card = Garbage {
            atr: VITALE2_ATR.to_vec(),
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        };
        let result = read_vitale(&mut DirectTransaction::new(Box::new(card)));
        assert!(
            matches!(
                result,
                Err(CardError::Malformed { .. } | CardError::Status { .. })
            ),
            "seed {seed}: {result:?}"
        );
    }
}

#[test]
fn truncated_data_is_malformed() {
    for keep in [0, 1, 5, 20, 60] {
        let card = Truncating {
            card: unlocked(fixture("vitale:martin-famille")),
            keep,
        };
        let result = read_vitale(&mut DirectTransaction::new(Box::new(card)));
        assert!(
            matches!(result, Err(CardError::Malformed { .. })),
            "keep {keep}: {result:?}"
        );
    }
}

#[test]
fn a_practitioner_card_is_the_wrong_card() {
    let card = fixtures::card_from_spec("cps:lefevre-medecin").unwrap();
    let err = read_vitale(&mut DirectTransaction::new(card)).unwrap_err();
    assert_eq!(
        err,
        CardError::WrongCard {
            expected: CardKind::Vitale,
            found: CardKind::Cps
        }
    );
}
