//! Checking the audit chain (`passerelle audit verify`): every file of the set, oldest
//! first, as one chain, then the checkpoint kept apart from it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use passerelle_protocol::AuditEntry;

use super::files::{self, Checkpoint};
use super::{action, hash_of, GENESIS};

/// Why the chain does not hold.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A file could not be read.
    #[error("impossible de lire {path} : {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is damaged; `line` counts from 1 in its file.
    #[error("{file}, ligne {line} : {reason}")]
    BadLine {
        /// The file's name.
        file: String,
        /// The first bad line in that file.
        line: u64,
        /// What is wrong, in French.
        reason: String,
    },
    /// The set holds fewer lines than the checkpoint, or others than it recorded.
    #[error(
        "journal tronqué ou réécrit : {reason} (point de contrôle {})",
        files::CHECKPOINT
    )]
    Truncated {
        /// What differs, in French.
        reason: String,
    },
}

/// What a successful check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Lines in the whole set.
    pub lines: u64,
    /// Files in the set (rotated ones and the current one).
    pub files: usize,
    /// `seq` of the `audit_truncated` lines: losses a daemon found at start and recorded.
    pub truncations: Vec<u64>,
}

/// Checks the set of the log whose current file is `path` (the rotated files beside it),
/// then its checkpoint: the number of lines and the hash it recorded must be found.
pub fn verify(path: &Path) -> Result<Verified, VerifyError> {
    let checkpoint = files::read_checkpoint(path);
    let set = files::set(path);
    let mut prev = GENESIS.to_owned();
    let mut seq = 0;
    let mut truncations = Vec::new();
    for file_path in &set {
        let file = match File::open(file_path) {
            Ok(f) => f,
            // A new set has no current file until the first line.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && file_path == path => break,
            Err(source) => {
                return Err(VerifyError::Read {
                    path: file_path.display().to_string(),
                    source,
                })
            }
        };
        let name = file_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (i, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|source| VerifyError::Read {
                path: file_path.display().to_string(),
                source,
            })?;
            seq += 1;
            let bad = |reason: String| VerifyError::BadLine {
                file: name.clone(),
                line: i as u64 + 1,
                reason,
            };
            let entry = check_line(&line, seq, &prev).map_err(bad)?;
            if entry.action == action::AUDIT_TRUNCATED {
                truncations.push(entry.seq);
            }
            if let Some(cp) = checkpoint.as_ref().filter(|cp| cp.lines == seq) {
                if cp.hash != entry.hash {
                    return Err(VerifyError::Truncated {
                        reason: format!("la ligne {seq} n'est pas celle qui y a été écrite"),
                    });
                }
            }
            prev = entry.hash;
        }
    }
    if let Some(Checkpoint { lines, .. }) = checkpoint.filter(|cp| cp.lines > seq) {
        return Err(VerifyError::Truncated {
            reason: format!(
                "{} ligne(s) manquent à la fin ({seq} au lieu d'au moins {lines})",
                lines - seq
            ),
        });
    }
    Ok(Verified {
        lines: seq,
        files: set.len(),
        truncations,
    })
}

/// One line, the `n`th of the set, after a line whose hash is `prev`.
fn check_line(line: &str, n: u64, prev: &str) -> Result<AuditEntry, String> {
    let entry: AuditEntry = serde_json::from_str(line)
        .map_err(|e| format!("ce n'est pas une entrée du journal ({e})"))?;
    if entry.seq != n {
        return Err(format!(
            "numéro {} au lieu de {n} (fichier du journal manquant ou lignes supprimées)",
            entry.seq
        ));
    }
    if entry.prev != prev {
        return Err(
            "le maillon précédent ne correspond pas (ligne supprimée, insérée ou déplacée)".into(),
        );
    }
    // The hash covers the line's own text before `,"hash":…` (as written), so lines
    // written by an older version with other fields still verify.
    let suffix = format!(",\"hash\":\"{}\"}}", entry.hash);
    let Some(body) = line.strip_suffix(&suffix) else {
        return Err("le contenu a été modifié (empreinte mal placée)".into());
    };
    if hash_of(&format!("{body}}}")) != entry.hash {
        return Err("le contenu a été modifié (empreinte incorrecte)".into());
    }
    Ok(entry)
}
