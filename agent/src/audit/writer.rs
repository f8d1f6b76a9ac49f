//! The audit log's writer thread: takes queued entries in order, chains and writes them,
//! syncs once per batch (group commit), then tells each caller.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;

use passerelle_protocol::{AuditActor, AuditEntry};
use tokio::sync::oneshot;

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
        sync |= job.action != action::REFUSED;
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
    for (job, entry) in batch.into_iter().zip(entries) {
        let _ = job.done.send(Some(entry));
    }
}
