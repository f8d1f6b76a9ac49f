//! The mail settings of a practitioner situation: checked, stored (in the billing store,
//! without the password), and the password in a file of its own,
//! `{data_dir}/mail/{billing number}.password` (0600), never in `config.toml`, never in a
//! log, never in an answer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use passerelle_protocol::{
    MailSecurity, MailServer, MailSettings, MailSettingsInput, OctSettings, Secret,
};
use zeroize::Zeroizing;

use crate::imap::ImapSettings;
use crate::iris::OrganismCertificate;
use crate::smtp::SmtpSettings;
use crate::tls::Security;

/// Why mail settings were refused or cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A field is invalid; the message says which and why.
    #[error("Réglage de messagerie invalide ({field}) : {reason}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// Why, in French.
        reason: String,
    },
    /// No password was ever given for this situation.
    #[error(
        "Aucun mot de passe de messagerie n'est enregistré pour le praticien {0} : \
         `passerelle mail set` ou PUT /v1/mail/{0}."
    )]
    NoPassword(String),
    /// The password file could not be read or written.
    #[error("Fichier du mot de passe de messagerie {path} : {source}")]
    PasswordFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Where the passwords live: `{data_dir}/mail/`.
#[derive(Debug, Clone)]
pub struct Passwords {
    dir: PathBuf,
}

impl Passwords {
    /// The passwords of the daemon whose data directory is `data_dir`.
    pub fn in_dir(data_dir: &Path) -> Passwords {
        Passwords {
            dir: data_dir.join("mail"),
        }
    }

    fn path(&self, practitioner: &str) -> PathBuf {
        self.dir.join(format!("{practitioner}.password"))
    }

    /// Whether a password is stored for `practitioner`.
    pub fn is_set(&self, practitioner: &str) -> bool {
        self.path(practitioner).exists()
    }

    /// Stores `password` for `practitioner` (atomic write, 0600).
    pub fn store(&self, practitioner: &str, password: &Secret) -> Result<(), SettingsError> {
        let path = self.path(practitioner);
        let io = |source| SettingsError::PasswordFile {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        passerelle_installation::files::write_atomic(&path, password.expose().as_bytes(), 0o600)
            .map_err(io)
    }

    /// The password of `practitioner`.
    pub fn read(&self, practitioner: &str) -> Result<Zeroizing<String>, SettingsError> {
        let path = self.path(practitioner);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(SettingsError::NoPassword(practitioner.to_owned()))
            }
            Err(source) => Err(SettingsError::PasswordFile { path, source }),
        }
    }
}

/// Checks `input` for `practitioner` and returns the settings to store (without the
/// password, which the caller stores apart when given).
pub fn check(
    practitioner: &str,
    input: &MailSettingsInput,
    password_set: bool,
) -> Result<MailSettings, SettingsError> {
    let invalid = |field, reason: &str| SettingsError::Invalid {
        field,
        reason: reason.to_owned(),
    };
    if practitioner.len() != 8 || !practitioner.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "practitioner",
            "numéro de facturation à 8 chiffres",
        ));
    }
    address("from", &input.from)?;
    server("smtp", &input.smtp)?;
    if let Some(imap) = &input.imap {
        server("imap", imap)?;
    }
    if let Some(oct) = &input.oct {
        address("oct.address", &oct.address)?;
        OrganismCertificate::from_pem_or_der(oct.certificate_pem.as_bytes())
            .map_err(|e| invalid("oct.certificate_pem", &e.to_string()))?;
    }
    if let Some(p) = &input.password {
        if p.expose().is_empty() || p.expose().len() > 256 || p.expose().contains(['\r', '\n']) {
            return Err(invalid("password", "de 1 à 256 caractères, sur une ligne"));
        }
    }
    Ok(MailSettings {
        practitioner: practitioner.to_owned(),
        from: input.from.clone(),
        smtp: input.smtp.clone(),
        imap: input.imap.clone(),
        oct: input.oct.clone(),
        password_set: password_set || input.password.is_some(),
    })
}

fn address(field: &'static str, text: &str) -> Result<(), SettingsError> {
    text.parse::<lettre::Address>()
        .map(|_| ())
        .map_err(|e| SettingsError::Invalid {
            field,
            reason: format!("adresse « {text} » invalide ({e})"),
        })
}

fn server(field: &'static str, s: &MailServer) -> Result<(), SettingsError> {
    let bad_host = s.host.is_empty()
        || s.host.len() > 253
        || !s
            .host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if bad_host {
        return Err(SettingsError::Invalid {
            field,
            reason: format!("serveur « {} » invalide (nom d'hôte ou adresse IP)", s.host),
        });
    }
    if s.port == 0 {
        return Err(SettingsError::Invalid {
            field,
            reason: "port de 1 à 65535".into(),
        });
    }
    if s.username.is_empty() || s.username.len() > 256 {
        return Err(SettingsError::Invalid {
            field,
            reason: "identifiant de 1 à 256 caractères".into(),
        });
    }
    Ok(())
}

fn security(s: MailSecurity) -> Security {
    match s {
        MailSecurity::Starttls => Security::StartTls,
        MailSecurity::Tls => Security::ImplicitTls,
    }
}

/// The SMTP settings of `settings`, with its password and the private authority, if any.
pub fn smtp(settings: &MailSettings, password: &str, extra_ca_pem: Option<&[u8]>) -> SmtpSettings {
    let s = &settings.smtp;
    let mut out = SmtpSettings::new(&s.host, s.port, security(s.security), &s.username, password);
    out.extra_ca_pem = extra_ca_pem.map(<[u8]>::to_vec);
    out
}

/// The IMAP settings of `settings`, when it has an IMAP server.
pub fn imap(
    settings: &MailSettings,
    password: &str,
    extra_ca_pem: Option<&[u8]>,
) -> Option<ImapSettings> {
    let s = settings.imap.as_ref()?;
    Some(ImapSettings {
        host: s.host.clone(),
        port: s.port,
        security: security(s.security),
        username: s.username.clone(),
        password: password.to_owned(),
        extra_ca_pem: extra_ca_pem.map(<[u8]>::to_vec),
        timeout: Duration::from_secs(30),
    })
}

/// The OCT's certificate, when the settings name one.
pub fn oct(settings: &MailSettings) -> Option<&OctSettings> {
    settings.oct.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> MailSettingsInput {
        MailSettingsInput {
            from: "sage-femme@example.test".into(),
            smtp: MailServer {
                host: "smtp.example.test".into(),
                port: 587,
                security: MailSecurity::Starttls,
                username: "sage-femme".into(),
            },
            imap: None,
            oct: None,
            password: Some(Secret::new("s3cret")),
        }
    }

    #[test]
    fn checks_each_field_by_name() {
        assert!(check("69312233", &input(), false).unwrap().password_set);
        let mut bad = input();
        bad.from = "pas une adresse".into();
        let e = check("69312233", &bad, false).unwrap_err();
        assert!(e.to_string().contains("(from)"), "{e}");
        let mut bad = input();
        bad.smtp.host = "a b".into();
        assert!(check("69312233", &bad, false)
            .unwrap_err()
            .to_string()
            .contains("(smtp)"));
        let mut bad = input();
        bad.password = Some(Secret::new("deux\nlignes"));
        assert!(check("69312233", &bad, false).is_err());
        assert!(check("123", &input(), false).is_err());
    }

    #[test]
    fn the_password_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = Passwords::in_dir(dir.path());
        assert!(matches!(
            p.read("69312233"),
            Err(SettingsError::NoPassword(_))
        ));
        p.store("69312233", &Secret::new("s3cret")).unwrap();
        assert_eq!(p.read("69312233").unwrap().as_str(), "s3cret");
        let mode = std::fs::metadata(dir.path().join("mail/69312233.password"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
