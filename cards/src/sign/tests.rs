//! Signing with the simulated CPS and checking against its certificate.

use sha2::Digest;

use super::*;
use crate::pin::{verify_pin, PinEntry};
use crate::test_support::Recording;
use crate::transport::TransportError;
use crate::{read_certificate, KeyUse};
use passerelle_protocol::PinCode;
use passerelle_simcard::fixtures::card_from_spec;

fn verified_durand() -> Recording {
    let mut tx = Recording::new(card_from_spec("cps:durand-sage-femme").unwrap());
    verify_pin(&mut tx, PinEntry::Given(&PinCode::new("4729"))).unwrap();
    tx
}

fn digest(data: &[u8]) -> [u8; 32] {
    sha2::Sha256::digest(data).into()
}

#[test]
fn a_signature_verifies_against_the_card_certificate() {
    let mut tx = verified_durand();
    let certificate = read_certificate(&mut tx, KeyUse::Signature).unwrap();
    let d = digest(b"lot 001");
    let signature = sign_digest(&mut tx, &d).unwrap();
    assert_eq!(signature.len(), 256);
    check_signature(&certificate, &d, &signature).unwrap();
    assert_eq!(
        check_signature(&certificate, &digest(b"lot 002"), &signature),
        Err(CardError::SignatureNotVerified)
    );
    let auth = read_certificate(&mut tx, KeyUse::Authentication).unwrap();
    assert_eq!(
        check_signature(&auth, &d, &signature),
        Err(CardError::SignatureNotVerified),
        "the authentication key's certificate does not match a signature"
    );
    assert!(matches!(
        check_signature(b"not a certificate", &d, &signature),
        Err(CardError::Malformed { .. })
    ));
}

#[test]
fn signing_needs_the_pin() {
    let mut tx = Recording::new(card_from_spec("cps:durand-sage-femme").unwrap());
    assert_eq!(
        sign_digest(&mut tx, &digest(b"x")),
        Err(CardError::PinRequired)
    );
}

#[test]
fn a_card_pulled_out_at_any_command_of_a_signature_is_a_clean_error() {
    let total = {
        let mut tx = verified_durand();
        let before = tx.headers.len();
        sign_digest(&mut tx, &digest(b"x")).unwrap();
        tx.headers.len() - before
    };
    assert_eq!(total, 3, "SELECT, MSE SET, PSO");
    for left in 0..total {
        let mut tx = verified_durand();
        tx.left = left;
        assert_eq!(
            sign_digest(&mut tx, &digest(b"x")),
            Err(CardError::Transport(TransportError::CardRemoved))
        );
    }
}
