//! Schema migrations, embedded and run at start. `PRAGMA user_version` is the number of
//! migrations applied; each runs in its own transaction. Append, never edit a shipped one.
//!
//! Foreign keys are off while they run (SQLite's own procedure for rebuilding a table that
//! others reference: 0009 rebuilds the outbox) and checked with `PRAGMA foreign_key_check`
//! before each commit: a migration that leaves a dangling reference is rolled back.

use rusqlite::{Connection, OptionalExtension};

/// The migrations, in order.
pub const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_billing.sql"),
    include_str!("migrations/0002_signing_keys.sql"),
    include_str!("migrations/0003_outbox.sql"),
    // No 0004: the invoices work (sourced tariffs, rights) needed no table of its own.
    include_str!("migrations/0005_returns.sql"),
    include_str!("migrations/0006_certificates.sql"),
    include_str!("migrations/0007_replacements.sql"),
    include_str!("migrations/0008_attachments.sql"),
    include_str!("migrations/0009_pj_lots.sql"),
    include_str!("migrations/0010_paper_posted.sql"),
];

/// Applies the migrations `conn` does not have yet; returns how many ran.
pub fn run(conn: &mut Connection) -> rusqlite::Result<usize> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied >= MIGRATIONS.len() {
        return Ok(0);
    }
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = run_each(conn, applied);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    result
}

fn run_each(conn: &mut Connection, applied: usize) -> rusqlite::Result<usize> {
    let mut ran = 0;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        let dangling: Option<String> = tx
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = dangling {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
                Some(format!(
                    "migration {} : référence orpheline dans {table}",
                    i + 1
                )),
            ));
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        ran += 1;
    }
    Ok(ran)
}
