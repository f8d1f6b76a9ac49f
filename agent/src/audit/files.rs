//! The audit log's files: the current one (`audit.jsonl`), the rotated ones
//! (`audit-000001.jsonl`, `audit-000002.jsonl`… oldest first, kept), and the checkpoint
//! (`audit.checkpoint`), kept apart from the log.
//!
//! The hash chain runs across the files: the first line of a new file carries the hash of
//! the last line of the one before, and `seq` goes on. The checkpoint holds the number of
//! lines in the whole set and the hash of the last one, rewritten atomically by the writer
//! thread after each batch: a log whose last lines were dropped no longer reaches it, and
//! [`verify`](super::verify) says so.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use passerelle_protocol::AuditEntry;
use serde::{Deserialize, Serialize};

/// File name of the checkpoint inside the data directory.
pub const CHECKPOINT: &str = "audit.checkpoint";

/// Where the chain stood after the last batch written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Lines in the whole set (the last `seq`).
    pub lines: u64,
    /// The `hash` of the last line.
    pub hash: String,
}

/// The checkpoint next to the log at `current`.
pub fn checkpoint_path(current: &Path) -> PathBuf {
    current.with_file_name(CHECKPOINT)
}

/// Reads the checkpoint; `None` when there is none (a log older than checkpoints).
pub fn read_checkpoint(current: &Path) -> Option<Checkpoint> {
    let text = std::fs::read_to_string(checkpoint_path(current)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Writes the checkpoint atomically (temporary file, sync, rename, directory sync).
pub fn write_checkpoint(current: &Path, checkpoint: &Checkpoint) -> std::io::Result<()> {
    let text = serde_json::to_vec(checkpoint).map_err(std::io::Error::other)?;
    passerelle_installation::files::write_atomic(&checkpoint_path(current), &text, 0o600)
}

/// The name of rotated file number `n` next to `current` (`audit.jsonl` → `audit-000007.jsonl`).
pub fn rotated_path(current: &Path, n: u32) -> PathBuf {
    let stem = current
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("audit");
    current.with_file_name(format!("{stem}-{n:06}.jsonl"))
}

/// The rotated files next to `current`, oldest first, with their numbers.
pub fn rotated(current: &Path) -> Vec<(u32, PathBuf)> {
    let stem = current
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("audit");
    let prefix = format!("{stem}-");
    let dir = current.parent().unwrap_or(Path::new("."));
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix(&prefix)?.strip_suffix(".jsonl")?;
            (n.len() == 6).then_some(())?;
            Some((n.parse().ok()?, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// Every file of the set, oldest first, the current one last.
pub fn set(current: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = rotated(current).into_iter().map(|(_, p)| p).collect();
    files.push(current.to_owned());
    files
}

/// The last readable entry of the set (the newest file that has one).
pub fn last_entry(current: &Path) -> std::io::Result<Option<AuditEntry>> {
    for path in set(current).iter().rev() {
        let Ok(file) = File::open(path) else {
            continue;
        };
        let mut last = None;
        let mut any = false;
        for line in BufReader::new(file).lines() {
            any = true;
            last = serde_json::from_str::<AuditEntry>(&line?).ok();
        }
        if any {
            return Ok(last);
        }
    }
    Ok(None)
}

/// Lines in the whole set.
pub fn count_lines(current: &Path) -> std::io::Result<u64> {
    let mut n = 0;
    for path in set(current) {
        if let Ok(file) = File::open(&path) {
            for line in BufReader::new(file).lines() {
                line?;
                n += 1;
            }
        }
    }
    Ok(n)
}

/// Entries of the set with `seq > after`, at most `limit`, oldest first (unreadable lines
/// skipped).
pub fn read_after(current: &Path, after: u64, limit: usize) -> std::io::Result<Vec<AuditEntry>> {
    let mut out = Vec::new();
    for path in set(current) {
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        for line in BufReader::new(file).lines() {
            if out.len() >= limit {
                return Ok(out);
            }
            if let Ok(entry) = serde_json::from_str::<AuditEntry>(&line?) {
                if entry.seq > after {
                    out.push(entry);
                }
            }
        }
    }
    Ok(out)
}
