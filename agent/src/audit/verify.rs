//! Checking the audit chain (`passerelle audit verify`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use passerelle_protocol::AuditEntry;

use super::{hash_of, GENESIS};

/// Why the chain does not hold.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The file could not be read.
    #[error("impossible de lire {path} : {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is damaged; `line` counts from 1.
    #[error("ligne {line} : {reason}")]
    BadLine {
        /// The first bad line.
        line: u64,
        /// What is wrong, in French.
        reason: String,
    },
}

/// Checks every line of the log at `path`; returns the number of lines when the chain
/// holds, else the first bad line.
pub fn verify(path: &Path) -> Result<u64, VerifyError> {
    let read = |source| VerifyError::Read {
        path: path.display().to_string(),
        source,
    };
    let reader = BufReader::new(File::open(path).map_err(read)?);
    let mut prev = GENESIS.to_owned();
    let mut count = 0;
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(read)?;
        let n = i as u64 + 1;
        let bad = |reason: String| VerifyError::BadLine { line: n, reason };
        let entry: AuditEntry = serde_json::from_str(&line)
            .map_err(|e| bad(format!("ce n'est pas une entrée du journal ({e})")))?;
        if entry.seq != n {
            return Err(bad(format!("numéro {} au lieu de {n}", entry.seq)));
        }
        if entry.prev != prev {
            return Err(bad(
                "le maillon précédent ne correspond pas (ligne supprimée, insérée ou déplacée)"
                    .into(),
            ));
        }
        // The hash covers the line's own text before `,"hash":…` (as written), so lines
        // written by an older version with other fields still verify.
        let suffix = format!(",\"hash\":\"{}\"}}", entry.hash);
        let Some(body) = line.strip_suffix(&suffix) else {
            return Err(bad("le contenu a été modifié (empreinte mal placée)".into()));
        };
        if hash_of(&format!("{body}}}")) != entry.hash {
            return Err(bad("le contenu a été modifié (empreinte incorrecte)".into()));
        }
        prev = entry.hash;
        count = n;
    }
    Ok(count)
}
