//! Every card profile over cards answering as T=0 cards do (`61 xx`, `6C xx`): the same
//! results as over the plain simulated cards, and the ISO 7816-4 rules on scripted cards.

use std::collections::VecDeque;

use passerelle_protocol::{CardKind, PinCode};
use passerelle_simcard::fixtures::card_from_spec;
use passerelle_simcard::{SimCard, SimVitale};

use crate::pin::{pin_status, verify_pin, PinEntry};
use crate::test_support::{DirectTransaction, Recording};
use crate::vitale_auth::{cpx_authenticate, open_protected_zone, vitale_challenge};
use crate::{
    check_signature, identify, read_certificate, read_cpx, read_vitale, sign_digest, CardError,
    KeyUse,
};

fn t0(spec: &str) -> DirectTransaction {
    DirectTransaction::new(card_from_spec(&format!("{spec}+t0")).unwrap())
}

fn plain(spec: &str) -> DirectTransaction {
    DirectTransaction::new(card_from_spec(spec).unwrap())
}

#[test]
fn every_vitale_reads_whole_over_t0() {
    for spec in [
        "vitale:martin-famille",
        "vitale:nguyen",
        "vitale:santoni-corse",
    ] {
        let mut reference = Recording::new(card_from_spec(spec).unwrap());
        let expected = read_vitale(&mut reference).unwrap();
        let mut card = Recording::new(card_from_spec(&format!("{spec}+t0")).unwrap());
        assert_eq!(read_vitale(&mut card).unwrap(), expected, "{spec}");
        assert!(
            card.count(0xB0) > reference.count(0xB0),
            "{spec}: READ BINARY sent again with the Le of 6C xx"
        );
    }
}

#[test]
fn every_cpx_card_is_identified_and_read_whole_over_t0() {
    for (spec, kind) in [
        ("cps:durand-sage-femme", CardKind::Cps),
        ("cps:lefevre-medecin", CardKind::Cps),
        ("cpe:petit-secretaire", CardKind::Cpe),
        ("cpf:moreau-remplacant", CardKind::Cpf),
    ] {
        assert_eq!(identify(&mut t0(spec)), kind, "{spec}");
        let expected = read_cpx(&mut plain(spec)).unwrap();
        assert_eq!(read_cpx(&mut t0(spec)).unwrap(), expected, "{spec}");
        for which in [KeyUse::Signature, KeyUse::Authentication] {
            assert_eq!(
                read_certificate(&mut t0(spec), which).unwrap(),
                read_certificate(&mut plain(spec), which).unwrap(),
                "{spec} {which:?}"
            );
        }
    }
}

#[test]
fn pin_signature_and_card_to_card_authentication_over_t0() {
    let mut cps = Recording::new(card_from_spec("cps:durand-sage-femme+t0").unwrap());
    let state = pin_status(&mut cps).unwrap();
    assert_eq!((state.tries_left, state.verified), (3, false));
    verify_pin(&mut cps, PinEntry::Given(&PinCode::new("4729"))).unwrap();
    assert!(pin_status(&mut cps).unwrap().verified);
    // A 256-byte signature: `61 80`, then two chained GET RESPONSE.
    let digest = [0x5A; 32];
    let signature = sign_digest(&mut cps, &digest).unwrap();
    assert_eq!(signature.len(), 256);
    assert!(
        cps.count(0xC0) >= 2,
        "the signature came through GET RESPONSE"
    );
    let certificate = read_certificate(&mut cps, KeyUse::Signature).unwrap();
    check_signature(&certificate, &digest, &signature).unwrap();

    let mut vitale = t0("vitale:martin-famille");
    let challenge = vitale_challenge(&mut vitale).unwrap();
    let answer = cpx_authenticate(&mut cps, &challenge).unwrap();
    let auth_certificate = read_certificate(&mut cps, KeyUse::Authentication).unwrap();
    open_protected_zone(&mut vitale, &auth_certificate, &answer).unwrap();
    let mut unlocked = SimVitale::new(
        match passerelle_simcard::fixtures::fixture("vitale:martin-famille").unwrap() {
            passerelle_simcard::fixtures::Fixture::Vitale(v) => v,
            _ => unreachable!(),
        },
    );
    unlocked.unlock_protected_zone();
    let expected = read_vitale(&mut DirectTransaction::new(Box::new(unlocked))).unwrap();
    assert_eq!(read_vitale(&mut vitale).unwrap(), expected);
}

/// A card answering from a script: each command is recorded, each answer taken in turn.
struct Scripted {
    answers: VecDeque<Vec<u8>>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl SimCard for Scripted {
    fn atr(&self) -> Vec<u8> {
        crate::atr::VITALE2_ATR.to_vec()
    }
    fn reset(&mut self) {}
    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        self.seen.lock().unwrap().push(command.to_vec());
        self.answers.pop_front().unwrap_or_else(|| vec![0x6F, 0x00])
    }
}

type Seen = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

fn scripted(answers: Vec<Vec<u8>>) -> (DirectTransaction, Seen) {
    let seen = Seen::default();
    let card = Scripted {
        answers: answers.into(),
        seen: seen.clone(),
    };
    (DirectTransaction::new(Box::new(card)), seen)
}

fn with_sw(data: &[u8], sw: [u8; 2]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.extend_from_slice(&sw);
    out
}

#[test]
fn sixty_one_00_means_256_bytes_and_chains_until_90_00() {
    let (mut tx, seen) = scripted(vec![
        vec![0x61, 0x00],
        with_sw(&[1; 256], [0x61, 0x03]),
        with_sw(&[2; 3], [0x90, 0x00]),
    ]);
    let command = crate::commands::internal_authenticate(&[9; 20]);
    let response = super::send(&mut tx, &command).unwrap();
    assert!(response.is_success());
    assert_eq!(response.data().len(), 259);
    assert_eq!(&response.data()[256..], &[2, 2, 2]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen[1], vec![0x00, 0xC0, 0x00, 0x00, 0x00]);
    assert_eq!(seen[2], vec![0x00, 0xC0, 0x00, 0x00, 0x03]);
}

#[test]
fn sixty_c_sends_the_same_command_again_with_the_le_given_then_fetches_the_rest() {
    let (mut tx, seen) = scripted(vec![
        vec![0x6C, 0x10],
        with_sw(&[7; 8], [0x61, 0x08]),
        with_sw(&[8; 8], [0x90, 0x00]),
    ]);
    let response = super::send(&mut tx, &crate::commands::read_binary(0)).unwrap();
    assert_eq!(response.data(), [[7u8; 8], [8u8; 8]].concat());
    let seen = seen.lock().unwrap();
    assert_eq!(seen[1], vec![0x00, 0xB0, 0x00, 0x00, 0x10]);
    assert_eq!(seen[2], vec![0x00, 0xC0, 0x00, 0x00, 0x08]);
}

#[test]
fn a_card_that_never_stops_announcing_data_is_malformed_not_a_loop() {
    let endless = (0..2000)
        .map(|_| with_sw(&[0; 200], [0x61, 0xC8]))
        .collect();
    let (mut tx, seen) = scripted(endless);
    let failed = super::send(&mut tx, &crate::commands::read_binary(0));
    assert!(
        matches!(failed, Err(CardError::Malformed { .. })),
        "{failed:?}"
    );
    assert!(seen.lock().unwrap().len() < 400);
}

#[test]
fn an_error_after_get_response_is_the_answer_with_what_came_before() {
    let (mut tx, _) = scripted(vec![vec![0x61, 0x04], vec![0x6A, 0x82]]);
    let response = super::send(&mut tx, &crate::commands::read_binary(0)).unwrap();
    assert_eq!(u16::from(response.status()), 0x6A82);
}
