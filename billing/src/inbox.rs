//! The returns, applied: every mail the organisms send back is kept raw first
//! ([`Billing::keep_return_mail`], with the mailbox cursor, one transaction), then read and
//! applied here, each mail in one transaction, so nothing fetched is lost and nothing is
//! applied twice.
//!
//! - An **ARL** ties to one attempt by the Message-ID it quotes. Positive: the lot is
//!   `acknowledged` (its FSE too). Negative: the lot's failures count one more; the first
//!   failure sends it again (a new attempt through the outbox, reason `resend`), the second
//!   makes it `paper` (a paper duplicate naming its FSE, [`Billing::paper_duplicate`]).
//!   No ARL within 2 working days of the sending counts as a failure too
//!   ([`Billing::arl_timeouts`]).
//! - A **NOEMIE** file pays, partly pays or rejects each invoice; each is matched to its FSE
//!   by practitioner and FSE number. An invoice that matches no FSE is kept and reported.

use passerelle_protocol::{
    AttemptReason, FseStatus, Lot, LotStatus, OutboxAttempt, ReturnMail, ReturnState,
};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::calendar::resend_deadline;
use crate::clock::{format_instant, paris_date, parse_date};
use crate::returns::arl::{Arl, ArlOutcome};
use crate::returns::noemie::{NoemieFile, Status};
use crate::store::returns_rows::{self, NewMail, NewPayment};
use crate::store::{fse_rows, lot_rows, outbox_rows};
use crate::{Billing, BillingError};

/// What an ARL (or its absence) did to a lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArlApplied {
    /// Positive: the lot is acknowledged.
    Acknowledged(Lot),
    /// Negative (first failure): sent again.
    Resent {
        /// The lot, now `sending`.
        lot: Lot,
        /// The new attempt.
        attempt: Box<OutboxAttempt>,
        /// Why, in French.
        reason: String,
    },
    /// Second failure: a paper duplicate is needed.
    Paper {
        /// The lot, now `paper`.
        lot: Lot,
        /// Why, in French.
        reason: String,
    },
    /// About an older attempt, or already applied: recorded, nothing moved.
    Noted(Lot),
}

/// One FSE a NOEMIE file settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// FSE id.
    pub fse_id: i64,
    /// FSE number.
    pub number: String,
    /// Its new state: `paid`, `partly_paid` or `rejected`.
    pub status: FseStatus,
    /// Paid, in cents (AMO + AMC).
    pub paid_cents: i64,
    /// Rejection reasons, `code : label`.
    pub reasons: Vec<String>,
}

/// What a NOEMIE file did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoemieApplied {
    /// The FSE it settled.
    pub settled: Vec<Settled>,
    /// Its invoices that match no FSE (`practitioner/number`): kept, reported.
    pub unknown: Vec<String>,
}

impl Billing {
    /// Keeps a fetched mail raw and moves its mailbox's cursor past it (one transaction);
    /// `None` when the same mail is already kept.
    pub fn keep_return_mail(&self, mail: &NewMail<'_>) -> Result<Option<i64>, BillingError> {
        self.store.write(|tx| returns_rows::insert(tx, mail))
    }

    /// Where `practitioner`'s mailbox was read up to: (UIDVALIDITY, last UID).
    pub fn imap_cursor(&self, practitioner: &str) -> Result<Option<(u32, u32)>, BillingError> {
        self.store.read(|c| returns_rows::cursor(c, practitioner))
    }

    /// Mail `id` and its raw bytes.
    pub fn return_mail(&self, id: i64) -> Result<(ReturnMail, Vec<u8>), BillingError> {
        self.store.read(|c| returns_rows::load(c, id))
    }

    /// The mails kept but not applied yet (a crash between keeping and applying).
    pub fn stored_returns(&self) -> Result<Vec<i64>, BillingError> {
        self.store.read(returns_rows::stored)
    }

    /// The latest mails, newest first.
    pub fn returns(&self, limit: u32) -> Result<Vec<ReturnMail>, BillingError> {
        self.store
            .read(|c| returns_rows::latest(c, limit.min(1000)))
    }

    /// Records that mail `id` is not applied, and why.
    pub fn refuse_return(
        &self,
        id: i64,
        state: ReturnState,
        why: &str,
    ) -> Result<(), BillingError> {
        self.store
            .write(|tx| returns_rows::settle(tx, id, state, why))
    }

    /// Applies an ARL from mail `mail_id`. An ARL that quotes no attempt of the lot it names
    /// is refused ([`BillingError::ReturnRefused`]), nothing changed.
    pub fn apply_arl(&self, mail_id: i64, arl: &Arl) -> Result<ArlApplied, BillingError> {
        let now = format_instant(self.clock.now());
        self.store.write(|tx| {
            let applied = arl_in(tx, Some(mail_id), arl, &now)?;
            returns_rows::settle(tx, mail_id, ReturnState::Applied, &describe(&applied))?;
            Ok(applied)
        })
    }

    /// The lots sent whose ARL did not come within 2 working days of their sending: each
    /// counts as a failure (sent again, or paper the second time).
    pub fn arl_timeouts(&self) -> Result<Vec<ArlApplied>, BillingError> {
        let now = self.clock.now();
        let today = paris_date(now);
        let stamp = format_instant(now);
        self.store.write(|tx| {
            let mut out = Vec::new();
            for lot in lot_rows::list(tx, None)? {
                if lot.status != LotStatus::Sent {
                    continue;
                }
                let Some(sent) = last_sent(tx, lot.id)? else {
                    continue;
                };
                let late = sent
                    .sent_at
                    .as_deref()
                    .and_then(|s| parse_date(s.get(..10)?))
                    .and_then(resend_deadline)
                    .is_some_and(|deadline| today > deadline);
                if late {
                    let reason = "Aucun ARL reçu dans les 2 jours ouvrés suivant l'envoi.";
                    out.push(failure(tx, &lot, Some(sent.id), None, reason, &stamp)?);
                }
            }
            Ok(out)
        })
    }

    /// Applies a NOEMIE file from mail `mail_id`: each invoice settles its FSE, or is kept
    /// as unknown.
    pub fn apply_noemie(
        &self,
        mail_id: i64,
        file: &NoemieFile,
    ) -> Result<NoemieApplied, BillingError> {
        self.store.write(|tx| {
            let mut done = NoemieApplied::default();
            // Statements prepared once for the whole file; the FSE body is never decoded
            // (a 10,000-invoice file is applied in one transaction: see bench_returns).
            let mut find = tx.prepare_cached(
                "SELECT id, status FROM fse WHERE practitioner = ?1 AND number = ?2",
            )?;
            let mut settle =
                tx.prepare_cached("UPDATE fse SET status = ?1 WHERE id = ?2 AND status = ?3")?;
            for (lot, inv) in file.invoices() {
                let practitioner = inv.practitioner.as_str();
                let number = i64::from(inv.fse.get());
                let found: Option<(i64, String)> = find
                    .query_row(params![practitioner, number], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .optional()?;
                let requested = inv.amo.requested.get() + inv.amc.map_or(0, |p| p.requested.get());
                let paid = inv.amo.paid.get() + inv.amc.map_or(0, |p| p.paid.get());
                let (status, name) = match inv.status() {
                    Status::Paid => (FseStatus::Paid, "paid"),
                    Status::PartlyPaid => (FseStatus::PartlyPaid, "partly_paid"),
                    Status::Rejected => (FseStatus::Rejected, "rejected"),
                };
                let reasons: Vec<String> = inv
                    .rejections
                    .iter()
                    .map(|r| format!("{} : {}", r.code.as_str(), r.label.as_str()))
                    .collect();
                let date = inv.payment_date.map(|d| crate::clock::format_date(d.get()));
                returns_rows::insert_payment(
                    tx,
                    &NewPayment {
                        mail_id,
                        fse_id: found.as_ref().map(|f| f.0),
                        practitioner,
                        fse_number: number,
                        lot_number: i64::from(lot.lot_number.get()),
                        status: name,
                        requested_cents: requested,
                        paid_cents: paid,
                        payment_date: date.as_deref(),
                        reasons: &reasons.join("\n"),
                    },
                )?;
                let Some((id, stored)) = found else {
                    done.unknown.push(format!("{practitioner}/{number:09}"));
                    continue;
                };
                let from = crate::state::fse_from_name(&stored).ok_or_else(|| {
                    BillingError::Storage(format!("FSE {id} : état inconnu {stored:?}"))
                })?;
                if crate::state::fse_allows(from, status) {
                    settle.execute(params![crate::state::fse_name(status), id, stored])?;
                    done.settled.push(Settled {
                        fse_id: id,
                        number: format!("{number:09}"),
                        status,
                        paid_cents: paid,
                        reasons,
                    });
                }
            }
            let outcome = format!(
                "{} FSE réglée(s), {} facture(s) sans FSE connue",
                done.settled.len(),
                done.unknown.len()
            );
            returns_rows::settle(tx, mail_id, ReturnState::Applied, &outcome)?;
            Ok(done)
        })
    }
}

/// The ARL, applied inside `tx`.
fn arl_in(
    tx: &Transaction<'_>,
    mail_id: Option<i64>,
    arl: &Arl,
    now: &str,
) -> Result<ArlApplied, BillingError> {
    let refused = |why: String| BillingError::ReturnRefused(why);
    let attempt = outbox_rows::by_message_id(tx, arl.reference.as_str())?
        .filter(|a| a.kind == passerelle_protocol::LotKind::Fse)
        .ok_or_else(|| {
            refused(format!(
                "ARL d'un envoi inconnu ({}) : aucun lot n'est parti sous cet identifiant.",
                arl.reference.as_str()
            ))
        })?;
    let lot = lot_rows::load(tx, attempt.lot_id)?;
    if let Some(why) = names_other(arl, &lot.number, &lot.organism, "ARL", "le lot") {
        return Err(refused(why));
    }
    let latest = last_sent(tx, lot.id)?.map(|a| a.id);
    if lot.status != LotStatus::Sent || latest != Some(attempt.id) {
        let reason = outcome_reason(&arl.outcome);
        returns_rows::insert_arl(
            tx,
            lot.id,
            Some(attempt.id),
            mail_id,
            reason.is_none(),
            reason.as_deref(),
            now,
        )?;
        return Ok(ArlApplied::Noted(lot));
    }
    match outcome_reason(&arl.outcome) {
        None => {
            returns_rows::insert_arl(tx, lot.id, Some(attempt.id), mail_id, true, None, now)?;
            let lot = lot_rows::transition(tx, lot.id, LotStatus::Acknowledged)?;
            tx.execute(
                "UPDATE lots SET acknowledged = ?2 WHERE id = ?1",
                params![lot.id, now],
            )?;
            for fse in fse_rows::of_lot(tx, lot.id)? {
                if fse.status == FseStatus::Sent {
                    fse_rows::transition(tx, fse.id, FseStatus::Acknowledged)?;
                }
            }
            Ok(ArlApplied::Acknowledged(lot))
        }
        Some(reason) => failure(tx, &lot, Some(attempt.id), mail_id, &reason, now),
    }
}

/// A failed delivery of `lot` (negative ARL, or none in time): recorded; the first sends it
/// again, the second asks for a paper duplicate.
fn failure(
    tx: &Transaction<'_>,
    lot: &Lot,
    attempt: Option<i64>,
    mail_id: Option<i64>,
    reason: &str,
    now: &str,
) -> Result<ArlApplied, BillingError> {
    returns_rows::insert_arl(tx, lot.id, attempt, mail_id, false, Some(reason), now)?;
    let failures: i64 = tx.query_row(
        "UPDATE lots SET failures = failures + 1 WHERE id = ?1 RETURNING failures",
        [lot.id],
        |r| r.get(0),
    )?;
    if failures >= 2 {
        let lot = lot_rows::transition(tx, lot.id, LotStatus::Paper)?;
        let why = format!("Deuxième échec de transmission du lot : {reason}");
        tx.execute(
            "UPDATE lots SET paper_reason = ?2 WHERE id = ?1",
            params![lot.id, why],
        )?;
        return Ok(ArlApplied::Paper { lot, reason: why });
    }
    lot_rows::transition(tx, lot.id, LotStatus::Rejected)?;
    let attempt = crate::outbox::queue_in(tx, lot.id, AttemptReason::Resend, now)?;
    let lot = lot_rows::load(tx, lot.id)?;
    Ok(ArlApplied::Resent {
        lot,
        attempt: Box::new(attempt),
        reason: reason.to_owned(),
    })
}

/// Why an ARL (`kind`, "ARL" or "ARL PJ") does not name the lot its reference points at
/// (`what` `number` of `organism`), or `None` when it does.
pub(crate) fn names_other(
    arl: &Arl,
    number: &str,
    organism: &passerelle_protocol::Organism,
    kind: &str,
    what: &str,
) -> Option<String> {
    let ours = format!("{}{}{}", organism.regime, organism.caisse, organism.centre);
    let named = arl.organism.regime.as_str().to_owned()
        + arl.organism.caisse.as_str()
        + arl.organism.centre.as_str();
    (number != format!("{:03}", arl.lot.get()) || ours != named).then(|| {
        format!(
            "{kind} incohérent : lot {:03} de l'organisme {named}, mais l'envoi cité est {what} \
             {number} de {ours}.",
            arl.lot.get()
        )
    })
}

/// The lot's latest attempt the mail server took.
fn last_sent(tx: &Transaction<'_>, lot_id: i64) -> Result<Option<OutboxAttempt>, BillingError> {
    Ok(outbox_rows::of_lot(tx, lot_id)?
        .into_iter()
        .rfind(|a| a.sent_at.is_some()))
}

/// `None` for a positive ARL, the reason (`code : label`) for a negative one.
pub(crate) fn outcome_reason(outcome: &ArlOutcome) -> Option<String> {
    match outcome {
        ArlOutcome::Positive => None,
        ArlOutcome::Negative { code, label } => {
            Some(format!("{} : {}", code.as_str(), label.as_str()))
        }
    }
}

/// What an ARL did, in French (kept with the mail).
pub fn describe(applied: &ArlApplied) -> String {
    match applied {
        ArlApplied::Acknowledged(lot) => format!("lot {} acquitté (ARL positif)", lot.number),
        ArlApplied::Resent { lot, reason, .. } => {
            format!("lot {} refusé ({reason}) : renvoyé", lot.number)
        }
        ArlApplied::Paper { lot, reason } => {
            format!("lot {} : {reason} ; duplicata papier à envoyer", lot.number)
        }
        ArlApplied::Noted(lot) => format!("lot {} : ARL noté, sans effet", lot.number),
    }
}

#[cfg(test)]
#[path = "inbox_tests.rs"]
mod tests;
