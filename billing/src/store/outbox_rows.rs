//! Outbox rows: one per attempt to send a lot of FSE or a PJ lot, with the message as built
//! (stored before the first SMTP try, so every later try sends the same bytes under the
//! same Message-ID).

use passerelle_protocol::{AttemptReason, AttemptState, LotKind, OutboxAttempt};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::numbering::format_lot_number;
use crate::BillingError;

/// What an attempt carries: a lot of FSE or a PJ lot, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carried {
    /// A lot of FSE.
    Lot(i64),
    /// A PJ lot.
    PjLot(i64),
}

impl Carried {
    /// The carried lot of `attempt`.
    pub fn of(attempt: &OutboxAttempt) -> Carried {
        match attempt.kind {
            LotKind::Fse => Carried::Lot(attempt.lot_id),
            LotKind::Pj => Carried::PjLot(attempt.lot_id),
        }
    }

    /// The outbox column naming it, and its id.
    fn column(self) -> (&'static str, i64) {
        match self {
            Carried::Lot(id) => ("lot_id", id),
            Carried::PjLot(id) => ("pj_lot_id", id),
        }
    }
}

/// An attempt to create.
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    /// The lot it carries.
    pub carried: Carried,
    /// Its practitioner (the mailbox it leaves from: attempts go in order per practitioner).
    pub practitioner: &'a str,
    /// Why.
    pub reason: AttemptReason,
    /// The Message-ID, with its angle brackets.
    pub message_id: &'a str,
    /// Now (RFC 3339): created, and first due.
    pub now: &'a str,
}

const COLUMNS: &str = "o.id, COALESCE(o.lot_id, o.pj_lot_id), COALESCE(l.number, p.number), \
    o.practitioner, o.attempt, o.reason, o.message_id, o.state, o.created, o.next_try, o.tries, \
    o.recipient, o.last_error, o.server_reply, o.sent_at, o.pj_lot_id IS NOT NULL";

const FROM: &str = "outbox o LEFT JOIN lots l ON l.id = o.lot_id \
    LEFT JOIN pj_lots p ON p.id = o.pj_lot_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<OutboxAttempt> {
    let reason: String = r.get(5)?;
    let state: String = r.get(7)?;
    let state = state_from_name(&state).unwrap_or(AttemptState::Failed);
    let pj: bool = r.get(15)?;
    Ok(OutboxAttempt {
        id: r.get(0)?,
        kind: if pj { LotKind::Pj } else { LotKind::Fse },
        lot_id: r.get(1)?,
        lot_number: format_lot_number(r.get(2)?),
        practitioner: r.get(3)?,
        attempt: r.get(4)?,
        reason: reason_from_name(&reason).unwrap_or(AttemptReason::First),
        message_id: r.get(6)?,
        state,
        created: r.get(8)?,
        next_try: (state == AttemptState::Queued)
            .then(|| r.get(9))
            .transpose()?,
        tries: r.get(10)?,
        recipient: r.get(11)?,
        last_error: r.get(12)?,
        server_reply: r.get(13)?,
        sent_at: r.get(14)?,
    })
}

/// Inserts an attempt (the lot's next number) in state `queued`; returns it.
pub fn insert(tx: &Transaction<'_>, new: &NewAttempt<'_>) -> Result<OutboxAttempt, BillingError> {
    let (column, id) = new.carried.column();
    let attempt: u32 = tx.query_row(
        &format!("SELECT COALESCE(MAX(attempt), 0) + 1 FROM outbox WHERE {column} = ?1"),
        [id],
        |r| r.get(0),
    )?;
    tx.execute(
        &format!(
            "INSERT INTO outbox ({column}, practitioner, attempt, reason, message_id, state,
                                 created, next_try)
             VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?6)"
        ),
        params![
            id,
            new.practitioner,
            attempt,
            reason_name(new.reason),
            new.message_id,
            new.now
        ],
    )?;
    load(tx, tx.last_insert_rowid())
}

/// The attempt `id`.
pub fn load(conn: &Connection, id: i64) -> Result<OutboxAttempt, BillingError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE o.id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or(BillingError::AttemptNotFound(id))
}

/// The attempt sent under `message_id` (with or without its angle brackets), if any.
pub fn by_message_id(
    conn: &Connection,
    message_id: &str,
) -> Result<Option<OutboxAttempt>, BillingError> {
    let bare = message_id.trim_start_matches('<').trim_end_matches('>');
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE o.message_id = ?1"),
            [format!("<{bare}>")],
            from_row,
        )
        .optional()?)
}

/// The attempt of `carried` still on its way (queued or sending), if any.
pub fn open_for(
    conn: &Connection,
    carried: Carried,
) -> Result<Option<OutboxAttempt>, BillingError> {
    let (column, id) = carried.column();
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE o.{column} = ?1 \
                 AND o.state IN ('queued', 'sending')"
            ),
            [id],
            from_row,
        )
        .optional()?)
}

/// Every attempt of `carried`, oldest first.
pub fn of(conn: &Connection, carried: Carried) -> Result<Vec<OutboxAttempt>, BillingError> {
    let (column, id) = carried.column();
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE o.{column} = ?1 ORDER BY o.id"
    ))?;
    let rows = stmt.query_map([id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every attempt of lot of FSE `lot_id`, oldest first.
pub fn of_lot(conn: &Connection, lot_id: i64) -> Result<Vec<OutboxAttempt>, BillingError> {
    of(conn, Carried::Lot(lot_id))
}

/// The latest attempts, newest first, at most `limit`.
pub fn latest(conn: &Connection, limit: u32) -> Result<Vec<OutboxAttempt>, BillingError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM {FROM} ORDER BY o.id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// An attempt with the message stored for it, if any.
pub type WithMessage = (OutboxAttempt, Option<Vec<u8>>);

/// For each practitioner, the oldest attempt still on its way (queued or sending), with the
/// message stored for it, when it is due at `now`: attempts go in order per mailbox, so a
/// later one waits behind an earlier one that is backing off.
pub fn heads(conn: &Connection, now: &str) -> Result<Vec<WithMessage>, BillingError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS}, o.message FROM {FROM}
         WHERE o.id IN (SELECT MIN(id) FROM outbox WHERE state IN ('queued', 'sending')
                        GROUP BY practitioner)
           AND (o.state = 'sending' OR o.next_try <= ?1)
         ORDER BY o.id"
    ))?;
    let rows = stmt.query_map([now], |r| Ok((from_row(r)?, r.get(16)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The earliest `next_try` of the queued attempts (when the worker must look again).
pub fn next_due(conn: &Connection) -> Result<Option<String>, BillingError> {
    Ok(conn.query_row(
        "SELECT MIN(next_try) FROM outbox WHERE state = 'queued'",
        [],
        |r| r.get(0),
    )?)
}

/// Moves attempt `id` from `from` to `to`, setting the given columns; fails (as not found)
/// when the attempt is no longer in `from`.
pub fn update(
    tx: &Transaction<'_>,
    id: i64,
    from: AttemptState,
    to: AttemptState,
    set: &Update<'_>,
) -> Result<OutboxAttempt, BillingError> {
    let changed = tx.execute(
        "UPDATE outbox SET state = ?3,
             recipient = COALESCE(?4, recipient),
             message = COALESCE(?5, message),
             last_error = COALESCE(?6, last_error),
             server_reply = COALESCE(?7, server_reply),
             sent_at = COALESCE(?8, sent_at),
             next_try = COALESCE(?9, next_try),
             tries = tries + ?10
         WHERE id = ?1 AND state = ?2",
        params![
            id,
            state_name(from),
            state_name(to),
            set.recipient,
            set.message,
            set.last_error,
            set.server_reply,
            set.sent_at,
            set.next_try,
            i64::from(set.tried)
        ],
    )?;
    if changed == 0 {
        let now = load(tx, id)?;
        return Err(BillingError::InvalidTransition {
            from: state_name(now.state).to_owned(),
            to: state_name(to).to_owned(),
        });
    }
    load(tx, id)
}

/// The columns an update sets (`None`: unchanged).
#[derive(Debug, Default, Clone)]
pub struct Update<'a> {
    /// The recipient mailbox.
    pub recipient: Option<&'a str>,
    /// The built message.
    pub message: Option<&'a [u8]>,
    /// The failure, in French.
    pub last_error: Option<&'a str>,
    /// The server's acceptance reply.
    pub server_reply: Option<&'a str>,
    /// When it was accepted.
    pub sent_at: Option<&'a str>,
    /// When to try again.
    pub next_try: Option<&'a str>,
    /// Whether an SMTP try was made.
    pub tried: bool,
}

/// The stored name of an attempt state (also its wire name).
pub fn state_name(s: AttemptState) -> &'static str {
    match s {
        AttemptState::Queued => "queued",
        AttemptState::Sending => "sending",
        AttemptState::Sent => "sent",
        AttemptState::Failed => "failed",
        AttemptState::Cancelled => "cancelled",
    }
}

fn state_from_name(s: &str) -> Option<AttemptState> {
    use AttemptState::*;
    [Queued, Sending, Sent, Failed, Cancelled]
        .into_iter()
        .find(|st| state_name(*st) == s)
}

/// The stored name of an attempt reason (also its wire name).
pub fn reason_name(r: AttemptReason) -> &'static str {
    match r {
        AttemptReason::First => "first",
        AttemptReason::Retry => "retry",
        AttemptReason::Resend => "resend",
        AttemptReason::Daily => "daily",
    }
}

fn reason_from_name(s: &str) -> Option<AttemptReason> {
    use AttemptReason::*;
    [First, Retry, Resend, Daily]
        .into_iter()
        .find(|r| reason_name(*r) == s)
}

/// The stored mail settings of `practitioner` (JSON), if any.
pub fn mail_settings(
    conn: &Connection,
    practitioner: &str,
) -> Result<Option<String>, BillingError> {
    Ok(conn
        .query_row(
            "SELECT settings FROM mail_settings WHERE practitioner = ?1",
            [practitioner],
            |r| r.get(0),
        )
        .optional()?)
}

/// Every stored mail setting (JSON), by practitioner.
pub fn all_mail_settings(conn: &Connection) -> Result<Vec<String>, BillingError> {
    let mut stmt = conn.prepare("SELECT settings FROM mail_settings ORDER BY practitioner")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores `practitioner`'s mail settings (JSON).
pub fn put_mail_settings(
    tx: &Transaction<'_>,
    practitioner: &str,
    json: &str,
    now: &str,
) -> Result<(), BillingError> {
    tx.execute(
        "INSERT INTO mail_settings (practitioner, settings, updated) VALUES (?1, ?2, ?3)
         ON CONFLICT (practitioner) DO UPDATE SET settings = ?2, updated = ?3",
        params![practitioner, json, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        use AttemptState::*;
        for s in [Queued, Sending, Sent, Failed, Cancelled] {
            assert_eq!(serde_json::to_value(s).unwrap(), state_name(s));
            assert_eq!(state_from_name(state_name(s)), Some(s));
        }
        use AttemptReason::*;
        for r in [First, Retry, Resend, Daily] {
            assert_eq!(serde_json::to_value(r).unwrap(), reason_name(r));
            assert_eq!(reason_from_name(reason_name(r)), Some(r));
        }
    }
}
