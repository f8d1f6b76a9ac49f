//! The daemon's configuration file: the installer sets only the keys it owns and keeps
//! everything else an administrator wrote (comments included).

use std::path::{Path, PathBuf};

use passerelle_installation::config::{Config, DOCUMENTED_DEFAULTS};
use toml_edit::{value, Array, DocumentMut, Item, Table};

use crate::error::InstallError;

/// The keys the installer owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedKeys {
    /// `storage.data_dir`.
    pub data_dir: PathBuf,
    /// `log.journald`, when the installer sets it (system mode).
    pub journald: Option<bool>,
    /// `security.app_origins`.
    pub app_origins: Vec<String>,
}

/// The configuration text: `existing` (or, for a new file, the documented defaults with
/// their comments) with `readers.backend = "pcsc"` and the [`OwnedKeys`] set. Refused when
/// the daemon would refuse the result; `path` names the file in errors.
pub fn edit(existing: Option<&str>, keys: &OwnedKeys, path: &Path) -> Result<String, InstallError> {
    let err = |message: String| InstallError::Config {
        path: path.to_owned(),
        message,
    };
    let mut doc: DocumentMut = existing
        .unwrap_or(DOCUMENTED_DEFAULTS)
        .parse()
        .map_err(|e: toml_edit::TomlError| err(e.to_string()))?;
    set(&mut doc, "readers", "backend", value("pcsc")).map_err(err)?;
    let data_dir = keys.data_dir.to_string_lossy().into_owned();
    set(&mut doc, "storage", "data_dir", value(data_dir)).map_err(err)?;
    if let Some(journald) = keys.journald {
        set(&mut doc, "log", "journald", value(journald)).map_err(err)?;
    }
    let origins: Array = keys.app_origins.iter().map(String::as_str).collect();
    set(&mut doc, "security", "app_origins", value(origins)).map_err(err)?;
    let text = doc.to_string();
    Config::parse(&text, path).map_err(|e| err(e.to_string()))?;
    Ok(text)
}

fn set(doc: &mut DocumentMut, table: &str, key: &str, item: Item) -> Result<(), String> {
    let entry = doc
        .entry(table)
        .or_insert_with(|| Item::Table(Table::new()));
    let Some(table_like) = entry.as_table_like_mut() else {
        return Err(format!("« {table} » devrait être une table"));
    };
    match table_like.get_mut(key) {
        Some(slot) => {
            // Keep the comment that follows the value on its line, if any.
            let suffix = slot
                .as_value()
                .and_then(|v| v.decor().suffix())
                .and_then(|s| s.as_str())
                .map(str::to_owned);
            *slot = item;
            if let (Some(suffix), Some(v)) = (suffix, slot.as_value_mut()) {
                v.decor_mut().set_suffix(suffix);
            }
        }
        None => {
            table_like.insert(key, item);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> OwnedKeys {
        OwnedKeys {
            data_dir: "/var/lib/passerelle".into(),
            journald: Some(true),
            app_origins: vec!["https://facturation.example".into()],
        }
    }

    #[test]
    fn a_new_file_is_the_documented_defaults_with_the_owned_keys() {
        let text = edit(None, &keys(), Path::new("/etc/passerelle/config.toml")).unwrap();
        let config = Config::parse(&text, Path::new("x")).unwrap();
        assert_eq!(
            config.readers.backend,
            passerelle_installation::config::BackendChoice::Pcsc
        );
        assert_eq!(
            config.storage.data_dir,
            PathBuf::from("/var/lib/passerelle")
        );
        assert!(config.log.journald);
        assert_eq!(config.security.app_origins, ["https://facturation.example"]);
        assert!(
            text.contains("# TLS port of the API"),
            "comments kept: {text}"
        );
        assert!(text.contains("backend = \"pcsc\"\n"), "{text}");
    }

    #[test]
    fn an_administrators_settings_and_comments_are_kept() {
        let existing = "# réglé par l'administrateur\n[server]\nport = 40000\n\n\
                        [readers]\nbackend = \"simulated\" # démonstration\n\n\
                        [security]\npreapproved_origins = [\"https://a.example\"]\n";
        let mut k = keys();
        k.journald = None;
        let text = edit(Some(existing), &k, Path::new("c.toml")).unwrap();
        let config = Config::parse(&text, Path::new("x")).unwrap();
        assert_eq!(config.server.port, 40000);
        assert_eq!(config.security.preapproved_origins, ["https://a.example"]);
        assert_eq!(
            config.readers.backend,
            passerelle_installation::config::BackendChoice::Pcsc
        );
        assert!(!config.log.journald, "journald untouched in user mode");
        assert!(text.starts_with("# réglé par l'administrateur\n"), "{text}");
        assert!(
            text.contains("backend = \"pcsc\" # démonstration\n"),
            "{text}"
        );
        // Editing again changes nothing.
        assert_eq!(edit(Some(&text), &k, Path::new("c.toml")).unwrap(), text);
    }

    #[test]
    fn what_the_daemon_would_refuse_is_refused_with_the_key() {
        let mut k = keys();
        k.app_origins = vec!["https://a.example/chemin".into()];
        let err = edit(None, &k, Path::new("c.toml")).unwrap_err().to_string();
        assert!(err.contains("security.app_origins[0]"), "{err}");
        let err = edit(Some("readers = 3\n"), &keys(), Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("« readers » devrait être une table"), "{err}");
    }
}
