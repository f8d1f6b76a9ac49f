//! Return rows: the mails fetched (raw, before anything is read from them), the mailbox
//! cursors, the ARL and payments applied.

use passerelle_protocol::{ReturnKind, ReturnMail, ReturnState};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::BillingError;

/// A mail to keep.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    /// Whose mailbox.
    pub practitioner: &'a str,
    /// The mailbox's UIDVALIDITY and the mail's UID (the cursor moves to it).
    pub uid: Option<(u32, u32)>,
    /// Its Message-ID.
    pub message_id: Option<&'a str>,
    /// Hex SHA-256 of the raw bytes.
    pub sha256: &'a str,
    /// Its sender.
    pub sender: Option<&'a str>,
    /// Its subject.
    pub subject: &'a str,
    /// The whole mail.
    pub raw: &'a [u8],
    /// What it holds.
    pub kind: ReturnKind,
    /// Now (RFC 3339).
    pub now: &'a str,
}

const COLUMNS: &str =
    "id, practitioner, message_id, sender, subject, kind, state, outcome, received";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ReturnMail> {
    let kind: String = r.get(5)?;
    let state: String = r.get(6)?;
    Ok(ReturnMail {
        id: r.get(0)?,
        practitioner: r.get(1)?,
        message_id: r.get(2)?,
        sender: r.get(3)?,
        subject: r.get(4)?,
        kind: kind_from_name(&kind),
        state: state_from_name(&state),
        outcome: r.get(7)?,
        received: r.get(8)?,
    })
}

/// Keeps a mail (state `stored`) and moves the mailbox cursor past it, in one transaction;
/// `Ok(None)` when the same mail (same bytes, or same Message-ID) is already kept (the
/// cursor still moves).
pub fn insert(tx: &Transaction<'_>, m: &NewMail<'_>) -> Result<Option<i64>, BillingError> {
    if let Some((validity, uid)) = m.uid {
        tx.execute(
            "INSERT INTO imap_cursors (practitioner, uid_validity, last_uid) VALUES (?1, ?2, ?3)
             ON CONFLICT (practitioner) DO UPDATE SET uid_validity = ?2,
                 last_uid = CASE WHEN uid_validity = ?2 THEN MAX(last_uid, ?3) ELSE ?3 END",
            params![m.practitioner, validity, uid],
        )?;
    }
    let known: Option<i64> = tx
        .query_row(
            "SELECT id FROM return_mails WHERE sha256 = ?1 OR (?2 IS NOT NULL AND message_id = ?2)",
            params![m.sha256, m.message_id],
            |r| r.get(0),
        )
        .optional()?;
    if known.is_some() {
        return Ok(None);
    }
    tx.execute(
        "INSERT INTO return_mails (practitioner, uid_validity, uid, message_id, sha256, sender,
                                   subject, raw, received, kind, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'stored')",
        params![
            m.practitioner,
            m.uid.map(|u| u.0),
            m.uid.map(|u| u.1),
            m.message_id,
            m.sha256,
            m.sender,
            m.subject,
            m.raw,
            m.now,
            kind_name(m.kind)
        ],
    )?;
    Ok(Some(tx.last_insert_rowid()))
}

/// Where the mailbox of `practitioner` was read up to: (UIDVALIDITY, last UID).
pub fn cursor(conn: &Connection, practitioner: &str) -> Result<Option<(u32, u32)>, BillingError> {
    Ok(conn
        .query_row(
            "SELECT uid_validity, last_uid FROM imap_cursors WHERE practitioner = ?1",
            [practitioner],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The mail `id`, and its raw bytes.
pub fn load(conn: &Connection, id: i64) -> Result<(ReturnMail, Vec<u8>), BillingError> {
    conn.query_row(
        &format!("SELECT {COLUMNS}, raw FROM return_mails WHERE id = ?1"),
        [id],
        |r| Ok((from_row(r)?, r.get(9)?)),
    )
    .optional()?
    .ok_or_else(|| BillingError::Storage(format!("retour {id} introuvable")))
}

/// The ids of the mails kept but not applied yet, oldest first.
pub fn stored(conn: &Connection) -> Result<Vec<i64>, BillingError> {
    let mut stmt =
        conn.prepare("SELECT id FROM return_mails WHERE state = 'stored' ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The latest mails, newest first.
pub fn latest(conn: &Connection, limit: u32) -> Result<Vec<ReturnMail>, BillingError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM return_mails ORDER BY id DESC LIMIT ?1"
    ))?;
    let rows = stmt.query_map([limit], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records what applying mail `id` did (or why it was not applied).
pub fn settle(
    tx: &Transaction<'_>,
    id: i64,
    state: ReturnState,
    outcome: &str,
) -> Result<(), BillingError> {
    tx.execute(
        "UPDATE return_mails SET state = ?2, outcome = ?3 WHERE id = ?1",
        params![id, state_name(state), outcome],
    )?;
    Ok(())
}

/// The stored name of a kind.
pub fn kind_name(k: ReturnKind) -> &'static str {
    match k {
        ReturnKind::Arl => "arl",
        ReturnKind::ArlPj => "arl_pj",
        ReturnKind::Noemie => "noemie",
        ReturnKind::Other => "other",
    }
}

fn kind_from_name(s: &str) -> ReturnKind {
    match s {
        "arl" => ReturnKind::Arl,
        "arl_pj" => ReturnKind::ArlPj,
        "noemie" => ReturnKind::Noemie,
        _ => ReturnKind::Other,
    }
}

/// The stored name of a state.
pub fn state_name(s: ReturnState) -> &'static str {
    match s {
        ReturnState::Stored => "stored",
        ReturnState::Applied => "applied",
        ReturnState::Refused => "refused",
        ReturnState::UnknownSender => "unknown_sender",
    }
}

fn state_from_name(s: &str) -> ReturnState {
    match s {
        "applied" => ReturnState::Applied,
        "refused" => ReturnState::Refused,
        "unknown_sender" => ReturnState::UnknownSender,
        _ => ReturnState::Stored,
    }
}

/// A payment line to keep.
#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    /// The NOEMIE mail.
    pub mail_id: i64,
    /// The FSE, when one matches.
    pub fse_id: Option<i64>,
    /// Its practitioner and number, as the organism wrote them.
    pub practitioner: &'a str,
    /// FSE number.
    pub fse_number: i64,
    /// Lot number.
    pub lot_number: i64,
    /// `paid`, `partly_paid`, `rejected`.
    pub status: &'a str,
    /// Requested (AMO + AMC), cents.
    pub requested_cents: i64,
    /// Paid (AMO + AMC), cents.
    pub paid_cents: i64,
    /// Payment date `YYYY-MM-DD`.
    pub payment_date: Option<&'a str>,
    /// Rejection reasons, `code : label`, one a line.
    pub reasons: &'a str,
}

/// Keeps a payment line.
pub fn insert_payment(tx: &Transaction<'_>, p: &NewPayment<'_>) -> Result<(), BillingError> {
    tx.prepare_cached(
        "INSERT INTO payments (return_mail_id, fse_id, practitioner, fse_number, lot_number,
             status, requested_cents, paid_cents, payment_date, reasons)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        p.mail_id,
        p.fse_id,
        p.practitioner,
        p.fse_number,
        p.lot_number,
        p.status,
        p.requested_cents,
        p.paid_cents,
        p.payment_date,
        p.reasons
    ])?;
    Ok(())
}

/// A payment as kept: (fse id, paid cents, payment date, reasons).
pub type PaymentRow = (Option<i64>, String, i64, i64, Option<String>, String);

/// Every payment line: (FSE id, "practitioner/number", requested, paid, date, reasons),
/// oldest first.
pub fn payments(conn: &Connection) -> Result<Vec<PaymentRow>, BillingError> {
    let mut stmt = conn.prepare(
        "SELECT fse_id, practitioner || '/' || printf('%09d', fse_number), requested_cents,
                paid_cents, payment_date, reasons
         FROM payments ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records an ARL for lot `lot_id`.
pub fn insert_arl(
    tx: &Transaction<'_>,
    lot_id: i64,
    attempt_id: Option<i64>,
    mail_id: Option<i64>,
    positive: bool,
    reason: Option<&str>,
    now: &str,
) -> Result<(), BillingError> {
    tx.execute(
        "INSERT INTO arl (lot_id, attempt_id, return_mail_id, positive, reason, received)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![lot_id, attempt_id, mail_id, positive, reason, now],
    )?;
    Ok(())
}
