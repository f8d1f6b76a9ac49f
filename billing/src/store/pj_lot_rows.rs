//! PJ lot rows (`pj_lots`), their attachments (`attachments.pj_lot_id`, in `position`
//! order) and the only allowed moves of a PJ lot. Each move sets its attachments' state in
//! the same statement group, so an attachment's state always says where its PJ lot is.

use passerelle_protocol::{AttachmentState, PjLot, PjLotItem, PjLotStatus};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use super::attachment_rows::name;
use crate::numbering::format_lot_number;
use crate::BillingError;

/// A new PJ lot.
pub struct NewPjLot<'a> {
    /// The sending practitioner.
    pub practitioner: &'a str,
    /// Its sequence number (from the `pj_lot` counter).
    pub seq: i64,
    /// Its 3-digit number.
    pub number: i64,
    /// Régime, caisse and centre, 9 digits.
    pub organism: &'a str,
    /// RFC 3339.
    pub created: &'a str,
    /// The last working day it is tried electronically (`YYYY-MM-DD`).
    pub retry_until: &'a str,
}

/// Inserts `new` (status `sending`); its id.
pub fn insert(tx: &Transaction<'_>, new: &NewPjLot<'_>) -> Result<i64, BillingError> {
    tx.execute(
        "INSERT INTO pj_lots (practitioner, seq, number, organism, status, created, retry_until)
         VALUES (?1, ?2, ?3, ?4, 'sending', ?5, ?6)",
        params![
            new.practitioner,
            new.seq,
            new.number,
            new.organism,
            new.created,
            new.retry_until
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Puts attachment `attachment_id` in PJ lot `pj_lot_id` at `position`.
pub fn add_item(
    tx: &Transaction<'_>,
    pj_lot_id: i64,
    attachment_id: i64,
    position: u32,
) -> Result<(), BillingError> {
    tx.execute(
        "UPDATE attachments SET pj_lot_id = ?1, position = ?2, state = ?3 WHERE id = ?4",
        params![
            pj_lot_id,
            position,
            name(AttachmentState::InPjLot),
            attachment_id
        ],
    )?;
    Ok(())
}

const COLUMNS: &str = "id, number, practitioner, organism, status, created, retry_until, \
                       failures, acknowledged, paper_reason, posted";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PjLot> {
    let organism: String = r.get(3)?;
    let status: String = r.get(4)?;
    Ok(PjLot {
        id: r.get(0)?,
        number: format_lot_number(r.get(1)?),
        practitioner: r.get(2)?,
        organism: super::lot_rows::organism_of(&organism),
        status: status_from_name(&status).unwrap_or(PjLotStatus::NeedsAttention),
        attachments: Vec::new(),
        created: r.get(5)?,
        retry_until: r.get(6)?,
        failures: r.get(7)?,
        acknowledged: r.get(8)?,
        paper_reason: r.get(9)?,
        posted: r.get(10)?,
    })
}

/// PJ lot `id`, with its attachments.
pub fn load(conn: &Connection, id: i64) -> Result<PjLot, BillingError> {
    let mut lot = conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM pj_lots WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?
        .ok_or_else(|| not_found(id))?;
    lot.attachments = items(conn, id)?;
    Ok(lot)
}

/// The latest PJ lots, newest first, at most `limit`, optionally of one status.
pub fn latest(
    conn: &Connection,
    status: Option<PjLotStatus>,
    limit: u32,
) -> Result<Vec<PjLot>, BillingError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM pj_lots WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![status.map(status_name), limit], from_row)?;
    let mut lots: Vec<PjLot> = rows.collect::<Result<_, _>>()?;
    for lot in &mut lots {
        lot.attachments = items(conn, lot.id)?;
    }
    Ok(lots)
}

/// The attachments of PJ lot `id`, in order.
pub fn items(conn: &Connection, id: i64) -> Result<Vec<PjLotItem>, BillingError> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.position, a.id, a.kind, a.fse_id, printf('%09d', f.number), \
                printf('%03d', l.number), a.bytes, a.sha256 \
         FROM attachments a JOIN fse f ON f.id = a.fse_id LEFT JOIN lots l ON l.id = f.lot_id \
         WHERE a.pj_lot_id = ?1 ORDER BY a.position",
    )?;
    let rows = stmt.query_map([id], |r| {
        let kind: String = r.get(2)?;
        Ok(PjLotItem {
            position: r.get(0)?,
            attachment_id: r.get(1)?,
            kind: serde_json::from_value(serde_json::Value::String(kind))
                .unwrap_or(passerelle_protocol::AttachmentKind::Other),
            fse_id: r.get(3)?,
            fse_number: r.get(4)?,
            lot_number: r.get(5)?,
            bytes: r.get(6)?,
            sha256: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The attachments of PJ lot `id` with their PDF, in order (an attachment already purged
/// comes with no bytes).
pub fn files(conn: &Connection, id: i64) -> Result<Vec<(PjLotItem, Vec<u8>)>, BillingError> {
    items(conn, id)?
        .into_iter()
        .map(|item| {
            let pdf: Vec<u8> = conn.query_row(
                "SELECT pdf FROM attachments WHERE id = ?1",
                [item.attachment_id],
                |r| r.get(0),
            )?;
            Ok((item, pdf))
        })
        .collect()
}

/// One more failed delivery of PJ lot `id`.
pub fn count_failure(tx: &Transaction<'_>, id: i64) -> Result<u32, BillingError> {
    Ok(tx.query_row(
        "UPDATE pj_lots SET failures = failures + 1 WHERE id = ?1 RETURNING failures",
        [id],
        |r| r.get(0),
    )?)
}

/// Whether a PJ lot may move from `from` to `to`.
pub fn allows(from: PjLotStatus, to: PjLotStatus) -> bool {
    use PjLotStatus as S;
    matches!(
        (from, to),
        (S::Sending, S::Sent | S::NeedsAttention | S::Paper)
            | (S::Sent, S::Acknowledged | S::Sending | S::Paper)
            | (S::NeedsAttention, S::Sending | S::Paper)
            | (S::Paper, S::Posted)
    )
}

/// The state of a PJ lot's attachments when it is in `status`.
pub fn attachment_state(status: PjLotStatus) -> AttachmentState {
    match status {
        PjLotStatus::Sending | PjLotStatus::NeedsAttention => AttachmentState::InPjLot,
        PjLotStatus::Sent => AttachmentState::Sent,
        PjLotStatus::Acknowledged => AttachmentState::Acknowledged,
        PjLotStatus::Paper => AttachmentState::Paper,
        PjLotStatus::Posted => AttachmentState::Posted,
    }
}

/// Moves PJ lot `id` to `to` (and its attachments with it), if allowed.
pub fn transition(tx: &Transaction<'_>, id: i64, to: PjLotStatus) -> Result<PjLot, BillingError> {
    let lot = load(tx, id)?;
    if !allows(lot.status, to) {
        return Err(BillingError::InvalidTransition {
            from: status_name(lot.status).to_owned(),
            to: status_name(to).to_owned(),
        });
    }
    tx.execute(
        "UPDATE pj_lots SET status = ?1 WHERE id = ?2 AND status = ?3",
        params![status_name(to), id, status_name(lot.status)],
    )?;
    tx.execute(
        "UPDATE attachments SET state = ?1 WHERE pj_lot_id = ?2",
        params![name(attachment_state(to)), id],
    )?;
    load(tx, id)
}

/// The stored name of a PJ lot status (also its wire name).
pub fn status_name(s: PjLotStatus) -> &'static str {
    match s {
        PjLotStatus::Sending => "sending",
        PjLotStatus::Sent => "sent",
        PjLotStatus::Acknowledged => "acknowledged",
        PjLotStatus::NeedsAttention => "needs_attention",
        PjLotStatus::Paper => "paper",
        PjLotStatus::Posted => "posted",
    }
}

fn status_from_name(s: &str) -> Option<PjLotStatus> {
    use PjLotStatus::*;
    [Sending, Sent, Acknowledged, NeedsAttention, Paper, Posted]
        .into_iter()
        .find(|st| status_name(*st) == s)
}

/// No PJ lot `id`.
pub fn not_found(id: i64) -> BillingError {
    BillingError::Attachment {
        code: passerelle_protocol::ErrorCode::PjLotNotFound,
        message: format!("Aucun lot de pièces jointes n'a l'identifiant {id}."),
        details: serde_json::json!({ "id": id }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde_and_paper_ends_everything() {
        use PjLotStatus::*;
        for s in [Sending, Sent, Acknowledged, NeedsAttention, Paper, Posted] {
            assert_eq!(serde_json::to_value(s).unwrap(), status_name(s));
            assert_eq!(status_from_name(status_name(s)), Some(s));
            assert!(!allows(Acknowledged, s) && !allows(Posted, s));
            assert_eq!(allows(Paper, s), s == Posted, "paper: only posted after");
        }
        assert!(allows(Sent, Sending), "a negative ARL PJ sends it again");
        assert!(
            !allows(Sending, Acknowledged),
            "no ARL PJ before the server took it"
        );
    }
}
