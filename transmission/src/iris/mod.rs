//! The IRIS message of a lot: what goes to the organism's mailbox.
//!
//! Public facts followed (the IRIS norm itself is restricted):
//! - mailbox `{régime2}{caisse3}@{caisse}.{régime}.rss.fr` ([`organism_mailbox`]);
//! - the compressed B2 in a MIME part `application/EDI-consent`, base64, with
//!   `Content-Description: IRIS/B2/Z` (`IRISTEST/B2` in test mode);
//! - that part S/MIME-encrypted to the organism's certificate ([`smime`]);
//! - subject `IR{version6}/{sender14}/{YYYYMMDDhhmmss}/{invoice count 5}` ([`subject`]).
//!
//! Modelled: the compression ([`compress_b2`], gzip for the norm's "Z"), and the content of
//! a PJ lot ([`pj_content`]: an index, then each PDF).

mod compress;
mod message;
pub mod smime;

pub use compress::{compress_b2, decompress_b2, MAX_B2_LEN};
pub use message::{build_message, inner_part, lot_content, pj_content, IrisMessage};
pub use smime::OrganismCertificate;

use time::OffsetDateTime;

/// Why an IRIS message could not be built (or read back).
#[derive(Debug, thiserror::Error)]
pub enum IrisError {
    /// A field of the lot's envelope does not fit the IRIS format.
    #[error("Donnée d'envoi IRIS invalide ({field}) : {reason}")]
    InvalidField {
        /// Which field.
        field: &'static str,
        /// What is wrong with it, in French.
        reason: String,
    },
    /// The organism's certificate could not be read.
    #[error("Le certificat de chiffrement de l'organisme est illisible : {0}")]
    Certificate(String),
    /// The certificate's key is not RSA (its algorithm OID is given).
    #[error("Le certificat de l'organisme n'a pas de clé RSA (algorithme {0}).")]
    NotRsa(String),
    /// The certificate has expired (its end date is given).
    #[error(
        "Le certificat de chiffrement de l'organisme a expiré le {0} : il faut le renouveler."
    )]
    CertificateExpired(String),
    /// The certificate is not valid yet (its start date is given).
    #[error("Le certificat de chiffrement de l'organisme n'est valable qu'à partir du {0}.")]
    CertificateNotYetValid(String),
    /// The CMS encryption failed.
    #[error("Le chiffrement S/MIME du lot a échoué : {0}")]
    Encryption(String),
    /// The MIME message could not be assembled.
    #[error("Le message IRIS n'a pas pu être composé : {0}")]
    Mime(String),
    /// The B2 file could not be compressed.
    #[error("La compression du fichier B2 a échoué : {0}")]
    Compression(String),
    /// A compressed B2 file could not be decompressed.
    #[error("Le fichier B2 compressé est illisible : {0}")]
    Decompression(String),
}

/// Production or test transmission (the organism routes test lots apart).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Real lots: `Content-Description: IRIS/B2/Z`.
    Production,
    /// Test lots: `Content-Description: IRISTEST/B2`.
    Test,
}

impl Mode {
    /// The `Content-Description` of the B2 part in this mode.
    pub fn content_description(self) -> &'static str {
        match self {
            Mode::Production => "IRIS/B2/Z",
            Mode::Test => "IRISTEST/B2",
        }
    }

    /// The `Content-Description` of each PDF of a PJ lot in this mode (modelled).
    pub fn pj_description(self) -> &'static str {
        match self {
            Mode::Production => "IRIS/PJ",
            Mode::Test => "IRISTEST/PJ",
        }
    }

    /// The `Content-Description` of a PJ lot's index in this mode (modelled).
    pub fn pj_index_description(self) -> &'static str {
        match self {
            Mode::Production => "IRIS/PJ/INDEX",
            Mode::Test => "IRISTEST/PJ/INDEX",
        }
    }
}

/// Everything about a lot's message but the B2 itself and the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotEnvelope {
    /// The IRIS version field of the subject: 6 ASCII letters or digits.
    pub version: String,
    /// The sender's identifier: 14 ASCII letters or digits.
    pub sender_id: String,
    /// How many invoices the lot holds: 1 to 99,999.
    pub invoice_count: u32,
    /// When the lot was made; its local date and time (in its own offset) go in the subject.
    pub created_at: OffsetDateTime,
    /// Production or test.
    pub mode: Mode,
    /// The practitioner's address (`From`, and the SMTP envelope sender).
    pub from: String,
    /// The organism's mailbox (`To`, and the SMTP envelope recipient).
    pub to: String,
    /// The Message-ID, with or without its angle brackets. Keep it with the lot: a re-send
    /// after an unknown outcome reuses it, so the organism can recognise the duplicate.
    pub message_id: String,
}

/// The subject of a lot's message: `IR{version}/{sender}/{YYYYMMDDhhmmss}/{count:05}`.
pub fn subject(lot: &LotEnvelope) -> Result<String, IrisError> {
    fixed_alnum("version", &lot.version, 6)?;
    fixed_alnum("sender_id", &lot.sender_id, 14)?;
    if !(1..=99_999).contains(&lot.invoice_count) {
        return Err(IrisError::InvalidField {
            field: "invoice_count",
            reason: format!("{} factures : il en faut de 1 à 99 999", lot.invoice_count),
        });
    }
    let t = lot.created_at;
    if !(0..=9999).contains(&t.year()) {
        return Err(IrisError::InvalidField {
            field: "created_at",
            reason: format!("année {} hors de 0000-9999", t.year()),
        });
    }
    Ok(format!(
        "IR{}/{}/{:04}{:02}{:02}{:02}{:02}{:02}/{:05}",
        lot.version,
        lot.sender_id,
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        lot.invoice_count
    ))
}

/// The mailbox of an organism: `{régime}{caisse}@{caisse}.{régime}.rss.fr`, from the
/// 2-digit régime code and the 3-digit caisse code (e.g. `01`, `751` → `01751@751.01.rss.fr`).
pub fn organism_mailbox(regime: &str, caisse: &str) -> Result<String, IrisError> {
    let digits = |field: &'static str, v: &str, n: usize| {
        if v.len() == n && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err(IrisError::InvalidField {
                field,
                reason: format!("« {v} » : {n} chiffres attendus"),
            })
        }
    };
    digits("regime", regime, 2)?;
    digits("caisse", caisse, 3)?;
    Ok(format!("{regime}{caisse}@{caisse}.{regime}.rss.fr"))
}

/// `<id@domain>` from `id@domain` or `<id@domain>`; refuses anything else.
pub fn normalize_message_id(id: &str) -> Result<String, IrisError> {
    let bare = id
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(id);
    let ok = bare.split('@').count() == 2
        && !bare.starts_with('@')
        && !bare.ends_with('@')
        && bare
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>()[]\\,;:\"".contains(&b));
    if !ok {
        return Err(IrisError::InvalidField {
            field: "message_id",
            reason: format!("« {id} » n'a pas la forme identifiant@domaine"),
        });
    }
    Ok(format!("<{bare}>"))
}

fn fixed_alnum(field: &'static str, value: &str, len: usize) -> Result<(), IrisError> {
    if value.len() == len && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(IrisError::InvalidField {
            field,
            reason: format!("« {value} » : {len} lettres ou chiffres attendus"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn lot() -> LotEnvelope {
        LotEnvelope {
            version: "000120".into(),
            sender_id: "12345678901234".into(),
            invoice_count: 42,
            created_at: datetime!(2025-03-07 09:05:03 +01:00),
            mode: Mode::Production,
            from: "praticien@example.test".into(),
            to: "01751@751.01.rss.fr".into(),
            message_id: "lot-001@passerelle.example".into(),
        }
    }

    #[test]
    fn subject_has_the_fixed_layout() {
        assert_eq!(
            subject(&lot()).expect("subject"),
            "IR000120/12345678901234/20250307090503/00042"
        );
        let mut l = lot();
        l.invoice_count = 100_000;
        assert!(subject(&l).is_err());
        l = lot();
        l.sender_id = "1234/678901234".into();
        assert!(subject(&l).is_err());
        l = lot();
        l.version = "12345".into();
        let err = subject(&l).expect_err("short version");
        assert!(
            err.to_string().contains("6 lettres ou chiffres attendus"),
            "{err}"
        );
    }

    #[test]
    fn mailbox_and_message_id() {
        assert_eq!(
            organism_mailbox("01", "751").expect("mailbox"),
            "01751@751.01.rss.fr"
        );
        assert!(organism_mailbox("1", "751").is_err());
        assert_eq!(normalize_message_id("a.b@c").expect("id"), "<a.b@c>");
        assert_eq!(normalize_message_id("<a.b@c>").expect("id"), "<a.b@c>");
        assert!(normalize_message_id("a b@c").is_err());
        assert!(normalize_message_id("<ab>").is_err());
    }
}
