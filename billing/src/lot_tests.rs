use std::cell::Cell;
use std::sync::Arc;

use passerelle_protocol::{CardKind, ErrorCode, FseStatus};

use super::*;
use crate::samples::{draft, ngap, varied};
use crate::test_support::{billing, created, fixture_signer, identity};
use crate::{KeySigner, SignError};

/// Signs with the fixture key until `fail_after` signatures, then fails.
struct Flaky {
    inner: KeySigner,
    left: Cell<u32>,
}

impl BillingSigner for Flaky {
    fn identity(&self) -> SignerIdentity {
        self.inner.identity()
    }
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        if self.left.get() == 0 {
            return Err(SignError("carte retirée".into()));
        }
        self.left.set(self.left.get() - 1);
        self.inner.sign_sha256(digest)
    }
    fn certificate_der(&self) -> Result<Vec<u8>, SignError> {
        self.inner.certificate_der()
    }
}

#[test]
fn who_may_sign_what() {
    let cases = [
        (CardKind::Cps, true, true, true, true),
        (CardKind::Cpf, true, true, true, true),
        (CardKind::Cps, true, false, true, false),
        (CardKind::Cps, false, true, false, true),
        (CardKind::Cpe, true, true, false, false),
        (CardKind::Vitale, true, true, false, false),
        (CardKind::Unknown, true, true, false, false),
    ];
    for (kind, inv, lot, fse_ok, lot_ok) in cases {
        let id = identity(kind, inv, lot);
        assert_eq!(check_signer(&id, false).is_ok(), fse_ok, "{kind:?} fse");
        assert_eq!(check_signer(&id, true).is_ok(), lot_ok, "{kind:?} lot");
        if let Err(e) = check_signer(&id, true) {
            assert_eq!(e.code(), ErrorCode::SignerNotAllowed);
        }
    }
}

#[test]
fn another_practitioners_fse_is_refused_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let b = billing(dir.path());
    let mut other = varied(1, "2026-03-01");
    other.practitioner.billing_number = "69318877".into();
    let ids: Vec<i64> = b
        .create_batch(
            &[varied(0, "2026-03-01"), other],
            &crate::samples::SampleRights,
            None,
        )
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap().id)
        .collect();
    let signer = fixture_signer("durand-sage-femme", identity(CardKind::Cps, true, true)).unwrap();
    let out = b.sign_fse_batch(&signer, &ids).unwrap();
    assert_eq!(out[0].as_ref().unwrap().status, FseStatus::Signed);
    assert_eq!(
        out[1].as_ref().unwrap_err().code(),
        ErrorCode::SignerNotAllowed
    );
    assert_eq!(b.fse(ids[1]).unwrap().status, FseStatus::Draft);
}

#[test]
fn a_failed_lot_signature_keeps_nothing_and_consumes_no_number() {
    let dir = tempfile::tempdir().unwrap();
    let b = billing(dir.path());
    // 60 FSE for one organism: two lots (50 + 10); the second signature fails.
    let drafts: Vec<_> = (0..60)
        .map(|_| {
            draft(
                0,
                "2026-03-01",
                passerelle_protocol::InsuranceNature::Maladie,
                passerelle_protocol::FseMode::Securisee,
                vec![ngap("C", "1", &[])],
            )
        })
        .collect();
    let ids = created(&b, &drafts);
    let fixture =
        || fixture_signer("durand-sage-femme", identity(CardKind::Cps, true, true)).unwrap();
    b.sign_fse_batch(&fixture(), &ids).unwrap();
    let flaky = Flaky {
        inner: fixture(),
        left: Cell::new(1),
    };
    assert_eq!(
        b.build_and_sign_lots(&flaky).unwrap_err().code(),
        ErrorCode::SigningFailed
    );
    assert!(b.lots(None).unwrap().is_empty());
    assert!(ids
        .iter()
        .all(|id| b.fse(*id).unwrap().status == FseStatus::Signed));
    // Then it works, numbered from 001, 50 + 10.
    let lots = b.build_and_sign_lots(&fixture()).unwrap();
    let shape: Vec<(&str, u32)> = lots
        .iter()
        .map(|l| (l.number.as_str(), l.invoice_count))
        .collect();
    assert_eq!(shape, [("001", MAX_INVOICES_PER_LOT as u32), ("002", 10)]);
}

#[test]
fn concurrent_writers_never_share_a_number() {
    let dir = tempfile::tempdir().unwrap();
    // Two handles on the same file, as two processes would be, four threads.
    let a = Arc::new(billing(dir.path()));
    let b = Arc::new(billing(dir.path()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let billing = if t % 2 == 0 { a.clone() } else { b.clone() };
            std::thread::spawn(move || {
                for i in 0..10 {
                    let out = billing
                        .create_batch(
                            &[varied(i, "2026-03-01"), varied(i + 1, "2026-03-01")],
                            &crate::samples::SampleRights,
                            None,
                        )
                        .unwrap();
                    assert!(out.iter().all(|r| r.is_ok()));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut numbers: Vec<String> = a
        .list(&Default::default())
        .unwrap()
        .into_iter()
        .map(|f| f.number)
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=80).map(|n| format!("{n:09}")).collect();
    assert_eq!(numbers, expected);
}

#[test]
fn keyed_signing_and_lot_build_never_sign_or_number_twice() {
    let dir = tempfile::tempdir().unwrap();
    let b = billing(dir.path());
    let drafts: Vec<_> = (0..4).map(|i| varied(i, "2026-03-02")).collect();
    let ids = created(&b, &drafts);
    let counted = Flaky {
        inner: fixture_signer("durand-sage-femme", identity(CardKind::Cps, true, true)).unwrap(),
        left: Cell::new(1000),
    };
    let first = b
        .sign_fse_batch_keyed(&counted, &ids[..3], Some("s1"))
        .unwrap();
    assert!(first.iter().all(Result::is_ok));
    assert_eq!(counted.left.get(), 997);
    // The retry answers the same FSE, signs only the new one.
    let again = b.sign_fse_batch_keyed(&counted, &ids, Some("s1")).unwrap();
    assert!(again.iter().all(Result::is_ok), "{again:?}");
    assert_eq!(counted.left.get(), 996);
    // Without the key, an FSE already signed is refused.
    let e = b
        .sign_fse_batch_keyed(&counted, &ids[..1], Some("s2"))
        .unwrap();
    assert_eq!(
        e[0].as_ref().unwrap_err().code(),
        ErrorCode::InvalidTransition
    );

    let lots = b.build_and_sign_lots_keyed(&counted, Some("l1")).unwrap();
    assert!(!lots.is_empty());
    let used = counted.left.get();
    let retry = b.build_and_sign_lots_keyed(&counted, Some("l1")).unwrap();
    assert_eq!(
        retry.iter().map(|l| l.id).collect::<Vec<_>>(),
        lots.iter().map(|l| l.id).collect::<Vec<_>>()
    );
    assert_eq!(counted.left.get(), used, "no signature on replay");
    assert_eq!(b.lots(None).unwrap().len(), lots.len());
    let other = Flaky {
        inner: fixture_signer("durand-sage-femme", {
            let mut i = identity(CardKind::Cps, true, true);
            i.billing_number = "69318877".into();
            i
        })
        .unwrap(),
        left: Cell::new(10),
    };
    let reused = b.build_and_sign_lots_keyed(&other, Some("l1")).unwrap_err();
    assert_eq!(reused.code(), ErrorCode::IdempotencyKeyReused);
    let bad = b.build_and_sign_lots_keyed(&counted, Some("")).unwrap_err();
    assert_eq!(bad.code(), ErrorCode::InvalidFseField);
}
