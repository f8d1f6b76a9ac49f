//! What the unit tests of lots and the outbox share: a store on a stopped clock, the fixture
//! midwife's signer, FSE created and signed.

use std::sync::Arc;

use passerelle_protocol::{CardKind, FseDraft};
use time::macros::datetime;

use crate::{Billing, FixedClock, KeySigner, SignError, SignerIdentity};

/// A [`KeySigner`] over the signature key of simulated card `key_id`'s test keys.
pub(crate) fn fixture_signer(
    key_id: &str,
    identity: SignerIdentity,
) -> Result<KeySigner, SignError> {
    let keys = passerelle_simcard::fixtures::keys(key_id)
        .ok_or_else(|| SignError(format!("clé de test inconnue {key_id:?}")))?;
    KeySigner::new(identity, keys.sig_key_pem, keys.sig_cert)
}

/// The fixture midwife's situation, as `kind`, allowed to sign invoices and/or lots.
pub(crate) fn identity(kind: CardKind, invoice: bool, lot: bool) -> SignerIdentity {
    SignerIdentity::of(kind, &crate::samples::durand(), invoice, lot)
}

/// The midwife's CPS, allowed to sign everything.
pub(crate) fn midwife() -> KeySigner {
    fixture_signer("durand-sage-femme", identity(CardKind::Cps, true, true)).unwrap()
}

/// Billing in `dir` on a clock stopped at 2026-03-02 10:00 UTC.
pub(crate) fn billing(dir: &std::path::Path) -> Billing {
    billing_with(dir).0
}

/// [`billing`] and its clock, to move time.
pub(crate) fn billing_with(dir: &std::path::Path) -> (Billing, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 10:00 UTC)));
    let billing = Billing::open(&dir.join("b.sqlite3"), clock.clone()).unwrap();
    (billing, clock)
}

/// Creates `drafts` (all accepted); their ids.
pub(crate) fn created(b: &Billing, drafts: &[FseDraft]) -> Vec<i64> {
    b.create_batch(drafts, &crate::samples::SampleRights, None)
        .unwrap()
        .into_iter()
        .map(|r| r.unwrap().id)
        .collect()
}

/// What the tests of returns share: a lot sent (the outbox's moves reported by hand), a
/// kept return mail, an ARL.
mod returns_support {
    use passerelle_protocol::{AttemptReason, FseMode, InsuranceNature, Lot, ReturnKind};

    use super::{created, midwife};
    use crate::returns::arl::{Arl, ArlLabel, ArlOutcome, MessageRef};
    use crate::returns::types::{CalendarDate, Digits, LotNumber, Organism, ReasonCode};
    use crate::samples::{draft, ngap, DURAND_BILLING};
    use crate::store::returns_rows::NewMail;
    use crate::Billing;

    /// One lot of `n` FSE for caisse 751, sent (the outbox's moves reported by hand).
    pub(crate) fn sent_lot(b: &Billing, n: usize) -> (Lot, String) {
        let drafts: Vec<_> = (0..n)
            .map(|i| {
                let mut d = draft(
                    i,
                    "2026-03-02",
                    InsuranceNature::Maladie,
                    FseMode::SansVitale,
                    vec![ngap("C", "1", &[])],
                );
                d.organism.caisse = "751".into();
                d.organism.centre = "0001".into();
                d
            })
            .collect();
        let ids = created(b, &drafts);
        b.sign_fse_batch(&midwife(), &ids).unwrap();
        let lot = b.build_and_sign_lots(&midwife()).unwrap().remove(0);
        send(b, &lot)
    }

    pub(crate) fn send(b: &Billing, lot: &Lot) -> (Lot, String) {
        let attempt = b.queue_lot(lot.id, AttemptReason::First).unwrap();
        b.claim(attempt.id, "01751@751.01.rss.fr", b"m").unwrap();
        let (sent, lot) = b.mark_sent(attempt.id, "250 ok").unwrap();
        (lot.fse_lot().unwrap(), sent.message_id)
    }

    /// Sends the lot's open attempt (after a re-send was queued).
    pub(crate) fn send_open(b: &Billing, lot_id: i64) -> String {
        let due = b.due_attempts(b.clock.now()).unwrap();
        let attempt = due
            .iter()
            .find(|d| d.lot.id() == lot_id)
            .unwrap()
            .attempt
            .clone();
        b.claim(attempt.id, "01751@751.01.rss.fr", b"m").unwrap();
        b.mark_sent(attempt.id, "250 ok").unwrap().0.message_id
    }

    pub(crate) fn mail(b: &Billing, n: u32) -> i64 {
        let sha = format!("{n:064}");
        b.keep_return_mail(&NewMail {
            practitioner: DURAND_BILLING,
            uid: Some((1, n)),
            message_id: None,
            sha256: &sha,
            sender: Some("01751@751.01.rss.fr"),
            subject: "retour",
            raw: b"raw",
            kind: ReturnKind::Arl,
            now: "2026-03-03T10:00:00Z",
        })
        .unwrap()
        .unwrap()
    }

    pub(crate) fn arl(lot: &Lot, reference: &str, positive: bool) -> Arl {
        Arl {
            lot: LotNumber::new(lot.number.parse().unwrap()).unwrap(),
            organism: Organism::new("01", "751", "0001").unwrap(),
            practitioner: Digits::new(DURAND_BILLING).unwrap(),
            reference: MessageRef::new(reference).unwrap(),
            date: CalendarDate::from_ymd(2026, 3, 3).unwrap(),
            outcome: match positive {
                true => ArlOutcome::Positive,
                false => ArlOutcome::Negative {
                    code: ReasonCode::new("R12").unwrap(),
                    label: ArlLabel::new("Lot illisible").unwrap(),
                },
            },
        }
    }
}

pub(crate) use returns_support::*;
