//! Idempotency of the signing calls: the key an FSE was signed under (`fse`
//! `sign_idempotency_key`), and the lots a keyed lot build made (`lot_requests`).

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::BillingError;

/// The key FSE `id` was signed under, if it was signed through a keyed call.
pub fn fse_sign_key(conn: &Connection, id: i64) -> Result<Option<String>, BillingError> {
    let key = conn
        .query_row(
            "SELECT sign_idempotency_key FROM fse WHERE id = ?1",
            [id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?;
    key.ok_or(BillingError::FseNotFound(id))
}

/// Records that FSE `id` was signed under `key`.
pub fn set_fse_sign_key(tx: &Transaction<'_>, id: i64, key: &str) -> Result<(), BillingError> {
    tx.execute(
        "UPDATE fse SET sign_idempotency_key = ?1 WHERE id = ?2",
        params![key, id],
    )?;
    Ok(())
}

/// A keyed lot build already made: the practitioner it was made for and its lots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotRequest {
    /// Billing number the lots were built for.
    pub practitioner: String,
    /// The lots built, in order (possibly none).
    pub lot_ids: Vec<i64>,
}

/// The lot build made under `key`, if any.
pub fn lot_request(conn: &Connection, key: &str) -> Result<Option<LotRequest>, BillingError> {
    let row = conn
        .query_row(
            "SELECT practitioner, lot_ids FROM lot_requests WHERE idempotency_key = ?1",
            [key],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?;
    let Some((practitioner, ids)) = row else {
        return Ok(None);
    };
    let lot_ids = serde_json::from_str(&ids)
        .map_err(|e| BillingError::Storage(format!("lot_requests.lot_ids : {e}")))?;
    Ok(Some(LotRequest {
        practitioner,
        lot_ids,
    }))
}

/// Records the lot build made under `key` (in the transaction that built the lots).
pub fn put_lot_request(
    tx: &Transaction<'_>,
    key: &str,
    request: &LotRequest,
    now: &str,
) -> Result<(), BillingError> {
    let ids = serde_json::to_string(&request.lot_ids)
        .map_err(|e| BillingError::Storage(e.to_string()))?;
    tx.execute(
        "INSERT INTO lot_requests (idempotency_key, practitioner, lot_ids, created)
         VALUES (?1, ?2, ?3, ?4)",
        params![key, request.practitioner, ids, now],
    )?;
    Ok(())
}
