use passerelle_protocol::{CardKind, Holder, PracticeMode, Situation};

use super::*;
use crate::atr::CPS3_ATR;
use crate::test_support::DirectTransaction;
use crate::test_support::{iso, Garbage, PulledAfter, Truncating};
use crate::transport::TransportError;
use passerelle_simcard::fixtures::{self, CpxFixture, Fixture};

const CPX: [&str; 4] = [
    "cps:durand-sage-femme",
    "cps:lefevre-medecin",
    "cpe:petit-secretaire",
    "cpf:moreau-remplacant",
];

fn fixture(spec: &str) -> CpxFixture {
    match fixtures::fixture(spec).unwrap() {
        Fixture::Cpx(c) => c,
        Fixture::Vitale(_) => panic!("{spec}"),
    }
}

fn tx(spec: &str) -> DirectTransaction {
    DirectTransaction::new(fixtures::card_from_spec(spec).unwrap())
}

/// What `read_cpx` must give for `f`, field for field from the fixture JSON.
fn expected(f: &CpxFixture) -> CpxCard {
    let h = &f.holder;
    CpxCard {
        kind: match f.card_type.as_str() {
            "CPS" => CardKind::Cps,
            "CPE" => CardKind::Cpe,
            _ => CardKind::Cpf,
        },
        serial: f.serial.clone(),
        valid_from: iso(&f.valid_from),
        valid_until: iso(&f.valid_until),
        holder: Holder {
            id_type: h.id_type.clone(),
            id: h.id.clone(),
            civility: h.civility.clone(),
            last_name: h.last_name.clone(),
            first_name: h.first_name.clone(),
            profession: h.profession.clone(),
            speciality: h.speciality.clone(),
        },
        situations: f
            .situations
            .iter()
            .enumerate()
            .map(|(i, s)| Situation {
                index: i as u8,
                mode: match s.mode.as_str() {
                    "L" => PracticeMode::Liberal,
                    "S" => PracticeMode::Salarie,
                    _ => PracticeMode::Remplacant,
                },
                billing_number: s.billing_number.clone(),
                billing_key: s.billing_key.clone(),
                billing_key_valid: true,
                structure_id: s.structure_id.clone(),
                structure_name: s.structure_name.clone(),
                tariff_zone: s.tariff_zone.clone(),
                agreement: s.agreement.clone(),
                may_sign_invoice: s.may_sign_invoice,
                may_sign_lot: s.may_sign_lot,
                speciality: s.speciality.clone(),
            })
            .collect(),
    }
}

#[test]
fn billing_keys() {
    assert_eq!(billing_key("75123456"), Some(8));
    assert_eq!(billing_key("69312233"), Some(5));
    assert_eq!(billing_key("7512345"), None);
    assert_eq!(billing_key("7512345A"), None);
}

#[test]
fn every_fixture_practitioner_reads_back() {
    for spec in CPX {
        let card = read_cpx(&mut tx(spec)).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(card, expected(&fixture(spec)), "{spec}");
    }
    let moreau = read_cpx(&mut tx("cpf:moreau-remplacant")).unwrap();
    assert_eq!(moreau.situations[0].mode, PracticeMode::Remplacant);
}

#[test]
fn sixteen_situations_and_a_wrong_billing_key() {
    let mut f = fixture("cps:durand-sage-femme");
    let template = f.situations[0].clone();
    f.situations = (0..16).map(|_| template.clone()).collect();
    f.situations[3].billing_key = "0".into();
    assert_ne!(template.billing_key, "0");
    let card = fixtures::build("seize", Fixture::Cpx(f.clone())).unwrap();
    let read = read_cpx(&mut DirectTransaction::new(card)).unwrap();
    assert_eq!(read.situations.len(), 16);
    assert_eq!(read.situations[15].index, 15);
    let mut want = expected(&f);
    want.situations[3].billing_key_valid = false;
    assert_eq!(read, want);
}

#[test]
fn certificates_read_in_chunks_match_the_fixture() {
    for spec in CPX {
        let keys = fixtures::keys(&fixture(spec).id).unwrap();
        let mut t = tx(spec);
        let sig = read_certificate(&mut t, KeyUse::Signature).unwrap();
        let auth = read_certificate(&mut t, KeyUse::Authentication).unwrap();
        assert_eq!(sig, keys.sig_cert, "{spec}");
        assert_eq!(auth, keys.auth_cert, "{spec}");
        assert!(sig.len() > 256);
    }
}

#[test]
fn a_pulled_card_never_gives_a_half_read() {
    for spec in ["cps:durand-sage-femme", "cpe:petit-secretaire"] {
        let card = || fixtures::card_from_spec(spec).unwrap();
        let mut full = PulledAfter::new(card(), usize::MAX);
        read_cpx(&mut full).unwrap();
        let apdus = full.sent;
        assert!(apdus >= 8, "{apdus}");
        for n in 0..apdus {
            assert_eq!(
                read_cpx(&mut PulledAfter::new(card(), n)),
                Err(CardError::Transport(TransportError::CardRemoved)),
                "{spec} pulled after {n}"
            );
        }
        assert!(read_cpx(&mut PulledAfter::new(card(), apdus)).is_ok());

        let mut full = PulledAfter::new(card(), usize::MAX);
        read_certificate(&mut full, KeyUse::Signature).unwrap();
        let apdus = full.sent;
        assert!(apdus >= 4, "{apdus}");
        for n in 0..apdus {
            assert_eq!(
                read_certificate(&mut PulledAfter::new(card(), n), KeyUse::Signature),
                Err(CardError::Transport(TransportError::CardRemoved)),
                "{spec} certificate pulled after {n}"
            );
        }
    }
}

#[test]
fn garbage_answers_are_errors_never_panics() {
    for seed in 1..2000u64 {
        let garbage = || Garbage {
            atr: CPS3_ATR.to_vec(),
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        };
        let result = read_cpx(&mut DirectTransaction::new(Box::new(garbage())));
        assert!(
            matches!(
                result,
                Err(CardError::Malformed { .. } | CardError::Status { .. })
            ),
            "seed {seed}: {result:?}"
        );
        let cert = read_certificate(
            &mut DirectTransaction::new(Box::new(garbage())),
            KeyUse::Authentication,
        );
        assert!(
            matches!(
                cert,
                Err(CardError::Malformed { .. } | CardError::Status { .. }) | Ok(_)
            ),
            "seed {seed}: {cert:?}"
        );
    }
}

#[test]
fn truncated_data_is_malformed() {
    for keep in [0, 1, 5, 20] {
        let card = Truncating {
            card: fixtures::card_from_spec("cps:lefevre-medecin").unwrap(),
            keep,
        };
        let result = read_cpx(&mut DirectTransaction::new(Box::new(card)));
        assert!(
            matches!(result, Err(CardError::Malformed { .. })),
            "keep {keep}: {result:?}"
        );
    }
}

#[test]
fn a_vitale_card_is_the_wrong_card() {
    let err = read_cpx(&mut tx("vitale:nguyen")).unwrap_err();
    assert_eq!(
        err,
        CardError::WrongCard {
            expected: CardKind::Cps,
            found: CardKind::Vitale
        }
    );
    assert!(matches!(
        read_certificate(&mut tx("vitale:nguyen"), KeyUse::Signature),
        Err(CardError::WrongCard { .. })
    ));
}
