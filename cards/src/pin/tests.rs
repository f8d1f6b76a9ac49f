//! The PIN flow over the simulated CPS: tries, blocking, unblocking, the PIN pad, a card
//! pulled out at every command.

use super::*;
use crate::test_support::Recording;
use crate::transport::TransportError;
use passerelle_simcard::fixtures::card_from_spec;

const DURAND_PIN: &str = "4729";
const DURAND_PUK: &str = "20462913";

fn durand() -> Recording {
    Recording::new(card_from_spec("cps:durand-sage-femme").unwrap())
}

fn pin(digits: &str) -> PinCode {
    PinCode::new(digits)
}

fn status(tx: &mut Recording) -> (u8, bool) {
    let s = pin_status(tx).unwrap();
    (s.tries_left, s.verified)
}

#[test]
fn tries_go_three_two_one_then_blocked_with_one_verify_each() {
    let mut tx = durand();
    assert_eq!(
        pin_status(&mut tx).unwrap(),
        PinState {
            tries_left: 3,
            tries_max: 3,
            verified: false
        }
    );
    for (before, after) in [(3, 2), (2, 1)] {
        let sent = tx.count(ins::VERIFY);
        let e = verify_pin(&mut tx, PinEntry::Given(&pin("0000"))).unwrap_err();
        assert_eq!(
            e,
            CardError::PinIncorrect {
                tries_before: before,
                tries_left: after
            }
        );
        assert_eq!(tx.count(ins::VERIFY), sent + 1, "exactly one VERIFY");
        assert!(e.to_string().contains(&format!("{after} essai")), "{e}");
        assert_eq!(status(&mut tx), (after, false));
    }
    let e = verify_pin(&mut tx, PinEntry::Given(&pin("0000"))).unwrap_err();
    assert_eq!(e, CardError::PinBlocked);
    assert!(e.to_string().contains("code de déblocage"), "{e}");
    assert!(pin_status(&mut tx).unwrap().blocked());

    // Blocked: even the right PIN is not sent.
    let sent = tx.count(ins::VERIFY);
    let e = verify_pin(&mut tx, PinEntry::Given(&pin(DURAND_PIN))).unwrap_err();
    assert_eq!(e, CardError::PinBlocked);
    assert_eq!(tx.count(ins::VERIFY), sent, "no VERIFY to a blocked card");
}

#[test]
fn the_right_pin_verifies_and_resets_the_counter() {
    let mut tx = durand();
    let _ = verify_pin(&mut tx, PinEntry::Given(&pin("1111")));
    let ok = verify_pin(&mut tx, PinEntry::Given(&pin(DURAND_PIN))).unwrap();
    assert_eq!(
        ok,
        Verified {
            tries_before: 2,
            tries_left: 3
        }
    );
    assert_eq!(status(&mut tx), (3, true));
}

#[test]
fn a_pin_of_the_wrong_shape_sends_nothing() {
    for bad in ["", "123", "12345", "12a4", "１２３４", " 123"] {
        let mut tx = durand();
        let e = verify_pin(&mut tx, PinEntry::Given(&pin(bad))).unwrap_err();
        assert!(
            matches!(e, CardError::InvalidPinFormat { .. }),
            "{bad:?}: {e:?}"
        );
        assert!(tx.headers.is_empty(), "{bad:?}: nothing sent");
    }
}

#[test]
fn unblocking_needs_the_right_code_then_the_new_pin_verifies() {
    let mut tx = durand();
    for _ in 0..3 {
        let _ = verify_pin(&mut tx, PinEntry::Given(&pin("0000")));
    }
    assert!(pin_status(&mut tx).unwrap().blocked());
    assert_eq!(
        unblock_pin(&mut tx, &pin("00000000"), &pin("2468")),
        Err(CardError::UnblockCodeIncorrect { tries_left: 9 })
    );
    assert!(matches!(
        unblock_pin(&mut tx, &pin("123"), &pin("2468")),
        Err(CardError::InvalidPinFormat { .. })
    ));
    unblock_pin(&mut tx, &pin(DURAND_PUK), &pin("2468")).unwrap();
    assert_eq!(status(&mut tx), (3, false));
    verify_pin(&mut tx, PinEntry::Given(&pin("2468"))).unwrap();
}

#[test]
fn the_pin_pad_types_the_pin_and_the_daemon_never_sees_it() {
    let mut tx = durand();
    assert_eq!(
        verify_pin(&mut tx, PinEntry::PinPad),
        Err(CardError::SecurePinEntryUnavailable)
    );
    tx.pad = Some(None);
    assert_eq!(
        verify_pin(&mut tx, PinEntry::PinPad),
        Err(CardError::PinEntryCancelled)
    );
    assert_eq!(
        status(&mut tx),
        (3, false),
        "a cancelled entry costs no try"
    );
    tx.pad = Some(Some(b"9999".to_vec()));
    assert_eq!(
        verify_pin(&mut tx, PinEntry::PinPad),
        Err(CardError::PinIncorrect {
            tries_before: 3,
            tries_left: 2
        })
    );
    tx.pad = Some(Some(DURAND_PIN.as_bytes().to_vec()));
    assert!(verify_pin(&mut tx, PinEntry::PinPad).is_ok());
}

#[test]
fn a_card_pulled_out_at_any_command_burns_no_try_of_the_daemon() {
    let total = {
        let mut tx = durand();
        verify_pin(&mut tx, PinEntry::Given(&pin("0000"))).unwrap_err();
        tx.headers.len()
    };
    for left in 0..total {
        let mut tx = durand();
        tx.left = left;
        let e = verify_pin(&mut tx, PinEntry::Given(&pin("0000"))).unwrap_err();
        assert_eq!(
            e,
            CardError::Transport(TransportError::CardRemoved),
            "{left}"
        );
        assert_eq!(tx.count(ins::VERIFY), 0, "pulled before the VERIFY");
        tx.left = usize::MAX;
        assert_eq!(status(&mut tx), (3, false), "{left}");
    }
}

#[test]
fn no_pin_in_debug_or_errors() {
    let code = pin(DURAND_PIN);
    assert!(!format!("{code:?}").contains(DURAND_PIN));
    let request = passerelle_protocol::PinVerifyRequest {
        pin: Some(code),
        secure_pin_entry: false,
    };
    assert!(!format!("{request:?}").contains(DURAND_PIN));
    let mut tx = durand();
    let e = verify_pin(&mut tx, PinEntry::Given(&pin("0000"))).unwrap_err();
    assert!(!format!("{e:?} {e}").contains("0000"));
}
