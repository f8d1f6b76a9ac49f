//! Replacement sessions and assistants' grants: rows holding the JSON of each, plus the
//! columns the rules query (replaced and substitute billing numbers, period, state).

use passerelle_protocol::{Assistant, AssistantGrant, ReplacementSession, ReplacementState};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::BillingError;

fn state_name(s: ReplacementState) -> &'static str {
    match s {
        ReplacementState::Open => "open",
        ReplacementState::Closed => "closed",
        ReplacementState::Purged => "purged",
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, BillingError> {
    serde_json::to_string(v).map_err(|e| BillingError::Storage(e.to_string()))
}

fn session_of(id: i64, body: &str) -> Result<ReplacementSession, BillingError> {
    let mut s: ReplacementSession = serde_json::from_str(body)
        .map_err(|e| BillingError::Storage(format!("remplacement {id} illisible : {e}")))?;
    s.id = id;
    Ok(s)
}

/// Stores a new session; its id.
pub fn insert_session(tx: &Transaction<'_>, s: &ReplacementSession) -> Result<i64, BillingError> {
    tx.execute(
        "INSERT INTO replacement_sessions (replaced, substitute, start, end, state, body)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            s.replaced.billing_number,
            s.substitute.billing_number,
            s.start,
            s.end,
            state_name(s.state),
            to_json(s)?
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Rewrites session `s` (state, closing, purge).
pub fn update_session(tx: &Transaction<'_>, s: &ReplacementSession) -> Result<(), BillingError> {
    tx.execute(
        "UPDATE replacement_sessions SET state = ?2, body = ?3 WHERE id = ?1",
        params![s.id, state_name(s.state), to_json(s)?],
    )?;
    Ok(())
}

/// Session `id`.
pub fn session(conn: &Connection, id: i64) -> Result<ReplacementSession, BillingError> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM replacement_sessions WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    match body {
        Some(b) => session_of(id, &b),
        None => Err(crate::replacement::not_found(id)),
    }
}

fn sessions_where(
    conn: &Connection,
    clause: &str,
    arg: Option<&str>,
) -> Result<Vec<ReplacementSession>, BillingError> {
    let sql = format!("SELECT id, body FROM replacement_sessions {clause} ORDER BY id DESC");
    let mut stmt = conn.prepare(&sql)?;
    let rows: Vec<(i64, String)> = match arg {
        Some(a) => stmt
            .query_map([a], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?,
        None => stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?,
    };
    rows.iter().map(|(id, b)| session_of(*id, b)).collect()
}

/// Every session, newest first.
pub fn sessions(conn: &Connection) -> Result<Vec<ReplacementSession>, BillingError> {
    sessions_where(conn, "", None)
}

/// The open sessions replacing `billing_number`, newest first.
pub fn open_for_replaced(
    conn: &Connection,
    billing_number: &str,
) -> Result<Vec<ReplacementSession>, BillingError> {
    sessions_where(
        conn,
        "WHERE replaced = ?1 AND state = 'open'",
        Some(billing_number),
    )
}

/// Every session whose substitute has `billing_number`, newest first.
pub fn for_substitute(
    conn: &Connection,
    billing_number: &str,
) -> Result<Vec<ReplacementSession>, BillingError> {
    sessions_where(conn, "WHERE substitute = ?1", Some(billing_number))
}

/// The open sessions whose last day is before `today` (`YYYY-MM-DD`).
pub fn open_ended(conn: &Connection, today: &str) -> Result<Vec<ReplacementSession>, BillingError> {
    sessions_where(conn, "WHERE state = 'open' AND end < ?1", Some(today))
}

/// The statuses of the FSE drawn in session `id` (deleted ones included).
pub fn fse_statuses(conn: &Connection, id: i64) -> Result<Vec<(i64, String)>, BillingError> {
    let mut stmt = conn.prepare("SELECT id, status FROM fse WHERE replacement_session = ?1")?;
    let rows = stmt
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Rewrites the JSON of FSE `id` (the purge empties its substitute's names).
pub fn rewrite_fse_body(tx: &Transaction<'_>, id: i64, body: &str) -> Result<(), BillingError> {
    tx.execute("UPDATE fse SET body = ?2 WHERE id = ?1", params![id, body])?;
    Ok(())
}

/// The JSON of FSE `id`.
pub fn fse_body(conn: &Connection, id: i64) -> Result<String, BillingError> {
    Ok(conn.query_row("SELECT body FROM fse WHERE id = ?1", [id], |r| r.get(0))?)
}

/// The key a grant is found by: `cpe:{serial}` or `app:{grant id}`.
pub fn assistant_key(a: &Assistant) -> String {
    match a {
        Assistant::Cpe { serial, .. } => format!("cpe:{serial}"),
        Assistant::Application { grant_id, .. } => format!("app:{grant_id}"),
    }
}

fn grant_of(id: i64, body: &str) -> Result<AssistantGrant, BillingError> {
    let mut g: AssistantGrant = serde_json::from_str(body)
        .map_err(|e| BillingError::Storage(format!("habilitation {id} illisible : {e}")))?;
    g.id = id;
    Ok(g)
}

/// Stores a new grant; its id.
pub fn insert_grant(tx: &Transaction<'_>, g: &AssistantGrant) -> Result<i64, BillingError> {
    tx.execute(
        "INSERT INTO assistant_grants (practitioner, assistant, body) VALUES (?1, ?2, ?3)",
        params![g.practitioner, assistant_key(&g.assistant), to_json(g)?],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Rewrites grant `g` (revocation).
pub fn update_grant(tx: &Transaction<'_>, g: &AssistantGrant) -> Result<(), BillingError> {
    tx.execute(
        "UPDATE assistant_grants SET body = ?2 WHERE id = ?1",
        params![g.id, to_json(g)?],
    )?;
    Ok(())
}

/// Grant `id`.
pub fn grant(conn: &Connection, id: i64) -> Result<AssistantGrant, BillingError> {
    let body: Option<String> = conn
        .query_row(
            "SELECT body FROM assistant_grants WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    match body {
        Some(b) => grant_of(id, &b),
        None => Err(crate::assistants::grant_not_found(id)),
    }
}

/// Every grant, newest first; only those of assistant `key` when given.
pub fn grants(conn: &Connection, key: Option<&str>) -> Result<Vec<AssistantGrant>, BillingError> {
    let mut stmt = conn.prepare(
        "SELECT id, body FROM assistant_grants WHERE ?1 IS NULL OR assistant = ?1
         ORDER BY id DESC",
    )?;
    let rows: Vec<(i64, String)> = stmt
        .query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.iter().map(|(id, b)| grant_of(*id, b)).collect()
}
