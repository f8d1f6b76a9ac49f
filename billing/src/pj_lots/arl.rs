//! The ARL PJ, applied, and the PJ lots' deadlines: a positive ARL PJ acknowledges the PJ
//! lot (its attachments are kept 90 more days); a negative one, none within 2 working days
//! of the sending, or a sending refused for good the day before, sends it again while its
//! 5 working days last; past them, it goes on paper.

use passerelle_protocol::{
    AttemptReason, AttemptState, LotKind, OutboxAttempt, PjLot, PjLotStatus,
};
use rusqlite::{params, Transaction};
use time::Date;

use super::KEEP_DAYS;
use crate::calendar::resend_deadline;
use crate::clock::{format_date, format_instant, paris_date, parse_date};
use crate::inbox::{names_other, outcome_reason};
use crate::outbox::insert_attempt;
use crate::returns::arl::Arl;
use crate::store::outbox_rows::{self, Carried, Update};
use crate::store::{pj_lot_rows, returns_rows};
use crate::{Billing, BillingError};

/// What an ARL PJ (or a deadline) did to a PJ lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PjApplied {
    /// Positive ARL PJ: acknowledged.
    Acknowledged(PjLot),
    /// Sent again (negative ARL PJ, none in time, or refused for good the day before).
    Resent {
        /// The PJ lot, now `sending`.
        pj_lot: PjLot,
        /// The new attempt.
        attempt: Box<OutboxAttempt>,
        /// Why, in French.
        reason: String,
    },
    /// Not delivered within its 5 working days: on paper.
    Paper {
        /// The PJ lot, now `paper`.
        pj_lot: PjLot,
        /// Why, in French.
        reason: String,
    },
    /// About an older attempt, or already applied: recorded, nothing moved.
    Noted(PjLot),
}

impl Billing {
    /// Applies an ARL PJ from mail `mail_id`. One that quotes no attempt of a PJ lot, or
    /// names another PJ lot or organism, is refused ([`BillingError::ReturnRefused`]).
    pub fn apply_arl_pj(&self, mail_id: i64, arl: &Arl) -> Result<PjApplied, BillingError> {
        let now = self.clock.now();
        let (stamp, today) = (format_instant(now), paris_date(now));
        self.store.write(|tx| {
            let applied = arl_pj_in(tx, mail_id, arl, &stamp, today)?;
            returns_rows::settle(
                tx,
                mail_id,
                passerelle_protocol::ReturnState::Applied,
                &describe(&applied),
            )?;
            Ok(applied)
        })
    }

    /// The PJ lots' deadlines at the clock's today: past its 5 working days, a PJ lot not
    /// acknowledged goes on paper; sent without an ARL PJ within 2 working days, or refused
    /// for good on an earlier day, it is sent again.
    pub fn pj_timeouts(&self) -> Result<Vec<PjApplied>, BillingError> {
        let now = self.clock.now();
        let (stamp, today) = (format_instant(now), paris_date(now));
        self.store.write(|tx| {
            let mut out = Vec::new();
            for status in [
                PjLotStatus::Sending,
                PjLotStatus::Sent,
                PjLotStatus::NeedsAttention,
            ] {
                for lot in pj_lot_rows::latest(tx, Some(status), u32::MAX)? {
                    if let Some(done) = deadline(tx, &lot, today, &stamp)? {
                        out.push(done);
                    }
                }
            }
            Ok(out)
        })
    }
}

/// What `lot`'s deadlines ask today, done inside `tx`.
fn deadline(
    tx: &Transaction<'_>,
    lot: &PjLot,
    today: Date,
    now: &str,
) -> Result<Option<PjApplied>, BillingError> {
    let attempts = outbox_rows::of(tx, Carried::PjLot(lot.id))?;
    let last = attempts.last();
    let day_of = |s: &str| s.get(..10).and_then(parse_date);
    if parse_date(&lot.retry_until).is_some_and(|until| today > until) {
        if let Some(open) = last.filter(|a| a.state == AttemptState::Queued) {
            let why = Update {
                last_error: Some("Annulé : délai de 5 jours ouvrés dépassé, envoi papier."),
                ..Update::default()
            };
            outbox_rows::update(
                tx,
                open.id,
                AttemptState::Queued,
                AttemptState::Cancelled,
                &why,
            )?;
        } else if last.is_some_and(|a| a.state == AttemptState::Sending) {
            // Being handed to the mail server right now: decided once it is settled.
            return Ok(None);
        }
        let reason = format!(
            "Lot de pièces jointes non acquitté dans les 5 jours ouvrés (jusqu'au {}) : \
             imprimez les pièces et envoyez-les à la caisse.",
            lot.retry_until
        );
        return paper(tx, lot.id, &reason).map(Some);
    }
    match lot.status {
        PjLotStatus::Sent => {
            let sent = last.and_then(|a| a.sent_at.as_deref()).and_then(day_of);
            if sent
                .and_then(resend_deadline)
                .is_some_and(|deadline| today > deadline)
            {
                let reason = "Aucun ARL PJ reçu dans les 2 jours ouvrés suivant l'envoi.";
                return failure(tx, lot, last.map(|a| a.id), None, reason, now).map(Some);
            }
            Ok(None)
        }
        PjLotStatus::NeedsAttention => {
            let failed_on = last.and_then(|a| day_of(&a.created));
            if failed_on.is_some_and(|d| today > d) {
                let reason = last
                    .and_then(|a| a.last_error.clone())
                    .unwrap_or_else(|| "envoi refusé".into());
                return resend(tx, lot.id, AttemptReason::Retry, reason, now).map(Some);
            }
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// The ARL PJ, applied inside `tx`.
fn arl_pj_in(
    tx: &Transaction<'_>,
    mail_id: i64,
    arl: &Arl,
    now: &str,
    today: Date,
) -> Result<PjApplied, BillingError> {
    let refused = BillingError::ReturnRefused;
    let attempt = outbox_rows::by_message_id(tx, arl.reference.as_str())?
        .filter(|a| a.kind == LotKind::Pj)
        .ok_or_else(|| {
            refused(format!(
                "ARL PJ d'un envoi inconnu ({}) : aucun lot de pièces jointes n'est parti sous \
                 cet identifiant.",
                arl.reference.as_str()
            ))
        })?;
    let lot = pj_lot_rows::load(tx, attempt.lot_id)?;
    if let Some(why) = names_other(
        arl,
        &lot.number,
        &lot.organism,
        "ARL PJ",
        "le lot de pièces jointes",
    ) {
        return Err(refused(why));
    }
    let reason = outcome_reason(&arl.outcome);
    let latest = outbox_rows::of(tx, Carried::PjLot(lot.id))?
        .into_iter()
        .rfind(|a| a.sent_at.is_some())
        .map(|a| a.id);
    if lot.status != PjLotStatus::Sent || latest != Some(attempt.id) {
        record(
            tx,
            lot.id,
            Some(attempt.id),
            Some(mail_id),
            reason.as_deref(),
            now,
        )?;
        return Ok(PjApplied::Noted(lot));
    }
    match reason {
        None => {
            record(tx, lot.id, Some(attempt.id), Some(mail_id), None, now)?;
            let purge_on = format_date(today + time::Duration::days(KEEP_DAYS));
            tx.execute(
                "UPDATE pj_lots SET acknowledged = ?2 WHERE id = ?1",
                params![lot.id, now],
            )?;
            tx.execute(
                "UPDATE attachments SET purge_on = ?2 WHERE pj_lot_id = ?1",
                params![lot.id, purge_on],
            )?;
            let lot = pj_lot_rows::transition(tx, lot.id, PjLotStatus::Acknowledged)?;
            Ok(PjApplied::Acknowledged(lot))
        }
        Some(reason) => failure(tx, &lot, Some(attempt.id), Some(mail_id), &reason, now),
    }
}

/// A failed delivery of `lot` (negative ARL PJ, or none in time): recorded, sent again.
fn failure(
    tx: &Transaction<'_>,
    lot: &PjLot,
    attempt: Option<i64>,
    mail_id: Option<i64>,
    reason: &str,
    now: &str,
) -> Result<PjApplied, BillingError> {
    record(tx, lot.id, attempt, mail_id, Some(reason), now)?;
    pj_lot_rows::count_failure(tx, lot.id)?;
    resend(tx, lot.id, AttemptReason::Resend, reason.to_owned(), now)
}

/// Queues PJ lot `id` again.
fn resend(
    tx: &Transaction<'_>,
    id: i64,
    why: AttemptReason,
    reason: String,
    now: &str,
) -> Result<PjApplied, BillingError> {
    let lot = pj_lot_rows::transition(tx, id, PjLotStatus::Sending)?;
    let attempt = insert_attempt(
        tx,
        Carried::PjLot(id),
        &lot.practitioner,
        &lot.number,
        why,
        now,
    )?;
    Ok(PjApplied::Resent {
        pj_lot: lot,
        attempt: Box::new(attempt),
        reason,
    })
}

/// PJ lot `id` on paper.
fn paper(tx: &Transaction<'_>, id: i64, reason: &str) -> Result<PjApplied, BillingError> {
    tx.execute(
        "UPDATE pj_lots SET paper_reason = ?2 WHERE id = ?1",
        params![id, reason],
    )?;
    let lot = pj_lot_rows::transition(tx, id, PjLotStatus::Paper)?;
    Ok(PjApplied::Paper {
        pj_lot: lot,
        reason: reason.to_owned(),
    })
}

/// Keeps an ARL PJ (or its absence) in `arl_pj`.
fn record(
    tx: &Transaction<'_>,
    pj_lot_id: i64,
    attempt: Option<i64>,
    mail_id: Option<i64>,
    reason: Option<&str>,
    now: &str,
) -> Result<(), BillingError> {
    tx.execute(
        "INSERT INTO arl_pj (pj_lot_id, attempt_id, return_mail_id, positive, reason, received)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![pj_lot_id, attempt, mail_id, reason.is_none(), reason, now],
    )?;
    Ok(())
}

/// What an ARL PJ did, in French (kept with the mail).
pub fn describe(applied: &PjApplied) -> String {
    match applied {
        PjApplied::Acknowledged(l) => {
            format!(
                "lot de pièces jointes {} acquitté (ARL PJ positif)",
                l.number
            )
        }
        PjApplied::Resent { pj_lot, reason, .. } => {
            format!(
                "lot de pièces jointes {} refusé ({reason}) : renvoyé",
                pj_lot.number
            )
        }
        PjApplied::Paper { pj_lot, reason } => {
            format!("lot de pièces jointes {} : {reason}", pj_lot.number)
        }
        PjApplied::Noted(l) => format!(
            "lot de pièces jointes {} : ARL PJ noté, sans effet",
            l.number
        ),
    }
}
