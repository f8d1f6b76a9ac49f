//! The outbox's moves, each checked in the store.

use passerelle_protocol::{
    AttemptReason, AttemptState, ErrorCode, FseMode, FseStatus, InsuranceNature, LotStatus,
};
use time::Duration;

use super::*;
use crate::samples::{draft, ngap};
use crate::test_support::{billing_with, created, midwife};

/// Two signed lots (two organisms) of the midwife; their ids.
fn two_lots(b: &Billing) -> Vec<i64> {
    // Persons 0 and 1 of the fixtures belong to two caisses (691, 751).
    let other = draft(
        1,
        "2026-03-01",
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("C", "1", &[])],
    );
    let drafts = [
        draft(
            0,
            "2026-03-01",
            InsuranceNature::Maladie,
            FseMode::Securisee,
            vec![ngap("C", "1", &[])],
        ),
        other,
    ];
    let ids = created(b, &drafts);
    b.sign_fse_batch(&midwife(), &ids).unwrap();
    b.build_and_sign_lots(&midwife())
        .unwrap()
        .iter()
        .map(|l| l.id)
        .collect()
}

#[test]
fn queueing_moves_the_lot_and_twice_queues_once() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let lots = two_lots(&b);
    assert_eq!(lots.len(), 2);
    let a = b.queue_lot(lots[0], AttemptReason::First).unwrap();
    assert_eq!(a.state, AttemptState::Queued);
    assert_eq!(a.attempt, 1);
    assert!(a.message_id.starts_with('<') && a.message_id.ends_with("@passerelle.invalid>"));
    assert_eq!(
        b.lot_detail(lots[0]).unwrap().lot.status,
        LotStatus::Sending
    );
    let again = b.queue_lot(lots[0], AttemptReason::First).unwrap();
    assert_eq!(again, a, "an open attempt is answered, not doubled");
    let all = b.queue_signed_lots(None, AttemptReason::First).unwrap();
    assert_eq!(all.len(), 1, "only the lot still signed: {all:?}");
    assert_eq!(b.outbox(10).unwrap().len(), 2);
}

#[test]
fn sent_moves_the_lot_and_its_fse() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let lot = two_lots(&b)[0];
    let a = b.queue_lot(lot, AttemptReason::First).unwrap();
    let due = b.due_attempts(b.clock.now()).unwrap();
    assert_eq!(due.len(), 1);
    assert!(due[0].message.is_none());
    b.claim(a.id, "01751@751.01.rss.fr", b"the message")
        .unwrap();
    let (sent, lot_now) = b.mark_sent(a.id, "2.0.0 Ok: queued as X").unwrap();
    assert_eq!(sent.state, AttemptState::Sent);
    assert_eq!(sent.tries, 1);
    assert_eq!(lot_now.fse_lot().unwrap().status, LotStatus::Sent);
    let fse = b
        .store
        .read(|c| crate::store::fse_rows::of_lot(c, lot))
        .unwrap();
    assert!(!fse.is_empty());
    assert!(fse.iter().all(|f| f.status == FseStatus::Sent), "{fse:?}");
    assert!(b.due_attempts(b.clock.now()).unwrap().is_empty());
    // A sent lot cannot be queued again (a re-send follows a negative ARL).
    let e = b.queue_lot(lot, AttemptReason::First).unwrap_err();
    assert_eq!(e.code(), ErrorCode::LotNotSendable);
}

#[test]
fn a_temporary_failure_keeps_the_message_and_waits() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let lot = two_lots(&b)[0];
    let a = b.queue_lot(lot, AttemptReason::First).unwrap();
    b.claim(a.id, "r@x", b"bytes").unwrap();
    let later = b.clock.now() + Duration::minutes(5);
    let waiting = b
        .mark_temporary(a.id, AttemptState::Sending, "421 busy", later)
        .unwrap();
    assert_eq!(waiting.state, AttemptState::Queued);
    assert_eq!(waiting.tries, 1);
    assert!(b.due_attempts(b.clock.now()).unwrap().is_empty());
    clock.advance(Duration::minutes(5));
    let due = b.due_attempts(b.clock.now()).unwrap();
    assert_eq!(due[0].message.as_deref(), Some(&b"bytes"[..]));
    assert_eq!(due[0].attempt.message_id, a.message_id);
}

#[test]
fn a_crash_while_sending_leaves_the_attempt_due_with_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let lot = two_lots(&b)[0];
    let a = b.queue_lot(lot, AttemptReason::First).unwrap();
    b.claim(a.id, "r@x", b"bytes").unwrap();
    drop(b);
    // Reopened as after a kill: the attempt is still `sending`, due at once, same bytes.
    let (b, _) = billing_with(dir.path());
    let due = b.due_attempts(b.clock.now()).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].attempt.state, AttemptState::Sending);
    assert_eq!(due[0].message.as_deref(), Some(&b"bytes"[..]));
}

#[test]
fn a_permanent_failure_needs_attention_then_a_retry_is_a_new_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let lot = two_lots(&b)[0];
    let a = b.queue_lot(lot, AttemptReason::First).unwrap();
    b.claim(a.id, "r@x", b"bytes").unwrap();
    let (failed, lot_now) = b
        .mark_failed(a.id, AttemptState::Sending, "550 unknown user")
        .unwrap();
    assert_eq!(failed.state, AttemptState::Failed);
    assert_eq!(lot_now.fse_lot().unwrap().status, LotStatus::NeedsAttention);
    assert!(b.due_attempts(b.clock.now()).unwrap().is_empty());
    let retry = b.queue_lot(lot, AttemptReason::First).unwrap();
    assert_eq!(retry.reason, AttemptReason::Retry);
    assert_eq!(retry.attempt, 2);
    assert_ne!(retry.message_id, a.message_id);
    // Cancelled, the lot goes back to needing attention.
    let (cancelled, back) = b.cancel_attempt(retry.id).unwrap();
    assert_eq!(cancelled.state, AttemptState::Cancelled);
    assert_eq!(back.status, LotStatus::NeedsAttention);
    let e = b.cancel_attempt(retry.id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttemptNotCancellable);
}

#[test]
fn attempts_go_in_order_per_practitioner() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let lots = two_lots(&b);
    let first = b.queue_lot(lots[0], AttemptReason::First).unwrap();
    let second = b.queue_lot(lots[1], AttemptReason::First).unwrap();
    let due = b.due_attempts(b.clock.now()).unwrap();
    assert_eq!(due.len(), 1, "one at a time per mailbox");
    assert_eq!(due[0].attempt.id, first.id);
    // The first backs off: the second waits behind it.
    b.mark_temporary(
        first.id,
        AttemptState::Queued,
        "down",
        b.clock.now() + Duration::minutes(1),
    )
    .unwrap();
    assert!(b.due_attempts(b.clock.now()).unwrap().is_empty());
    clock.advance(Duration::minutes(1));
    b.claim(first.id, "r", b"1").unwrap();
    b.mark_sent(first.id, "ok").unwrap();
    assert_eq!(
        b.due_attempts(b.clock.now()).unwrap()[0].attempt.id,
        second.id
    );
}

#[test]
fn a_lot_records_its_send_by_date() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let lot = two_lots(&b)[0];
    // Care on Sunday 2026-03-01, direct payment: 3 working days, Mon 2 to Wed 4.
    assert_eq!(
        b.lot_detail(lot).unwrap().lot.send_by.as_deref(),
        Some("2026-03-04")
    );
}
