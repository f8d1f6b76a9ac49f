//! Returns applied to the store: ARL (positive, negative, none in time, twice: paper),
//! NOEMIE (paid, partly, rejected, unknown), the reconciliation adding up.

use passerelle_protocol::{AttemptReason, FseStatus, LotStatus, Settlement};
use time::Duration;

use super::*;
use crate::reconcile::ReconcileFilter;
use crate::returns::noemie::{
    InvoiceCode, Label, NoemieFile, NoemieHeader, NoemieInvoice, NoemieLot, Part, Rejection,
};
use crate::returns::types::{
    CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism, ReasonCode,
};
use crate::samples::DURAND_BILLING;
use crate::test_support::{arl, billing_with, mail, send_open, sent_lot};

#[test]
fn a_positive_arl_acknowledges_the_lot_and_its_fse() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let (lot, id) = sent_lot(&b, 2);
    let m = mail(&b, 1);
    assert!(matches!(
        b.apply_arl(m, &arl(&lot, &id, true)).unwrap(),
        ArlApplied::Acknowledged(_)
    ));
    assert_eq!(
        b.lot_detail(lot.id).unwrap().lot.status,
        LotStatus::Acknowledged
    );
    let fse = b
        .store
        .read(|c| crate::store::fse_rows::of_lot(c, lot.id))
        .unwrap();
    assert!(fse.iter().all(|f| f.status == FseStatus::Acknowledged));
    // The same ARL again changes nothing.
    let m2 = mail(&b, 2);
    assert!(matches!(
        b.apply_arl(m2, &arl(&lot, &id, true)).unwrap(),
        ArlApplied::Noted(_)
    ));
    // An ARL quoting no attempt is refused.
    let e = b
        .apply_arl(m2, &arl(&lot, "<nobody@nowhere>", true))
        .unwrap_err();
    assert_eq!(e.code(), passerelle_protocol::ErrorCode::ReturnRefused);
}

#[test]
fn two_failures_make_a_paper_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let (lot, id) = sent_lot(&b, 3);
    // A negative ARL: sent again, a new attempt.
    let first = b.apply_arl(mail(&b, 1), &arl(&lot, &id, false)).unwrap();
    let ArlApplied::Resent { attempt, .. } = first else {
        panic!("{first:?}")
    };
    assert_eq!(
        (attempt.reason, attempt.attempt),
        (AttemptReason::Resend, 2)
    );
    let again = send_open(&b, lot.id);
    assert_ne!(again, id);
    // No ARL within 2 working days of the re-send (sent Monday 2 March: by Wednesday 4):
    // the second failure.
    clock.advance(Duration::days(2));
    assert!(b.arl_timeouts().unwrap().is_empty());
    clock.advance(Duration::days(2));
    let out = b.arl_timeouts().unwrap();
    assert!(matches!(&out[..], [ArlApplied::Paper { .. }]), "{out:?}");
    assert_eq!(b.lot_detail(lot.id).unwrap().lot.status, LotStatus::Paper);
    let pdf = b.paper_duplicate(lot.id).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // Posted: the lot says so, and stays `paper`; again changes nothing.
    let posted = b.mark_paper_posted(lot.id).unwrap();
    assert_eq!(posted.status, LotStatus::Paper);
    assert_eq!(posted.paper_posted.as_deref(), Some("2026-03-06T10:00:00Z"));
    clock.advance(Duration::days(1));
    assert_eq!(b.mark_paper_posted(lot.id).unwrap(), posted);
    // A lot that is fine needs no duplicate.
    let (other, _) = sent_lot(&b, 1);
    let e = b.paper_duplicate(other.id).unwrap_err();
    assert_eq!(e.code(), passerelle_protocol::ErrorCode::PaperNotNeeded);
    let e = b.mark_paper_posted(other.id).unwrap_err();
    assert_eq!(e.code(), passerelle_protocol::ErrorCode::PaperNotNeeded);
}

fn invoice(fse: &str, requested: i64, paid: i64, rejections: &[(&str, &str)]) -> NoemieInvoice {
    NoemieInvoice {
        code: InvoiceCode::E100,
        fse: FseNumber::new(fse.parse().unwrap()).unwrap(),
        practitioner: Digits::new(DURAND_BILLING).unwrap(),
        payment_date: (paid > 0).then(|| CalendarDate::from_ymd(2026, 3, 20).unwrap()),
        amo: Part {
            requested: Cents::new(requested).unwrap(),
            paid: Cents::new(paid).unwrap(),
        },
        amc: None,
        rejections: rejections
            .iter()
            .map(|(c, l)| Rejection {
                code: ReasonCode::new(c).unwrap(),
                label: Label::new(l).unwrap(),
            })
            .collect(),
    }
}

#[test]
fn a_noemie_file_settles_each_fse_and_the_reconciliation_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let (b, _) = billing_with(dir.path());
    let (lot, id) = sent_lot(&b, 4);
    b.apply_arl(mail(&b, 1), &arl(&lot, &id, true)).unwrap();
    let fse = b
        .store
        .read(|c| crate::store::fse_rows::of_lot(c, lot.id))
        .unwrap();
    let amo = |i: usize| fse[i].amounts.amo_cents;
    let file = NoemieFile::new(
        NoemieHeader {
            reference: Digits::new("580").unwrap(),
            emitter: Organism::new("01", "751", "0001").unwrap(),
            receiver: Digits::new(DURAND_BILLING).unwrap(),
            created: CalendarDate::from_ymd(2026, 3, 20).unwrap(),
            file_number: Digits::new("000001").unwrap(),
        },
        vec![NoemieLot {
            lot_number: LotNumber::new(lot.number.parse().unwrap()).unwrap(),
            organism: Organism::new("01", "751", "0001").unwrap(),
            sender: Digits::new(DURAND_BILLING).unwrap(),
            invoices: vec![
                invoice(&fse[0].number, amo(0), amo(0), &[]),
                invoice(
                    &fse[1].number,
                    amo(1),
                    amo(1) - 500,
                    &[("P01", "Dépassement non remboursé")],
                ),
                invoice(
                    &fse[2].number,
                    amo(2),
                    0,
                    &[("E0123", "Date de prestation=samedi non férié")],
                ),
                invoice("999999998", 1000, 1000, &[]),
            ],
        }],
    );
    let done = b.apply_noemie(mail(&b, 2), &file).unwrap();
    assert_eq!(done.settled.len(), 3);
    assert_eq!(done.unknown, vec![format!("{DURAND_BILLING}/999999998")]);
    let status = |i: usize| b.fse(fse[i].id).unwrap().status;
    assert_eq!(
        [status(0), status(1), status(2), status(3)],
        [
            FseStatus::Paid,
            FseStatus::PartlyPaid,
            FseStatus::Rejected,
            FseStatus::Acknowledged
        ]
    );
    let r = b.reconciliation(&ReconcileFilter::default(), 30).unwrap();
    let t = &r.total;
    assert_eq!(t.count, 4);
    assert_eq!(
        t.billed_cents,
        t.paid_cents + t.rejected_cents + t.waiting_cents
    );
    assert_eq!(t.paid_cents, amo(0) + amo(1) - 500);
    assert_eq!(t.rejected_cents, 500 + amo(2));
    assert_eq!(t.waiting_cents, amo(3));
    assert_eq!(r.unknown_invoices.len(), 1);
    assert!(r.reasons.iter().any(|c| c.reason.starts_with("E0123")));
    assert_eq!(
        r.fse
            .iter()
            .filter(|f| f.settlement == Settlement::Waiting)
            .count(),
        1
    );
    // 30 days after the positive ARL, the one still waiting is overdue.
    let later = b.reconciliation(&ReconcileFilter::default(), -1).unwrap();
    assert_eq!(later.total.overdue_cents, amo(3));
    let csv = crate::reconcile::to_csv(&r).unwrap();
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 5);
}
