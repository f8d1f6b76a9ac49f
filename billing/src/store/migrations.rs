//! Schema migrations, embedded and run at start. `PRAGMA user_version` is the number of
//! migrations applied; each runs in its own transaction. Append, never edit a shipped one.

use rusqlite::Connection;

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
];

/// Applies the migrations `conn` does not have yet; returns how many ran.
pub fn run(conn: &mut Connection) -> rusqlite::Result<usize> {
    let applied: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(0);
    let mut ran = 0;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        ran += 1;
    }
    Ok(ran)
}
