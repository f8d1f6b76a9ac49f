//! FSE rows: creation with number and idempotency key, reading, filtered listing, moves.
//! The FSE is kept as its JSON (`body`) plus the columns that filters and moves use; the
//! columns win when read back.

use passerelle_protocol::{Fse, FseStatus};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, Transaction};

use crate::numbering::{self, format_fse_number, Counter};
use crate::state::{check_fse, fse_from_name, fse_name};
use crate::store::lot_rows::Signed;
use crate::BillingError;

/// Filters of the FSE history; every one optional, and no other accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FseFilter {
    /// Care date on or after `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Care date on or before `YYYY-MM-DD`.
    pub to: Option<String>,
    /// Insured person's NIR.
    pub patient: Option<String>,
    /// Status (`draft`, `signed`...).
    pub status: Option<String>,
    /// Lot id.
    pub lot: Option<i64>,
    /// Organism, 9 digits: régime + caisse + centre.
    pub organism: Option<String>,
    /// Practitioner billing number.
    pub practitioner: Option<String>,
    /// At most this many, oldest first: 1 to [`MAX_LISTED`] (the default).
    pub limit: Option<u32>,
}

/// Most FSE one listing returns (and how many when the filter says nothing).
pub const MAX_LISTED: u32 = 10_000;

/// The organism key of a stored FSE: régime + caisse + centre.
pub fn organism_key(fse: &Fse) -> String {
    let o = &fse.organism;
    format!("{}{}{}", o.regime, o.caisse, o.centre)
}

/// The FSE created earlier with idempotency key `key`, if any; refused when that key was
/// used for a request whose hash is not `request_hash`.
pub fn by_key(
    conn: &Connection,
    key: &str,
    request_hash: &str,
) -> Result<Option<Fse>, BillingError> {
    let existing: Option<(i64, Option<String>)> = conn
        .query_row(
            "SELECT id, request_sha256 FROM fse WHERE idempotency_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match existing {
        None => Ok(None),
        Some((_, hash)) if hash.as_deref() != Some(request_hash) => {
            Err(BillingError::IdempotencyKeyReused)
        }
        Some((id, _)) => load(conn, id).map(Some),
    }
}

/// Stores a drawn-up FSE with the next number of its practitioner, bound to `key` (the
/// unique constraint refuses a second FSE with the same key: see [`by_key`]).
pub fn create(
    tx: &Transaction<'_>,
    mut fse: Fse,
    key: Option<&str>,
    request_hash: &str,
) -> Result<Fse, BillingError> {
    let number = numbering::next(tx, &fse.practitioner.billing_number, Counter::Fse)?;
    fse.number = format_fse_number(number);
    fse.status = FseStatus::Draft;
    let body = serde_json::to_string(&fse).map_err(|e| BillingError::Storage(e.to_string()))?;
    tx.execute(
        "INSERT INTO fse (practitioner, number, status, idempotency_key, request_sha256,
                          patient_nir, care_date, organism, drawn_up, body,
                          replacement_session)
         VALUES (?1, ?2, 'draft', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            fse.practitioner.billing_number,
            number,
            key,
            request_hash,
            fse.patient.insured_nir,
            fse.care_date,
            organism_key(&fse),
            fse.drawn_up,
            body,
            fse.replacement.as_ref().map(|r| r.session_id)
        ],
    )?;
    fse.id = tx.last_insert_rowid();
    Ok(fse)
}

const COLUMNS: &str = "id, number, status, signed_at, lot_id, body, \
    (SELECT l.number FROM lots l WHERE l.id = fse.lot_id)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Result<Fse, BillingError>> {
    let id: i64 = r.get(0)?;
    let number: i64 = r.get(1)?;
    let status: String = r.get(2)?;
    let signed_at: Option<String> = r.get(3)?;
    let lot_id: Option<i64> = r.get(4)?;
    let body: String = r.get(5)?;
    let lot_number: Option<i64> = r.get(6)?;
    Ok((|| {
        let mut fse: Fse = serde_json::from_str(&body)
            .map_err(|e| BillingError::Storage(format!("FSE {id} illisible : {e}")))?;
        fse.id = id;
        fse.number = format_fse_number(number);
        fse.status = fse_from_name(&status)
            .ok_or_else(|| BillingError::Storage(format!("FSE {id} : état inconnu {status:?}")))?;
        fse.signed_at = signed_at;
        fse.lot_id = lot_id;
        fse.lot_number = lot_number.map(crate::numbering::format_lot_number);
        Ok(fse)
    })())
}

/// The FSE `id`.
pub fn load(conn: &Connection, id: i64) -> Result<Fse, BillingError> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM fse WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()?
    .ok_or(BillingError::FseNotFound(id))?
}

/// The FSE matching `filter`, oldest first.
pub fn list(conn: &Connection, filter: &FseFilter) -> Result<Vec<Fse>, BillingError> {
    let mut sql = format!("SELECT {COLUMNS} FROM fse WHERE 1 = 1");
    let mut args: Vec<Value> = Vec::new();
    let mut clause = |sql_part: &str, value: Value| {
        args.push(value);
        sql.push_str(&format!(" AND {sql_part} ?{}", args.len()));
    };
    if let Some(v) = &filter.from {
        clause("care_date >=", Value::Text(v.clone()));
    }
    if let Some(v) = &filter.to {
        clause("care_date <=", Value::Text(v.clone()));
    }
    if let Some(v) = &filter.patient {
        clause("patient_nir =", Value::Text(v.clone()));
    }
    if let Some(v) = &filter.status {
        clause("status =", Value::Text(v.clone()));
    }
    if let Some(v) = filter.lot {
        clause("lot_id =", Value::Integer(v));
    }
    if let Some(v) = &filter.organism {
        clause("organism =", Value::Text(v.clone()));
    }
    if let Some(v) = &filter.practitioner {
        clause("practitioner =", Value::Text(v.clone()));
    }
    let limit = filter.limit.unwrap_or(MAX_LISTED).min(MAX_LISTED);
    sql.push_str(&format!(" ORDER BY id LIMIT {limit}"));
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), from_row)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row??);
    }
    Ok(out)
}

/// The FSE of lot `lot_id` (a lot holds at most [`MAX_LISTED`] FSE), oldest first.
pub fn of_lot(conn: &Connection, lot_id: i64) -> Result<Vec<Fse>, BillingError> {
    let filter = FseFilter {
        lot: Some(lot_id),
        ..FseFilter::default()
    };
    list(conn, &filter)
}

/// Moves FSE `id` to `to` if the state machine allows it from its current state.
pub fn transition(tx: &Transaction<'_>, id: i64, to: FseStatus) -> Result<Fse, BillingError> {
    let fse = load(tx, id)?;
    check_fse(&fse.number, fse.status, to)?;
    let changed = tx.execute(
        "UPDATE fse SET status = ?1 WHERE id = ?2 AND status = ?3",
        params![fse_name(to), id, fse_name(fse.status)],
    )?;
    if changed != 1 {
        return Err(BillingError::Storage(format!(
            "FSE {id} modifiée en même temps"
        )));
    }
    Ok(Fse { status: to, ..fse })
}

/// Records the signature of a draft FSE and moves it to `signed`.
pub fn record_signature(
    tx: &Transaction<'_>,
    id: i64,
    signed_at: &str,
    signed_by: &str,
    signature: &[u8],
    certificate: &[u8],
) -> Result<Fse, BillingError> {
    let mut fse = transition(tx, id, FseStatus::Signed)?;
    // The certificate is kept once (`certificates`), the FSE row points at it.
    tx.prepare_cached("INSERT INTO certificates (der) VALUES (?1) ON CONFLICT (der) DO NOTHING")?
        .execute([certificate])?;
    let certificate_id: i64 = tx
        .prepare_cached("SELECT id FROM certificates WHERE der = ?1")?
        .query_row([certificate], |r| r.get(0))?;
    tx.prepare_cached(
        "UPDATE fse SET signed_at = ?1, signed_by = ?2, signature = ?3, certificate_id = ?4
         WHERE id = ?5",
    )?
    .execute(params![signed_at, signed_by, signature, certificate_id, id])?;
    fse.signed_at = Some(signed_at.to_owned());
    Ok(fse)
}

/// The signature and certificate of FSE `id`; `None` while it is not signed.
pub fn signature(conn: &Connection, id: i64) -> Result<Option<Signed>, BillingError> {
    let row = conn
        .query_row(
            "SELECT f.signature, c.der FROM fse f
             LEFT JOIN certificates c ON c.id = f.certificate_id WHERE f.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, Option<Vec<u8>>>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                ))
            },
        )
        .optional()?;
    match row {
        None => Err(BillingError::FseNotFound(id)),
        Some((Some(signature), Some(certificate))) => Ok(Some(Signed {
            bytes: Vec::new(),
            signature,
            certificate,
        })),
        Some(_) => Ok(None),
    }
}

/// Moves signed FSE `ids` into lot `lot_id`.
pub fn put_in_lot(tx: &Transaction<'_>, ids: &[i64], lot_id: i64) -> Result<(), BillingError> {
    for id in ids {
        transition(tx, *id, FseStatus::InLot)?;
        tx.execute(
            "UPDATE fse SET lot_id = ?1 WHERE id = ?2",
            params![lot_id, id],
        )?;
    }
    Ok(())
}
