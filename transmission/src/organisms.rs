//! The destination organisms: régime + caisse + centre → mailbox and encryption certificate.
//!
//! Public rule (DOMAIN.md): an organism's mailbox is `{régime2}{caisse3}@{caisse}.{régime}.rss.fr`
//! ([`crate::iris::organism_mailbox`]). The organisms' encryption certificates are not public
//! (approved vendors receive them from the SESAM-Vitale directory), so the directory is a
//! file the practice updates without a rebuild: `{data_dir}/organisms.toml` (or
//! `transmission.organisms_file`), TOML:
//!
//! ```toml
//! [[organism]]
//! regime = "01"          # 2 digits
//! caisse = "751"         # 3 digits
//! centre = "*"           # 4 digits, or "*" for every centre of the caisse
//! certificate = "certs/01751.pem"   # PEM or DER, relative to this file's directory
//! # address = "..."      # only to override the public rule
//! ```
//!
//! The shipped `transmission/data/organisms.toml` documents the format and holds no
//! certificate. A missing file is an empty directory: every lot then needs attention with a
//! message naming the missing organism.

use std::path::{Path, PathBuf};

use passerelle_protocol::Organism;
use serde::Deserialize;

use crate::iris::{organism_mailbox, IrisError, OrganismCertificate};

/// The directory file shipped with Passerelle (format and comments, no certificate).
pub const SHIPPED: &str = include_str!("../data/organisms.toml");

/// Why no destination could be found.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The directory file is unreadable or malformed.
    #[error("Annuaire des organismes {path} illisible : {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No entry for the organism.
    #[error(
        "L'organisme {regime}/{caisse}/{centre} n'est pas dans l'annuaire des organismes \
         ({path}) : ajoutez-le, avec son certificat de chiffrement."
    )]
    Unknown {
        /// Régime.
        regime: String,
        /// Caisse.
        caisse: String,
        /// Centre.
        centre: String,
        /// The directory file.
        path: PathBuf,
    },
    /// The entry's certificate cannot be used.
    #[error("Certificat de l'organisme {who} ({path}) : {source}")]
    Certificate {
        /// Which organism.
        who: String,
        /// The certificate file.
        path: PathBuf,
        /// Why.
        source: IrisError,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    regime: String,
    caisse: String,
    centre: String,
    certificate: PathBuf,
    #[serde(default)]
    address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    organism: Vec<Entry>,
}

/// Where a lot goes: the mailbox and the certificate it is encrypted to.
#[derive(Debug, Clone)]
pub struct Destination {
    /// The mailbox.
    pub address: String,
    /// The encryption certificate.
    pub certificate: OrganismCertificate,
}

/// The organism directory, as read from its file.
#[derive(Debug, Clone)]
pub struct Directory {
    path: PathBuf,
    entries: Vec<Entry>,
}

impl Directory {
    /// Reads the directory at `path`; a missing file is an empty directory.
    pub fn load(path: &Path) -> Result<Directory, DirectoryError> {
        let bad = |reason: String| DirectoryError::File {
            path: path.to_owned(),
            reason,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(bad(e.to_string())),
        };
        let file: File = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for e in &file.organism {
            let digits = |v: &str, n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_digit());
            if !digits(&e.regime, 2)
                || !digits(&e.caisse, 3)
                || !(e.centre == "*" || digits(&e.centre, 4))
            {
                return Err(bad(format!(
                    "entrée {}/{}/{} : régime 2 chiffres, caisse 3, centre 4 ou « * »",
                    e.regime, e.caisse, e.centre
                )));
            }
        }
        Ok(Directory {
            path: path.to_owned(),
            entries: file.organism,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The organisms it names, with their certificate files.
    pub fn entries(&self) -> Vec<(Organism, PathBuf)> {
        self.entries
            .iter()
            .map(|e| {
                let organism = Organism {
                    regime: e.regime.clone(),
                    caisse: e.caisse.clone(),
                    centre: e.centre.clone(),
                };
                (organism, self.certificate_path(e))
            })
            .collect()
    }

    /// The mailboxes the entries name explicitly (overriding the public rule), lower case.
    pub fn addresses(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| e.address.as_ref().map(|a| a.to_lowercase()))
            .collect()
    }

    /// Where lots for `organism` go. An entry for the exact centre wins over `*`.
    pub fn destination(&self, organism: &Organism) -> Result<Destination, DirectoryError> {
        let of_caisse = |e: &&Entry| e.regime == organism.regime && e.caisse == organism.caisse;
        let entry = self
            .entries
            .iter()
            .filter(of_caisse)
            .find(|e| e.centre == organism.centre)
            .or_else(|| {
                self.entries
                    .iter()
                    .filter(of_caisse)
                    .find(|e| e.centre == "*")
            })
            .ok_or_else(|| DirectoryError::Unknown {
                regime: organism.regime.clone(),
                caisse: organism.caisse.clone(),
                centre: organism.centre.clone(),
                path: self.path.clone(),
            })?;
        let who = format!("{}/{}/{}", entry.regime, entry.caisse, entry.centre);
        let path = self.certificate_path(entry);
        let certificate_error = |source| DirectoryError::Certificate {
            who: who.clone(),
            path: path.clone(),
            source,
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| certificate_error(IrisError::Certificate(e.to_string())))?;
        let certificate =
            OrganismCertificate::from_pem_or_der(&bytes).map_err(certificate_error)?;
        let address = match &entry.address {
            Some(a) => a.clone(),
            None => organism_mailbox(&entry.regime, &entry.caisse).map_err(certificate_error)?,
        };
        Ok(Destination {
            address,
            certificate,
        })
    }

    fn certificate_path(&self, e: &Entry) -> PathBuf {
        match self.path.parent() {
            Some(dir) if e.certificate.is_relative() => dir.join(&e.certificate),
            _ => e.certificate.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organism(centre: &str) -> Organism {
        Organism {
            regime: "01".into(),
            caisse: "751".into(),
            centre: centre.into(),
        }
    }

    #[test]
    fn the_shipped_file_parses_and_names_nobody() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("organisms.toml");
        std::fs::write(&path, SHIPPED).unwrap();
        let d = Directory::load(&path).unwrap();
        assert!(d.entries().is_empty());
        let e = d.destination(&organism("0001")).unwrap_err();
        assert!(e.to_string().contains("01/751/0001"), "{e}");
    }

    #[test]
    fn a_missing_file_is_empty_and_bad_entries_are_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Directory::load(&dir.path().join("none.toml"))
            .unwrap()
            .entries()
            .is_empty());
        let path = dir.path().join("bad.toml");
        std::fs::write(
            &path,
            "[[organism]]\nregime = \"1\"\ncaisse = \"751\"\ncentre = \"*\"\ncertificate = \"x\"\n",
        )
        .unwrap();
        let e = Directory::load(&path).unwrap_err();
        assert!(e.to_string().contains("régime 2 chiffres"), "{e}");
    }

    #[test]
    fn an_unreadable_certificate_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("organisms.toml");
        std::fs::write(
            &path,
            "[[organism]]\nregime = \"01\"\ncaisse = \"751\"\ncentre = \"*\"\ncertificate = \"certs/x.pem\"\n",
        )
        .unwrap();
        let d = Directory::load(&path).unwrap();
        let e = d.destination(&organism("0042")).unwrap_err();
        assert!(e.to_string().contains("certs/x.pem"), "{e}");
    }
}
