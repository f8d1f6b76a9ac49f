//! The audit log: every sensitive action, append-only JSON lines with a hash chain.
//!
//! One line per [`AuditEntry`], in `{data_dir}/audit.jsonl` (0600). Each line carries
//! `hash`, the SHA-256 of its own JSON without that field, and `prev`, the previous line's
//! `hash`: editing a line breaks its own hash, deleting or reordering lines breaks the next
//! `prev`. [`verify`] (`passerelle audit verify`) names the first bad line. Without a secret
//! key the chain detects accidental or naive edits, not someone who rewrites the whole tail.
//! The log is rotated by size (`audit.rotate_bytes`), the chain going on across the files,
//! and a checkpoint kept apart from it (line count and last hash) shows dropped last lines
//! ([`files`]); a daemon that finds its log shorter than its checkpoint writes an
//! `audit_truncated` line first, so the loss stays on record.
//!
//! Other layers call [`record`] (the log the daemon installed with [`install`]): who
//! ([`AuditActor`]: origin or OS user, grant id — never a token, never a PIN — and card
//! serial), what (`action`) and structured `details`.

pub mod files;
mod verify;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, OnceLock};

use tokio::sync::oneshot;

use passerelle_protocol::{AuditActor, AuditEntry};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use verify::{verify, Verified, VerifyError};

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
    /// Refusals of one OS user left out of the log (beyond its rate), summed up.
    pub const REFUSALS_SUPPRESSED: &str = "refusals_suppressed";
    /// A CPS PIN was verified (called by the signing layer).
    pub const PIN_VERIFIED: &str = "pin_verified";
    /// Something was signed with the CPS.
    pub const SIGNED: &str = "signed";
    /// An FSE was drawn up (`POST /v1/fse`; a retry answered with it is not recorded).
    pub const FSE_CREATED: &str = "fse_created";
    /// An FSE was deleted before it went into a lot.
    pub const FSE_DELETED: &str = "fse_deleted";
    /// A lot was sent to an organism.
    pub const LOT_SENT: &str = "lot_sent";
    /// A scanned attachment kept for an FSE, or refused (with the code).
    pub const ATTACHMENT: &str = "attachment";
    /// The daemon purged the PDF of attachments acknowledged 90 days ago (`details.attachments`).
    pub const ATTACHMENTS_PURGED: &str = "attachments_purged";
    /// The practitioner said a PJ lot on paper was posted (`details.pj_lot`), or that refused.
    pub const PJ_LOT_POSTED: &str = "pj_lot_posted";
    /// The practitioner said a lot's paper duplicate was posted (`details.lot`), or that
    /// refused.
    pub const LOT_PAPER_POSTED: &str = "lot_paper_posted";
    /// A replacement session opened, closed or purged, or that refused (`details.op`,
    /// `details.outcome`, `details.code`).
    pub const REPLACEMENT_SESSION: &str = "replacement_session";
    /// An assistant's grant given or revoked, or that refused.
    pub const ASSISTANT_GRANT: &str = "assistant_grant";
    /// At start, the log was found shorter than its checkpoint (last lines dropped).
    pub const AUDIT_TRUNCATED: &str = "audit_truncated";
}

/// Size at which the log is rotated when none is configured (`audit.rotate_bytes`).
pub const DEFAULT_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// The append-only audit log of one data directory.
///
/// Lines are written by a thread of its own ([`writer`]): a caller only queues its entry
/// and gets a [`Receipt`], which resolves once the line is on disk (synced, except
/// refusals). Async callers await it, so the runtime's threads never wait for the disk,
/// and an answer is still sent only after its audit line is written.
pub struct AuditLog {
    path: PathBuf,
    jobs: Option<mpsc::Sender<writer::Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
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
        let hash = hash_of(&json);
        (json, hash)
    }
}

/// The hex SHA-256 of a line's body (its JSON without the `hash` field).
pub(crate) fn hash_of(body_json: &str) -> String {
    hex::encode(Sha256::digest(body_json.as_bytes()))
}

/// Resolves when an entry is written: to the entry, or `None` if the write failed (logged).
#[must_use = "await it (or wait) for the line to be on disk, or drop it explicitly"]
pub struct Receipt(Option<oneshot::Receiver<Option<AuditEntry>>>);

impl Receipt {
    /// Waits asynchronously for the line to be written.
    pub async fn written(self) -> Option<AuditEntry> {
        match self.0 {
            Some(rx) => rx.await.ok().flatten(),
            None => None,
        }
    }

    /// Waits, blocking the thread: for tools, tests and blocking threads only (never on
    /// an async runtime's thread).
    pub fn wait(self) -> Option<AuditEntry> {
        self.0.and_then(|rx| rx.blocking_recv().ok().flatten())
    }
}

impl AuditLog {
    /// Opens the log at `path`, rotated at [`DEFAULT_ROTATE_BYTES`] (see [`open_rotating`]).
    ///
    /// [`open_rotating`]: AuditLog::open_rotating
    pub fn open(path: &Path) -> std::io::Result<AuditLog> {
        AuditLog::open_rotating(path, DEFAULT_ROTATE_BYTES)
    }

    /// Opens (or creates, 0600) the log at `path`, finds where the chain stands (across the
    /// rotated files) and starts its writer thread, which rotates the file once it reaches
    /// `rotate_bytes`. A log whose last line is unreadable is still opened: new lines chain
    /// on a fresh genesis after it, and `verify` reports the damage. A log shorter than its
    /// checkpoint gets an `audit_truncated` line first.
    pub fn open_rotating(path: &Path, rotate_bytes: u64) -> std::io::Result<AuditLog> {
        let last = files::last_entry(path)?;
        let (seq, prev) = match &last {
            Some(e) => (e.seq, e.hash.clone()),
            // Empty, or a damaged last line: numbering goes on, on a fresh genesis.
            None => (files::count_lines(path)?, GENESIS.to_owned()),
        };
        let checkpoint = files::read_checkpoint(path);
        let file = passerelle_installation::files::open_private_append(path)?;
        let mut tail = writer::Tail {
            size: file.metadata()?.len(),
            file,
            seq,
            prev: prev.clone(),
            path: path.to_owned(),
            rotate_bytes,
            rotated: files::rotated(path).last().map_or(0, |(n, _)| *n),
        };
        if let Some(cp) =
            checkpoint.filter(|cp| cp.lines > seq || (cp.lines == seq && cp.hash != prev))
        {
            tracing::error!(path = %path.display(), checkpoint_lines = cp.lines, found_lines = seq,
                "audit log shorter than its checkpoint: its last lines were dropped");
            let details = serde_json::json!({"checkpoint_lines": cp.lines, "checkpoint_hash": cp.hash,
                                             "found_lines": seq, "found_hash": prev});
            // Written before anything else, synchronously.
            writer::write_now(&mut tail, action::AUDIT_TRUNCATED, details);
        }
        let (jobs, queue) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer::run(tail, queue))?;
        let log = AuditLog {
            path: path.to_owned(),
            jobs: Some(jobs),
            thread: Some(thread),
        };
        Ok(log)
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Queues one entry; the receipt resolves once it is written. Pairing, grant, PIN and
    /// signature actions are synced to disk; refusals are written without fsync (they can
    /// come in floods). A write failure is logged, never returned: auditing must not take
    /// the API down.
    pub fn append(&self, action: &str, actor: AuditActor, details: serde_json::Value) -> Receipt {
        let (done, receipt) = oneshot::channel();
        let job = writer::Job {
            action: action.to_owned(),
            actor,
            details,
            at: now_rfc3339(),
            done,
        };
        let sent = self
            .jobs
            .as_ref()
            .is_some_and(|jobs| jobs.send(job).is_ok());
        match sent {
            true => Receipt(Some(receipt)),
            false => {
                tracing::error!(path = %self.path.display(), action, "audit writer stopped");
                Receipt(None)
            }
        }
    }

    /// [`append`](Self::append) and wait, blocking: for tools and tests.
    pub fn record(
        &self,
        action: &str,
        actor: AuditActor,
        details: serde_json::Value,
    ) -> Option<AuditEntry> {
        self.append(action, actor, details).wait()
    }

    /// Entries with `seq > after`, at most `limit`, oldest first (unreadable lines
    /// skipped). Reads the file without stopping the writer (lines are appended whole);
    /// blocking: async callers run it on a blocking thread.
    pub fn read_after(&self, after: u64, limit: usize) -> std::io::Result<Vec<AuditEntry>> {
        files::read_after(&self.path, after, limit)
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        drop(self.jobs.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

static GLOBAL: OnceLock<Arc<AuditLog>> = OnceLock::new();

/// Makes `log` the one [`record`] writes to (the daemon calls this once at start).
pub fn install(log: Arc<AuditLog>) {
    if GLOBAL.set(log).is_err() {
        tracing::warn!("audit log already installed; keeping the first one");
    }
}

/// Records a sensitive action in the installed audit log (see [`AuditLog::append`]).
/// Without an installed log (unit tests, tools), the action only goes to the tracing log
/// and the receipt resolves at once.
pub fn record(action: &str, actor: AuditActor, details: serde_json::Value) -> Receipt {
    match GLOBAL.get() {
        Some(log) => log.append(action, actor, details),
        None => {
            tracing::info!(action, ?actor, %details, "audit (no audit log installed)");
            Receipt(None)
        }
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
