//! Lot rows: the signed B2 file, its signature and certificate, and the lot's totals.

use passerelle_protocol::{CardKind, Lot, LotStatus, Organism};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};

use crate::numbering::format_lot_number;
use crate::state::{check_lot, lot_from_name, lot_name};
use crate::BillingError;

/// A lot to store.
#[derive(Debug, Clone)]
pub struct NewLot<'a> {
    /// The lot as listed (id ignored).
    pub lot: &'a Lot,
    /// Per-practitioner sequence the number derives from.
    pub seq: i64,
    /// The B2 file.
    pub b2: &'a [u8],
    /// Signature of the B2 file.
    pub signature: &'a [u8],
    /// Signer's certificate, DER.
    pub certificate: &'a [u8],
}

/// Inserts a lot; returns its id.
pub fn insert(tx: &Transaction<'_>, new: &NewLot<'_>) -> Result<i64, BillingError> {
    let l = new.lot;
    let number: i64 = l
        .number
        .parse()
        .map_err(|_| BillingError::Storage("numéro de lot".into()))?;
    let o = &l.organism;
    tx.execute(
        "INSERT INTO lots (practitioner, seq, number, organism, status, created, invoice_count,
                           total_cents, amo_cents, signed_by, b2, b2_sha256, signature, certificate,
                           send_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            l.practitioner,
            new.seq,
            number,
            format!("{}{}{}", o.regime, o.caisse, o.centre),
            lot_name(l.status),
            l.created,
            l.invoice_count,
            l.total_cents,
            l.amo_cents,
            card_kind_name(l.signed_by),
            new.b2,
            l.b2_sha256,
            new.signature,
            new.certificate,
            l.send_by
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

const COLUMNS: &str = "id, number, practitioner, organism, status, invoice_count, total_cents, \
                       amo_cents, created, signed_by, b2_sha256, send_by, paper_posted";

/// The organism of a stored 9-digit code (régime 2, caisse 3, centre 4), as lots, PJ lots
/// and FSE keep it.
pub fn organism_of(code: &str) -> Organism {
    let part = |a: usize, b: usize| code.get(a..b).unwrap_or_default().to_owned();
    Organism {
        regime: part(0, 2),
        caisse: part(2, 5),
        centre: part(5, 9),
    }
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Lot> {
    let organism: String = r.get(3)?;
    let status: String = r.get(4)?;
    let signed_by: String = r.get(9)?;
    Ok(Lot {
        id: r.get(0)?,
        number: format_lot_number(r.get(1)?),
        practitioner: r.get(2)?,
        organism: organism_of(&organism),
        status: lot_from_name(&status).unwrap_or(LotStatus::Signed),
        invoice_count: r.get(5)?,
        total_cents: r.get(6)?,
        amo_cents: r.get(7)?,
        created: r.get(8)?,
        signed_by: match signed_by.as_str() {
            "cps" => CardKind::Cps,
            "cpf" => CardKind::Cpf,
            "cpe" => CardKind::Cpe,
            _ => CardKind::Unknown,
        },
        b2_sha256: r.get(10)?,
        send_by: r.get(11)?,
        paper_posted: r.get(12)?,
    })
}

/// The lot `id`.
pub fn load(conn: &Connection, id: i64) -> Result<Lot, BillingError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM lots WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or(BillingError::LotNotFound(id))
}

/// Every lot, oldest first, optionally of one practitioner.
pub fn list(conn: &Connection, practitioner: Option<&str>) -> Result<Vec<Lot>, BillingError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM lots WHERE ?1 IS NULL OR practitioner = ?1 ORDER BY id"
    ))?;
    let lots = stmt.query_map([practitioner], from_row)?;
    Ok(lots.collect::<Result<_, _>>()?)
}

/// Signed bytes as stored: the bytes, their signature, the signer's certificate (DER).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The signed bytes (a B2 file).
    pub bytes: Vec<u8>,
    /// PKCS#1 v1.5 signature of their SHA-256.
    pub signature: Vec<u8>,
    /// Signer's certificate, DER.
    pub certificate: Vec<u8>,
}

/// The B2 file of lot `id`, its signature and the signer's certificate.
pub fn b2(conn: &Connection, id: i64) -> Result<Signed, BillingError> {
    conn.query_row(
        "SELECT b2, signature, certificate FROM lots WHERE id = ?1",
        [id],
        |r| {
            Ok(Signed {
                bytes: r.get(0)?,
                signature: r.get(1)?,
                certificate: r.get(2)?,
            })
        },
    )
    .optional()?
    .ok_or(BillingError::LotNotFound(id))
}

/// Moves lot `id` to `to` if allowed.
pub fn transition(tx: &Transaction<'_>, id: i64, to: LotStatus) -> Result<Lot, BillingError> {
    let lot = load(tx, id)?;
    check_lot(lot.status, to)?;
    tx.execute(
        "UPDATE lots SET status = ?1 WHERE id = ?2 AND status = ?3",
        params![lot_name(to), id, lot_name(lot.status)],
    )?;
    Ok(Lot { status: to, ..lot })
}

/// The stored name of a card kind.
pub fn card_kind_name(kind: CardKind) -> &'static str {
    match kind {
        CardKind::Cps => "cps",
        CardKind::Cpf => "cpf",
        CardKind::Cpe => "cpe",
        CardKind::Vitale => "vitale",
        CardKind::Unknown => "unknown",
    }
}
