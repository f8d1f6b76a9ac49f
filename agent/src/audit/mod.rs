//! The audit log: every sensitive action, append-only JSON lines with a hash chain.
//!
//! One line per [`AuditEntry`], in `{data_dir}/audit.jsonl` (0600). Each line carries
//! `hash`, the SHA-256 of its own JSON without that field, and `prev`, the previous line's
//! `hash`: editing a line breaks its own hash, deleting or reordering lines breaks the next
//! `prev`. [`verify`] (`passerelle audit verify`) names the first bad line. Without a secret
//! key the chain detects accidental or naive edits, not someone who rewrites the whole tail.
//!
//! Other layers call [`record`] (the log the daemon installed with [`install`]): who
//! ([`AuditActor`]: origin or OS user, grant id — never a token, never a PIN — and card
//! serial), what (`action`) and structured `details`.

mod verify;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use passerelle_protocol::{AuditActor, AuditEntry};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use verify::{verify, VerifyError};

/// The `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// File name of the audit log inside the data directory.
pub const FILE_NAME: &str = "audit.jsonl";

/// Actions written by this crate (other layers may add their own names).
pub mod action {
    /// An application asked to pair.
    pub const PAIRING_REQUESTED: &str = "pairing_requested";
    /// The practitioner (or the configuration) approved a pairing.
    pub const PAIRING_APPROVED: &str = "pairing_approved";
    /// The practitioner refused a pairing.
    pub const PAIRING_DENIED: &str = "pairing_denied";
    /// The token of an approved pairing was handed out (once).
    pub const TOKEN_ISSUED: &str = "token_issued";
    /// A grant was revoked.
    pub const GRANT_REVOKED: &str = "grant_revoked";
    /// A request was refused by the security checks.
    pub const REFUSED: &str = "refused";
    /// A CPS PIN was verified (called by the signing layer).
    pub const PIN_VERIFIED: &str = "pin_verified";
    /// Something was signed with the CPS.
    pub const SIGNED: &str = "signed";
    /// A lot was sent to an organism.
    pub const LOT_SENT: &str = "lot_sent";
    /// A replacement session was opened or closed.
    pub const REPLACEMENT_SESSION: &str = "replacement_session";
}

/// The append-only audit log of one data directory.
pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<Tail>,
}

struct Tail {
    file: File,
    seq: u64,
    prev: String,
}

/// The fields a line's hash covers, in line order.
#[derive(Serialize)]
pub(crate) struct Body<'a> {
    pub seq: u64,
    pub at: &'a str,
    pub action: &'a str,
    pub actor: &'a AuditActor,
    pub details: &'a serde_json::Value,
    pub prev: &'a str,
}

impl Body<'_> {
    /// The JSON of the body and its hex SHA-256.
    pub(crate) fn json_and_hash(&self) -> (String, String) {
        let json = serde_json::to_string(self).expect("audit body serialises");
        let hash = hex::encode(Sha256::digest(json.as_bytes()));
        (json, hash)
    }
}

impl AuditLog {
    /// Opens (or creates, 0600) the log at `path` and finds where the chain stands. A log
    /// whose last line is unreadable is still opened: new lines chain on a fresh genesis
    /// after it, and `verify` reports the damage.
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        let (mut seq, mut prev) = (0, GENESIS.to_owned());
        if let Ok(existing) = File::open(path) {
            for line in BufReader::new(existing).lines() {
                let line = line?;
                seq += 1;
                prev = match serde_json::from_str::<AuditEntry>(&line) {
                    Ok(e) => e.hash,
                    Err(_) => GENESIS.to_owned(),
                };
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        Ok(AuditLog {
            path: path.to_owned(),
            inner: Mutex::new(Tail { file, seq, prev }),
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry and returns it. Pairing and grant actions are synced to disk;
    /// refusals are written without fsync (they can come in floods). A write failure is
    /// logged, never returned: auditing must not take the API down.
    pub fn record(
        &self,
        action: &str,
        actor: AuditActor,
        details: serde_json::Value,
    ) -> Option<AuditEntry> {
        let at = now_rfc3339();
        let mut tail = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let seq = tail.seq + 1;
        let body = Body {
            seq,
            at: &at,
            action,
            actor: &actor,
            details: &details,
            prev: &tail.prev,
        };
        let (json, hash) = body.json_and_hash();
        // The hash field goes last: `{...body...,"hash":"..."}`.
        let line = format!("{},\"hash\":\"{hash}\"}}\n", &json[..json.len() - 1]);
        let written = tail.file.write_all(line.as_bytes()).and_then(|()| {
            if action == action::REFUSED {
                Ok(())
            } else {
                tail.file.sync_data()
            }
        });
        if let Err(e) = written {
            tracing::error!(error = %e, path = %self.path.display(), action, "audit log write failed");
            return None;
        }
        let entry = AuditEntry {
            seq,
            at,
            action: action.to_owned(),
            actor,
            details,
            prev: std::mem::replace(&mut tail.prev, hash.clone()),
            hash,
        };
        tail.seq = seq;
        Some(entry)
    }

    /// Entries with `seq > after`, at most `limit`, oldest first (unreadable lines skipped).
    pub fn read_after(&self, after: u64, limit: usize) -> std::io::Result<Vec<AuditEntry>> {
        let _tail = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let reader = BufReader::new(File::open(&self.path)?);
        let mut out = Vec::new();
        for line in reader.lines().skip(after as usize) {
            if out.len() >= limit {
                break;
            }
            if let Ok(entry) = serde_json::from_str::<AuditEntry>(&line?) {
                out.push(entry);
            }
        }
        Ok(out)
    }
}

static GLOBAL: OnceLock<Arc<AuditLog>> = OnceLock::new();

/// Makes `log` the one [`record`] writes to (the daemon calls this once at start).
pub fn install(log: Arc<AuditLog>) {
    if GLOBAL.set(log).is_err() {
        tracing::warn!("audit log already installed; keeping the first one");
    }
}

/// Records a sensitive action in the installed audit log (see [`AuditLog::record`]).
/// Without an installed log (unit tests, tools), the action only goes to the tracing log.
pub fn record(action: &str, actor: AuditActor, details: serde_json::Value) {
    match GLOBAL.get() {
        Some(log) => {
            log.record(action, actor, details);
        }
        None => tracing::info!(action, ?actor, %details, "audit (no audit log installed)"),
    }
}

/// Now, RFC 3339 in UTC.
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests;
