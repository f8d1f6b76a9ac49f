//! The outbox: the durable record of every attempt to send a lot (of FSE, or a PJ lot of
//! scanned attachments: see [`crate::pj_lots`]), and the only way either moves to `sent`. No network here: the transmission crate's worker asks for the due
//! attempts, builds and sends each message, and reports the outcome back through these
//! calls, each one a transaction.
//!
//! ```text
//! queue_lot ──> queued ──claim──> sending (message stored) ──sent──> sent      (lot sent, FSE sent)
//!                 ^   └──cancel──> cancelled (lot back)    └──temporary──> queued (later)
//!                 └──────────────────────────────────────  └──permanent──> failed (lot needs attention)
//! ```
//!
//! Crash safety: the attempt and the lot's move to `sending` are written together; the
//! message is stored before the first SMTP try, so an attempt found `sending` after a crash
//! (the server may have taken it before the store could say so) goes again with the same
//! bytes and Message-ID, never as a new lot.

use passerelle_protocol::{
    AttemptReason, AttemptState, FseStatus, Lot, LotDetail, LotStatus, MailSettings, OutboxAttempt,
    PjLotStatus,
};
use rusqlite::Transaction;
use time::OffsetDateTime;

use crate::clock::format_instant;
pub use crate::outgoing::OutgoingLot;
use crate::store::outbox_rows::{self, Carried, NewAttempt, Update};
use crate::store::{fse_rows, lot_rows, pj_lot_rows};
use crate::{Billing, BillingError};

/// Most attempts `GET /v1/outbox` lists.
pub const MAX_LISTED: u32 = 1000;

/// An attempt the worker must handle now, with what it needs.
#[derive(Debug, Clone)]
pub struct DueAttempt {
    /// The attempt.
    pub attempt: OutboxAttempt,
    /// What it carries.
    pub lot: OutgoingLot,
    /// The message already built for it (a try interrupted by a crash, or a temporary
    /// failure): sent again as it is.
    pub message: Option<Vec<u8>>,
}

impl Billing {
    /// Queues lot `lot_id` for sending: a new attempt and the lot's move to `sending`, in one
    /// transaction. A lot already on its way answers its open attempt (sending twice never
    /// queues twice). The Message-ID ends with the domain of the practitioner's address.
    pub fn queue_lot(
        &self,
        lot_id: i64,
        reason: AttemptReason,
    ) -> Result<OutboxAttempt, BillingError> {
        let now = format_instant(self.clock.now());
        self.store.write(|tx| queue_in(tx, lot_id, reason, &now))
    }

    /// Queues every lot waiting to leave (`signed`), optionally of one practitioner, oldest
    /// first; answers the attempts (new or already open).
    pub fn queue_signed_lots(
        &self,
        practitioner: Option<&str>,
        reason: AttemptReason,
    ) -> Result<Vec<OutboxAttempt>, BillingError> {
        let now = format_instant(self.clock.now());
        self.store.write(|tx| {
            lot_rows::list(tx, practitioner)?
                .into_iter()
                .filter(|l| l.status == LotStatus::Signed)
                .map(|l| queue_in(tx, l.id, reason, &now))
                .collect()
        })
    }

    /// The latest attempts, newest first.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxAttempt>, BillingError> {
        self.store
            .read(|c| outbox_rows::latest(c, limit.min(MAX_LISTED)))
    }

    /// Lot `id` and every attempt to send it.
    pub fn lot_detail(&self, id: i64) -> Result<LotDetail, BillingError> {
        self.store.read(|c| {
            Ok(LotDetail {
                lot: lot_rows::load(c, id)?,
                attempts: outbox_rows::of_lot(c, id)?,
            })
        })
    }

    /// Cancels a queued attempt; its lot goes back where it was before being queued. A PJ
    /// lot's attempt is not cancelled (PJ lots leave by themselves, within 5 working days).
    pub fn cancel_attempt(&self, id: i64) -> Result<(OutboxAttempt, Lot), BillingError> {
        self.store.write(|tx| {
            let attempt = outbox_rows::load(tx, id)?;
            if attempt.kind == passerelle_protocol::LotKind::Pj {
                return Err(BillingError::AttemptNotCancellable(
                    "celui d'un lot de pièces jointes, qui part de lui-même dans les 5 jours ouvrés"
                        .into(),
                ));
            }
            if attempt.state != AttemptState::Queued {
                return Err(BillingError::AttemptNotCancellable(
                    outbox_rows::state_name(attempt.state).to_owned(),
                ));
            }
            let back = match attempt.reason {
                AttemptReason::First | AttemptReason::Daily => LotStatus::Signed,
                AttemptReason::Retry => LotStatus::NeedsAttention,
                AttemptReason::Resend => LotStatus::Rejected,
            };
            let cancelled = outbox_rows::update(
                tx,
                id,
                AttemptState::Queued,
                AttemptState::Cancelled,
                &Update::default(),
            )?;
            let lot = lot_rows::transition(tx, attempt.lot_id, back)?;
            Ok((cancelled, lot))
        })
    }

    /// The attempts to handle at `now`: per practitioner, the oldest one still on its way,
    /// if it is due (or was interrupted while sending).
    pub fn due_attempts(&self, now: OffsetDateTime) -> Result<Vec<DueAttempt>, BillingError> {
        let now = format_instant(now);
        self.store.read(|c| {
            outbox_rows::heads(c, &now)?
                .into_iter()
                .map(|(attempt, message)| {
                    Ok(DueAttempt {
                        lot: OutgoingLot::load(c, Carried::of(&attempt))?,
                        attempt,
                        message,
                    })
                })
                .collect()
        })
    }

    /// When the next queued attempt is due, if any is queued.
    pub fn next_due(&self) -> Result<Option<String>, BillingError> {
        self.store.read(outbox_rows::next_due)
    }

    /// Stores the message built for a queued attempt and marks it `sending`: from now on
    /// every try sends these bytes.
    pub fn claim(
        &self,
        id: i64,
        recipient: &str,
        message: &[u8],
    ) -> Result<OutboxAttempt, BillingError> {
        self.store.write(|tx| {
            let set = Update {
                recipient: Some(recipient),
                message: Some(message),
                ..Update::default()
            };
            outbox_rows::update(tx, id, AttemptState::Queued, AttemptState::Sending, &set)
        })
    }

    /// The server took the message: the attempt is `sent`, its lot too, and the lot's FSE
    /// (those still `in_lot`) `sent`; a PJ lot's attachments are `sent`.
    pub fn mark_sent(
        &self,
        id: i64,
        server_reply: &str,
    ) -> Result<(OutboxAttempt, OutgoingLot), BillingError> {
        let now = format_instant(self.clock.now());
        self.store.write(|tx| {
            let set = Update {
                server_reply: Some(server_reply),
                sent_at: Some(&now),
                tried: true,
                ..Update::default()
            };
            let sent =
                outbox_rows::update(tx, id, AttemptState::Sending, AttemptState::Sent, &set)?;
            if let Carried::PjLot(pj) = Carried::of(&sent) {
                let pj = pj_lot_rows::transition(tx, pj, PjLotStatus::Sent)?;
                return Ok((sent, OutgoingLot::Pj(pj)));
            }
            let lot = lot_rows::transition(tx, sent.lot_id, LotStatus::Sent)?;
            for fse in fse_rows::of_lot(tx, sent.lot_id)? {
                if fse.status == FseStatus::InLot {
                    fse_rows::transition(tx, fse.id, FseStatus::Sent)?;
                }
            }
            Ok((sent, OutgoingLot::Fse(lot)))
        })
    }

    /// A temporary failure: the attempt waits until `next_try`, keeping its message (the
    /// next try sends the same bytes). `from` is its state when tried.
    pub fn mark_temporary(
        &self,
        id: i64,
        from: AttemptState,
        error: &str,
        next_try: OffsetDateTime,
    ) -> Result<OutboxAttempt, BillingError> {
        let next_try = format_instant(next_try);
        self.store.write(|tx| {
            let set = Update {
                last_error: Some(error),
                next_try: Some(&next_try),
                tried: from == AttemptState::Sending,
                ..Update::default()
            };
            outbox_rows::update(tx, id, from, AttemptState::Queued, &set)
        })
    }

    /// A permanent failure: the attempt is `failed`, its lot needs attention; nothing is
    /// retried until someone sends the lot again (a PJ lot: the next working day, by
    /// [`Billing::pj_timeouts`]).
    pub fn mark_failed(
        &self,
        id: i64,
        from: AttemptState,
        error: &str,
    ) -> Result<(OutboxAttempt, OutgoingLot), BillingError> {
        self.store.write(|tx| {
            let set = Update {
                last_error: Some(error),
                tried: from == AttemptState::Sending,
                ..Update::default()
            };
            let failed = outbox_rows::update(tx, id, from, AttemptState::Failed, &set)?;
            if let Carried::PjLot(pj) = Carried::of(&failed) {
                pj_lot_rows::count_failure(tx, pj)?;
                let pj = pj_lot_rows::transition(tx, pj, PjLotStatus::NeedsAttention)?;
                return Ok((failed, OutgoingLot::Pj(pj)));
            }
            let lot = lot_rows::transition(tx, failed.lot_id, LotStatus::NeedsAttention)?;
            Ok((failed, OutgoingLot::Fse(lot)))
        })
    }
}

/// Queues lot `lot_id` inside `tx` (see [`Billing::queue_lot`]).
pub(crate) fn queue_in(
    tx: &Transaction<'_>,
    lot_id: i64,
    reason: AttemptReason,
    now: &str,
) -> Result<OutboxAttempt, BillingError> {
    let lot = lot_rows::load(tx, lot_id)?;
    if let Some(open) = outbox_rows::open_for(tx, Carried::Lot(lot_id))? {
        return Ok(open);
    }
    let reason = match (lot.status, reason) {
        (LotStatus::NeedsAttention, _) => AttemptReason::Retry,
        (LotStatus::Rejected, _) => AttemptReason::Resend,
        (LotStatus::Signed, r) => r,
        (status, _) => {
            return Err(BillingError::LotNotSendable {
                number: lot.number.clone(),
                status: status_in_french(status).to_owned(),
            })
        }
    };
    lot_rows::transition(tx, lot_id, LotStatus::Sending)?;
    insert_attempt(
        tx,
        Carried::Lot(lot_id),
        &lot.practitioner,
        &lot.number,
        reason,
        now,
    )
}

/// Inserts the next attempt of `carried` (lot or PJ lot `number` of `practitioner`), with
/// its Message-ID: `<lot-…>` or `<pj-…>`, ending with the domain of the practitioner's
/// address.
pub(crate) fn insert_attempt(
    tx: &Transaction<'_>,
    carried: Carried,
    practitioner: &str,
    number: &str,
    reason: AttemptReason,
    now: &str,
) -> Result<OutboxAttempt, BillingError> {
    let (prefix, id) = match carried {
        Carried::Lot(id) => ("lot", id),
        Carried::PjLot(id) => ("pj", id),
    };
    let attempt_no = outbox_rows::of(tx, carried)?.len() + 1;
    let domain = outbox_rows::mail_settings(tx, practitioner)?
        .and_then(|json| serde_json::from_str::<MailSettings>(&json).ok())
        .and_then(|s| s.from.rsplit_once('@').map(|(_, d)| d.to_owned()))
        .filter(|d| {
            !d.is_empty()
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
        })
        .unwrap_or_else(|| "passerelle.invalid".to_owned());
    let message_id = format!(
        "<{prefix}-{practitioner}-{number}-{id}.{attempt_no}.{}@{domain}>",
        unique_suffix(),
    );
    outbox_rows::insert(
        tx,
        &NewAttempt {
            carried,
            practitioner,
            reason,
            message_id: &message_id,
            now,
        },
    )
}

/// 64 random bits in hex: Message-IDs of two daemons (or of a store restored from a backup)
/// never collide.
fn unique_suffix() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        // No OS randomness: the time in nanoseconds still separates two attempts.
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        bytes = (nanos as u64).to_be_bytes();
    }
    hex::encode(bytes)
}

/// A lot status as a practitioner reads it.
pub fn status_in_french(status: LotStatus) -> &'static str {
    match status {
        LotStatus::Signed => "signé, à envoyer",
        LotStatus::Sending => "en cours d'envoi",
        LotStatus::NeedsAttention => "en échec, à reprendre",
        LotStatus::Sent => "envoyé",
        LotStatus::Acknowledged => "accusé reçu",
        LotStatus::Rejected => "rejeté, à renvoyer",
        LotStatus::Paper => "en échec deux fois : duplicata papier à envoyer",
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
