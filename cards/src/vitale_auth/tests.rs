//! The modelled card-to-card authentication between the simulated cards.

use super::*;
use crate::pin::{verify_pin, PinEntry};
use crate::test_support::Recording;
use crate::{read_certificate, read_vitale, KeyUse};
use passerelle_protocol::PinCode;
use passerelle_simcard::fixtures::card_from_spec;

fn cards(cpx: &str, pin: Option<&str>) -> (Recording, Recording) {
    let vitale = Recording::new(card_from_spec("vitale:martin-famille").unwrap());
    let mut cps = Recording::new(card_from_spec(cpx).unwrap());
    if let Some(pin) = pin {
        verify_pin(&mut cps, PinEntry::Given(&PinCode::new(pin))).unwrap();
    }
    (vitale, cps)
}

#[test]
fn a_verified_cpx_opens_the_protected_zone() {
    let (mut vitale, mut cps) = cards("cps:durand-sage-femme", Some("4729"));
    assert!(read_vitale(&mut vitale).unwrap().rights.is_none());
    let challenge = vitale_challenge(&mut vitale).unwrap();
    let signature = cpx_authenticate(&mut cps, &challenge).unwrap();
    let certificate = read_certificate(&mut cps, KeyUse::Authentication).unwrap();
    open_protected_zone(&mut vitale, &certificate, &signature).unwrap();
    let rights = read_vitale(&mut vitale).unwrap().rights.expect("rights");
    assert_eq!(rights.regime, "01");
    // Reset: locked again.
    vitale.inner.card_mut().reset();
    assert!(read_vitale(&mut vitale).unwrap().rights.is_none());
}

#[test]
fn a_cpe_also_opens_it_but_not_without_its_pin() {
    let (mut vitale, mut cpe) = cards("cpe:petit-secretaire", None);
    let challenge = vitale_challenge(&mut vitale).unwrap();
    assert_eq!(
        cpx_authenticate(&mut cpe, &challenge),
        Err(CardError::PinRequired)
    );
    verify_pin(&mut cpe, PinEntry::Given(&PinCode::new("6081"))).unwrap();
    let signature = cpx_authenticate(&mut cpe, &challenge).unwrap();
    let certificate = read_certificate(&mut cpe, KeyUse::Authentication).unwrap();
    open_protected_zone(&mut vitale, &certificate, &signature).unwrap();
    assert!(read_vitale(&mut vitale).unwrap().rights.is_some());
}

#[test]
fn a_wrong_signature_or_certificate_keeps_it_closed() {
    let (mut vitale, mut cps) = cards("cps:durand-sage-femme", Some("4729"));
    let certificate = read_certificate(&mut cps, KeyUse::Authentication).unwrap();
    // A signature of another challenge.
    let _ = vitale_challenge(&mut vitale).unwrap();
    let stale = cpx_authenticate(&mut cps, b"not the challenge").unwrap();
    assert!(matches!(
        open_protected_zone(&mut vitale, &certificate, &stale),
        Err(CardError::Status {
            sw: StatusWord::SecurityNotSatisfied,
            ..
        })
    ));
    // The signature certificate does not match the authentication key.
    let challenge = vitale_challenge(&mut vitale).unwrap();
    let signature = cpx_authenticate(&mut cps, &challenge).unwrap();
    let wrong = read_certificate(&mut cps, KeyUse::Signature).unwrap();
    assert!(open_protected_zone(&mut vitale, &wrong, &signature).is_err());
    // Garbage as a certificate.
    assert!(open_protected_zone(&mut vitale, &[0x30; 300], &signature).is_err());
    assert!(read_vitale(&mut vitale).unwrap().rights.is_none());
}
