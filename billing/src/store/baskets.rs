//! Pre-coded FSE: named baskets of acts, stored as JSON.

use passerelle_protocol::{ActInput, Basket};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::BillingError;

/// Creates or replaces a basket.
pub fn put(tx: &Transaction<'_>, basket: &Basket, now: &str) -> Result<(), BillingError> {
    let acts =
        serde_json::to_string(&basket.acts).map_err(|e| BillingError::Storage(e.to_string()))?;
    tx.execute(
        "INSERT INTO baskets (name, label, acts, updated) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET label = excluded.label, acts = excluded.acts,
                                          updated = excluded.updated",
        params![basket.name, basket.label, acts, now],
    )?;
    Ok(())
}

fn decode(name: String, label: String, acts: String) -> Result<Basket, BillingError> {
    let acts: Vec<ActInput> = serde_json::from_str(&acts)
        .map_err(|e| BillingError::Storage(format!("panier {name} illisible : {e}")))?;
    Ok(Basket { name, label, acts })
}

/// The basket `name`.
pub fn get(conn: &Connection, name: &str) -> Result<Basket, BillingError> {
    let row: Option<(String, String, String)> = conn
        .query_row(
            "SELECT name, label, acts FROM baskets WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (name_, label, acts) = row.ok_or_else(|| BillingError::BasketNotFound(name.to_owned()))?;
    decode(name_, label, acts)
}

/// Every basket, by name.
pub fn list(conn: &Connection) -> Result<Vec<Basket>, BillingError> {
    let mut stmt = conn.prepare("SELECT name, label, acts FROM baskets ORDER BY name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, label, acts) = row?;
        out.push(decode(name, label, acts)?);
    }
    Ok(out)
}

/// Deletes a basket.
pub fn delete(tx: &Transaction<'_>, name: &str) -> Result<(), BillingError> {
    if tx.execute("DELETE FROM baskets WHERE name = ?1", [name])? == 0 {
        return Err(BillingError::BasketNotFound(name.to_owned()));
    }
    Ok(())
}
