//! The audit log's writer thread: takes queued entries in order, chains and writes them,
//! syncs once per batch (group commit), writes the checkpoint, rotates the file once it
//! reaches its size, then tells each caller.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;

use passerelle_protocol::{AuditActor, AuditEntry};
use tokio::sync::oneshot;

use super::files::{self, Checkpoint};
use super::{action, Body};

/// Most entries written between two syncs.
const BATCH: usize = 256;

/// One entry to write.
pub(super) struct Job {
    pub action: String,
    pub actor: AuditActor,
    pub details: serde_json::Value,
    pub at: String,
    pub done: oneshot::Sender<Option<AuditEntry>>,
}

/// Where the chain stands.
pub(super) struct Tail {
    pub file: File,
    pub seq: u64,
    pub prev: String,
    pub path: PathBuf,
    /// Bytes in the current file.
    pub size: u64,
    /// Rotate once the current file reaches this.
    pub rotate_bytes: u64,
    /// Number of the last rotated file (0: none yet).
    pub rotated: u32,
}

/// Writes until every sender is gone.
pub(super) fn run(mut tail: Tail, queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write_batch(&mut tail, batch);
    }
}

/// Writes one entry at once, on the calling thread (before the writer thread starts).
pub(super) fn write_now(tail: &mut Tail, action: &str, details: serde_json::Value) {
    let (done, _) = oneshot::channel();
    let job = Job {
        action: action.to_owned(),
        actor: AuditActor::default(),
        details,
        at: super::now_rfc3339(),
        done,
    };
    write_batch(tail, vec![job]);
}

fn write_batch(tail: &mut Tail, batch: Vec<Job>) {
    let mut text = String::new();
    let mut entries = Vec::with_capacity(batch.len());
    let mut sync = false;
    let (seq0, prev0) = (tail.seq, tail.prev.clone());
    for job in &batch {
        let seq = tail.seq + 1;
        let body = Body {
            seq,
            at: &job.at,
            action: &job.action,
            actor: &job.actor,
            details: &job.details,
            prev: &tail.prev,
        };
        let (json, hash) = body.json_and_hash();
        // The hash field goes last: `{...body...,"hash":"..."}`.
        text.push_str(&json[..json.len() - 1]);
        text.push_str(&format!(",\"hash\":\"{hash}\"}}\n"));
        entries.push(AuditEntry {
            seq,
            at: job.at.clone(),
            action: job.action.clone(),
            actor: job.actor.clone(),
            details: job.details.clone(),
            prev: std::mem::replace(&mut tail.prev, hash.clone()),
            hash,
        });
        tail.seq = seq;
        sync |= job.action != action::REFUSED && job.action != action::REFUSALS_SUPPRESSED;
    }
    let written = tail.file.write_all(text.as_bytes()).and_then(|()| {
        if sync {
            tail.file.sync_data()
        } else {
            Ok(())
        }
    });
    if let Err(e) = written {
        tracing::error!(error = %e, path = %tail.path.display(), "audit log write failed");
        // Nothing of this batch counts: the next lines chain on what was there before.
        (tail.seq, tail.prev) = (seq0, prev0);
        for job in batch {
            let _ = job.done.send(None);
        }
        return;
    }
    tail.size += text.len() as u64;
    // The checkpoint never gets ahead of what is on disk: it moves with synced batches only
    // (a batch of refusals alone is not synced; the next synced batch covers it).
    if sync {
        let checkpoint = Checkpoint {
            lines: tail.seq,
            hash: tail.prev.clone(),
        };
        if let Err(e) = files::write_checkpoint(&tail.path, &checkpoint) {
            tracing::error!(error = %e, path = %tail.path.display(), "audit checkpoint write failed");
        }
    }
    if tail.size >= tail.rotate_bytes {
        if let Err(e) = rotate(tail) {
            tracing::error!(error = %e, path = %tail.path.display(), "audit log rotation failed");
        }
    }
    for (job, entry) in batch.into_iter().zip(entries) {
        let _ = job.done.send(Some(entry));
    }
}

/// Renames the current file to the next rotated name and starts a new one; the chain goes
/// on (the next line's `prev` is the last hash of the renamed file).
fn rotate(tail: &mut Tail) -> std::io::Result<()> {
    tail.file.sync_all()?;
    let next = files::rotated_path(&tail.path, tail.rotated + 1);
    std::fs::rename(&tail.path, &next)?;
    tail.rotated += 1;
    tail.file = passerelle_installation::files::open_private_append(&tail.path)?;
    tail.size = 0;
    if let Some(dir) = tail.path.parent() {
        File::open(dir)?.sync_all()?;
    }
    tracing::info!(rotated = %next.display(), "audit log rotated");
    Ok(())
}
