//! PJ lots in the store: an attachment leaves only after its FSE lot's positive ARL, in a PJ
//! lot per practitioner and organism, through the outbox; the ARL PJ acknowledges it (then
//! the purge, 90 days later), a negative one sends it again, 5 working days without one put
//! it on paper; nothing is purged before its positive ARL PJ.

use passerelle_protocol::{
    AttachmentKind, AttachmentState, AttachmentUpload, AttemptReason, AttemptState, ErrorCode, Lot,
    LotKind, PjLotStatus,
};
use pdf_writer::{Content, Finish, Pdf, Rect, Ref};
use time::Duration;

use super::*;
use crate::inbox::ArlApplied;
use crate::returns::arl::Arl;
use crate::returns::types::LotNumber;
use crate::test_support::{arl, billing_with, mail, sent_lot};

/// A drawn A4 page.
fn a4() -> Vec<u8> {
    let mut pdf = Pdf::new();
    pdf.catalog(Ref::new(1)).pages(Ref::new(2));
    pdf.pages(Ref::new(2)).kids([Ref::new(3)]).count(1);
    let mut page = pdf.page(Ref::new(3));
    page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
    page.parent(Ref::new(2));
    page.contents(Ref::new(4));
    page.finish();
    let mut c = Content::new();
    c.rect(10.0, 10.0, 100.0, 100.0).stroke();
    pdf.stream(Ref::new(4), &c.finish());
    pdf.finish()
}

/// The first FSE of `lot` gets a prescription; its attachment id.
fn attach(b: &Billing, lot: &Lot) -> i64 {
    let fse = b
        .store
        .read(|c| crate::store::fse_rows::of_lot(c, lot.id))
        .unwrap();
    let upload = AttachmentUpload {
        kind: AttachmentKind::Prescription,
        filename: Some("ordonnance.pdf".into()),
    };
    b.add_attachment(fse[0].id, &upload, "application/pdf", &a4(), 1 << 20)
        .unwrap()
        .id
}

/// The ARL PJ of `pj` (same modelled text as an ARL).
fn arl_pj(b: &Billing, lot: &Lot, pj: &PjLot, reference: &str, positive: bool) -> Arl {
    let _ = b;
    Arl {
        lot: LotNumber::new(pj.number.parse().unwrap()).unwrap(),
        ..arl(lot, reference, positive)
    }
}

/// Sends the open attempt of PJ lot `id` as the worker would; its Message-ID.
fn send_pj(b: &Billing, id: i64) -> String {
    let due = b.due_attempts(b.clock.now()).unwrap();
    let d = due.iter().find(|d| d.attempt.kind == LotKind::Pj).unwrap();
    assert_eq!(d.lot.id(), id);
    b.claim(d.attempt.id, "01751@751.01.rss.fr", b"pj").unwrap();
    b.mark_sent(d.attempt.id, "250 ok").unwrap().0.message_id
}

#[test]
fn an_attachment_leaves_after_the_arl_then_is_purged_90_days_after_its_arl_pj() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let (lot, fse_message) = sent_lot(&b, 2);
    let attachment = attach(&b, &lot);
    assert!(b.build_pj_lots().unwrap().is_empty(), "no ARL yet");
    assert_eq!(
        b.attachment(attachment).unwrap().state,
        AttachmentState::Waiting
    );

    let applied = b
        .apply_arl(mail(&b, 1), &arl(&lot, &fse_message, true))
        .unwrap();
    assert!(matches!(applied, ArlApplied::Acknowledged(_)));
    let made = b.build_pj_lots().unwrap();
    assert_eq!(made.len(), 1);
    let (pj, attempt) = &made[0];
    assert_eq!(
        (pj.status, attempt.kind),
        (PjLotStatus::Sending, LotKind::Pj)
    );
    assert!(
        attempt.message_id.starts_with("<pj-"),
        "{}",
        attempt.message_id
    );
    assert_eq!(pj.attachments.len(), 1);
    let item = &pj.attachments[0];
    assert_eq!(
        (item.attachment_id, &item.lot_number),
        (attachment, &lot.number)
    );
    assert_eq!(pj.organism, lot.organism);
    assert_eq!(pj.retry_until, "2026-03-09", "Monday + 5 working days");
    assert!(
        b.build_pj_lots().unwrap().is_empty(),
        "an attachment leaves once"
    );
    assert_eq!(
        b.attachment(attachment).unwrap().state,
        AttachmentState::InPjLot
    );

    let pj_message = send_pj(&b, pj.id);
    assert_eq!(
        b.attachment(attachment).unwrap().state,
        AttachmentState::Sent
    );
    // An ARL of a lot of FSE quoting the PJ lot's message is refused, and the reverse.
    let e = b
        .apply_arl(mail(&b, 2), &arl(&lot, &pj_message, true))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ReturnRefused);
    let e = b
        .apply_arl_pj(mail(&b, 3), &arl_pj(&b, &lot, pj, &fse_message, true))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ReturnRefused);

    let done = b
        .apply_arl_pj(mail(&b, 4), &arl_pj(&b, &lot, pj, &pj_message, true))
        .unwrap();
    assert!(matches!(done, PjApplied::Acknowledged(_)), "{done:?}");
    let kept = b.attachment(attachment).unwrap();
    assert_eq!(kept.state, AttachmentState::Acknowledged);
    assert_eq!(kept.purge_on.as_deref(), Some("2026-05-31"));
    let e = b.mark_pj_lot_posted(pj.id).unwrap_err();
    assert_eq!(
        e.code(),
        ErrorCode::PjLotNotOnPaper,
        "acknowledged: nothing to post"
    );

    clock.advance(Duration::days(89));
    assert!(b.purge_attachments().unwrap().is_empty(), "day 89: kept");
    assert_eq!(b.attachment_pdf(attachment).unwrap(), a4());
    clock.advance(Duration::days(1));
    assert_eq!(b.purge_attachments().unwrap(), vec![attachment]);
    let gone = b.attachment(attachment).unwrap();
    assert_eq!(gone.state, AttachmentState::Purged);
    assert_eq!(gone.sha256, kept.sha256, "the checksum stays");
    let e = b.attachment_pdf(attachment).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentPurged);
    // The FSE and the lot are kept.
    assert_eq!(b.lot_detail(lot.id).unwrap().lot.number, lot.number);
    assert!(b.fse(gone.fse_id).is_ok());
}

#[test]
fn a_negative_arl_pj_sends_again_and_5_working_days_without_one_put_it_on_paper() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let (lot, fse_message) = sent_lot(&b, 1);
    let attachment = attach(&b, &lot);
    b.apply_arl(mail(&b, 1), &arl(&lot, &fse_message, true))
        .unwrap();
    let (pj, _) = b.build_pj_lots().unwrap().remove(0);
    let first = send_pj(&b, pj.id);

    let again = b
        .apply_arl_pj(mail(&b, 2), &arl_pj(&b, &lot, &pj, &first, false))
        .unwrap();
    let PjApplied::Resent { attempt, .. } = again else {
        panic!("{again:?}")
    };
    assert_eq!(
        (attempt.reason, attempt.attempt),
        (AttemptReason::Resend, 2)
    );
    assert_eq!(
        b.attachment(attachment).unwrap().state,
        AttachmentState::InPjLot
    );
    let second = send_pj(&b, pj.id);
    assert_ne!(first, second);

    // Sent on Monday 2 March; no ARL PJ by Wednesday 4: sent a third time on Thursday 5.
    clock.advance(Duration::days(3));
    let out = b.pj_timeouts().unwrap();
    assert!(matches!(&out[..], [PjApplied::Resent { .. }]), "{out:?}");
    send_pj(&b, pj.id);
    assert!(b.pj_timeouts().unwrap().is_empty());
    // Still nothing on Monday 9 (the last working day), paper on Tuesday 10.
    clock.advance(Duration::days(4));
    assert!(b.pj_timeouts().unwrap().is_empty());
    clock.advance(Duration::days(1));
    let out = b.pj_timeouts().unwrap();
    assert!(matches!(&out[..], [PjApplied::Paper { .. }]), "{out:?}");
    assert_eq!(
        b.pj_lot_detail(pj.id).unwrap().pj_lot.status,
        PjLotStatus::Paper
    );
    assert_eq!(
        b.attachment(attachment).unwrap().state,
        AttachmentState::Paper
    );

    // The paper copy names the FSE, its lot and the PJ lot on the page.
    let fse_number = &b.attachment(attachment).unwrap().fse_number;
    let paper = b.attachment_paper(attachment).unwrap();
    let doc = lopdf::Document::load_mem(&paper).unwrap();
    let page = *doc.get_pages().values().next().unwrap();
    let text = String::from_utf8_lossy(&doc.get_page_content(page).unwrap()).into_owned();
    for wanted in [
        format!("FSE n\u{fffd} {fse_number}"),
        format!("lot n\u{fffd} {}", lot.number),
        format!("lot PJ n\u{fffd} {}", pj.number),
    ] {
        assert!(text.contains(&wanted), "{wanted:?} in {text}");
    }
    // Never purged: it has no positive ARL PJ, however late, until it is posted.
    clock.advance(Duration::days(365));
    assert!(b.purge_attachments().unwrap().is_empty());
    assert_eq!(b.attachment_pdf(attachment).unwrap(), a4());
    let posted = b.mark_pj_lot_posted(pj.id).unwrap();
    assert_eq!(posted.status, PjLotStatus::Posted);
    assert_eq!(
        b.mark_pj_lot_posted(pj.id).unwrap(),
        posted,
        "posting twice changes nothing"
    );
    let kept = b.attachment(attachment).unwrap();
    assert_eq!(kept.state, AttachmentState::Posted);
    assert!(
        b.attachment_paper(attachment).is_ok(),
        "reprinted if need be"
    );
    clock.advance(Duration::days(89));
    assert!(
        b.purge_attachments().unwrap().is_empty(),
        "89 days after the posting"
    );
    clock.advance(Duration::days(1));
    assert_eq!(b.purge_attachments().unwrap(), vec![attachment]);
}

#[test]
fn a_pj_lot_refused_for_good_is_tried_again_the_next_day() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let (lot, fse_message) = sent_lot(&b, 1);
    attach(&b, &lot);
    b.apply_arl(mail(&b, 1), &arl(&lot, &fse_message, true))
        .unwrap();
    let (pj, attempt) = b.build_pj_lots().unwrap().remove(0);
    b.claim(attempt.id, "01751@751.01.rss.fr", b"pj").unwrap();
    let (_, now) = b
        .mark_failed(attempt.id, AttemptState::Sending, "552 trop gros")
        .unwrap();
    assert!(
        matches!(now, crate::outbox::OutgoingLot::Pj(ref p) if p.status == PjLotStatus::NeedsAttention)
    );
    assert!(b.pj_timeouts().unwrap().is_empty(), "not the same day");
    let e = b.cancel_attempt(attempt.id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttemptNotCancellable);
    clock.advance(Duration::days(1));
    let out = b.pj_timeouts().unwrap();
    let [PjApplied::Resent { attempt, .. }] = &out[..] else {
        panic!("{out:?}")
    };
    assert_eq!(attempt.reason, AttemptReason::Retry);
    assert_eq!(b.pj_lot_detail(pj.id).unwrap().pj_lot.failures, 1);
}

#[test]
fn pj_lots_hold_at_most_their_size_and_keep_the_order() {
    let r = |id, bytes| Ready {
        attachment_id: id,
        bytes,
    };
    let big = MAX_PJ_LOT_BYTES;
    let lots = chunks(vec![
        r(1, big / 2),
        r(2, big / 2),
        r(3, 1),
        r(4, big * 2),
        r(5, 1),
    ]);
    let ids: Vec<Vec<i64>> = lots
        .iter()
        .map(|l| l.iter().map(|r| r.attachment_id).collect())
        .collect();
    assert_eq!(ids, vec![vec![1, 2], vec![3], vec![4], vec![5]]);
}
