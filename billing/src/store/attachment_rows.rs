//! The `attachments` table: one row per PDF kept for an FSE.

use passerelle_protocol::{Attachment, AttachmentKind, AttachmentState, MissingAttachment};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::BillingError;

/// What a new row holds.
pub struct NewAttachment<'a> {
    /// The FSE.
    pub fse_id: i64,
    /// What it is.
    pub kind: AttachmentKind,
    /// The file's name, if given.
    pub filename: Option<&'a str>,
    /// The uploaded type.
    pub uploaded_type: &'a str,
    /// The PDF.
    pub pdf: &'a [u8],
    /// Its hex SHA-256.
    pub sha256: &'a str,
    /// Pages.
    pub pages: u32,
    /// Lowest scanned resolution.
    pub dpi: Option<u32>,
    /// RFC 3339.
    pub created: &'a str,
}

const COLUMNS: &str = "a.id, a.fse_id, printf('%09d', f.number), a.kind, a.state, a.filename, \
     a.uploaded_type, a.pages, a.bytes, a.sha256, a.dpi, a.created, a.pj_lot_id, a.purge_on, \
     a.purged";

fn wire<T: serde::de::DeserializeOwned>(text: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text)).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        id: r.get(0)?,
        fse_id: r.get(1)?,
        fse_number: r.get(2)?,
        kind: wire(r.get(3)?)?,
        state: wire(r.get(4)?)?,
        filename: r.get(5)?,
        uploaded_type: r.get(6)?,
        pages: r.get(7)?,
        bytes: r.get(8)?,
        sha256: r.get(9)?,
        dpi: r.get(10)?,
        created: r.get(11)?,
        pj_lot_id: r.get(12)?,
        purge_on: r.get(13)?,
        purged: r.get(14)?,
    })
}

/// The wire name of a serde enum value.
pub fn name<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Inserts `a`; its id.
pub fn insert(conn: &Connection, a: &NewAttachment<'_>) -> Result<i64, BillingError> {
    conn.execute(
        "INSERT INTO attachments (fse_id, kind, state, filename, uploaded_type, pdf, sha256, \
         bytes, pages, dpi, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            a.fse_id,
            name(a.kind),
            name(AttachmentState::Waiting),
            a.filename,
            a.uploaded_type,
            a.pdf,
            a.sha256,
            a.pdf.len() as i64,
            a.pages,
            a.dpi,
            a.created
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Attachment `id`.
pub fn load(conn: &Connection, id: i64) -> Result<Option<Attachment>, BillingError> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM attachments a JOIN fse f ON f.id = a.fse_id WHERE a.id = ?1"
            ),
            [id],
            from_row,
        )
        .optional()?)
}

/// The attachments of FSE `fse_id`, oldest first.
pub fn of_fse(conn: &Connection, fse_id: i64) -> Result<Vec<Attachment>, BillingError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM attachments a JOIN fse f ON f.id = a.fse_id \
         WHERE a.fse_id = ?1 ORDER BY a.id"
    ))?;
    let rows = stmt.query_map([fse_id], from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The PDF of attachment `id`.
pub fn pdf(conn: &Connection, id: i64) -> Result<Option<Vec<u8>>, BillingError> {
    Ok(conn
        .query_row("SELECT pdf FROM attachments WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Degraded FSE (not drafts, not deleted) without a scanned copy, care dates from `from`
/// to `to` (`YYYY-MM-DD`, the care-date index narrows the scan), oldest care first;
/// `attach_by` is filled in by the caller.
pub fn missing_copies(
    conn: &Connection,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<MissingAttachment>, BillingError> {
    let mut stmt = conn.prepare_cached(
        "SELECT f.id, printf('%09d', f.number), f.practitioner, f.care_date FROM fse f \
         WHERE f.care_date >= ?1 AND f.care_date <= ?2 \
           AND f.status NOT IN ('draft', 'deleted') \
           AND json_extract(f.body, '$.mode') = 'degradee' \
           AND NOT EXISTS (SELECT 1 FROM attachments a \
                           WHERE a.fse_id = f.id AND a.kind = 'degraded_copy') \
         ORDER BY f.care_date, f.id",
    )?;
    let range = [from.unwrap_or("0000-00-00"), to.unwrap_or("9999-99-99")];
    let rows = stmt.query_map(range, |r| {
        Ok(MissingAttachment {
            fse_id: r.get(0)?,
            number: r.get(1)?,
            practitioner: r.get(2)?,
            care_date: r.get(3)?,
            kind: AttachmentKind::DegradedCopy,
            attach_by: String::new(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
