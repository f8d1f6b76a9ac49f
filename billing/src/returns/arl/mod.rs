//! ARL (accusé de réception logique): the organism's acknowledgement of one lot,
//! positive (received and conform) or negative (to be sent again), modelled.
//!
//! # What is public and what is modelled
//!
//! Public (DOMAIN.md, seed 000, ameli.fr *Le retour NOEMIE*): an ARL acknowledges one lot,
//! usually within 48 hours; it is positive when the lot conforms, negative otherwise, and a
//! negative ARL means the lot must be sent again; it says nothing about payment. The real
//! ARL format is restricted: **everything about the bytes is modelled**, as a small
//! key=value text:
//!
//! | line | value | status |
//! |---|---|---|
//! | `ARL-MODELE-1` | first line, names the model and its version | modelled |
//! | `lot=` | lot number, 3 digits | public (3-digit lot numbers), key modelled |
//! | `regime=` `caisse=` `centre=` | 2, 3 and 4 digits | public (organism codes), keys modelled |
//! | `ps=` | practitioner's billing number, 8 digits | modelled |
//! | `reference=` | Message-ID of the mail that carried the lot, `<left@right>` | modelled |
//! | `date=` | `YYYYMMDD`, when the organism acknowledged | modelled |
//! | `resultat=` | `positif` or `negatif` | public meaning, spelling modelled |
//! | `motif=` | negative only: reason code, 1 to 5 upper-case letters or digits | modelled |
//! | `libelle=` | negative only: the reason in words, UTF-8, 1 to 200 characters | modelled |
//!
//! Text is UTF-8; lines end with LF (CRLF accepted); keys may come in any order, each
//! once; unknown keys are refused. [`write()`] writes them in the order above.

mod text;

use std::fmt;

use crate::returns::types::{
    echo, BillingNumber, CalendarDate, LotNumber, Organism, ReasonCode, ValueError,
};

pub use text::{parse, write, MAGIC, MAX_LEN};

/// One acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arl {
    /// The acknowledged lot.
    pub lot: LotNumber,
    /// The organism that acknowledges (the lot's destination).
    pub organism: Organism,
    /// The practitioner who sent the lot.
    pub practitioner: BillingNumber,
    /// The Message-ID of the mail that carried the lot: what ties the ARL to one attempt.
    pub reference: MessageRef,
    /// When the organism acknowledged.
    pub date: CalendarDate,
    /// Positive or negative.
    pub outcome: ArlOutcome,
}

/// Positive or negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArlOutcome {
    /// The lot was received and conforms.
    Positive,
    /// The lot was refused: it must be sent again.
    Negative {
        /// The organism's reason code.
        code: ReasonCode,
        /// The reason in words.
        label: ArlLabel,
    },
}

/// A mail Message-ID, `<left@right>`: visible ASCII, one `@`, at most 250 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageRef(String);

impl MessageRef {
    /// Longest reference.
    pub const MAX_LEN: usize = 250;

    /// Checks the shape.
    pub fn new(s: &str) -> Result<Self, ValueError> {
        let inner = s
            .strip_prefix('<')
            .and_then(|r| r.strip_suffix('>'))
            .unwrap_or_default();
        let ok = s.len() <= Self::MAX_LEN
            && inner
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>')
            && matches!(inner.split_once('@'), Some((l, r)) if !l.is_empty() && !r.is_empty() && !r.contains('@'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::Text(
                "référence de message « <gauche@droite> » attendue",
            ))
        }
    }

    /// The reference, with its angle brackets.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The label of a negative ARL: 1 to 200 characters, no control character, no space at
/// either end (trimmed when made).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArlLabel(String);

impl ArlLabel {
    /// Longest label, in characters.
    pub const MAX_CHARS: usize = 200;

    /// Checks `s` after trimming spaces at both ends.
    pub fn new(s: &str) -> Result<Self, ValueError> {
        let s = s.trim_matches(' ');
        let count = s.chars().count();
        if count == 0 || count > Self::MAX_CHARS {
            return Err(ValueError::Text("1 à 200 caractères attendus"));
        }
        if s.chars().any(char::is_control) {
            return Err(ValueError::Text("caractère de contrôle"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArlLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why bytes are not an acceptable ARL. French, for the practitioner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArlError {
    /// Longer than [`MAX_LEN`].
    #[error("ARL refusé : plus de {0} octets.")]
    TooLarge(usize),
    /// Not UTF-8 text.
    #[error("ARL refusé : ce n'est pas un texte UTF-8.")]
    NotText,
    /// The first line is not [`MAGIC`].
    #[error("ARL refusé : la première ligne doit être « {MAGIC} ».")]
    BadMagic,
    /// A line that is not `key=value`.
    #[error("ARL refusé : ligne {line} : « clé=valeur » attendu.")]
    MalformedLine {
        /// Line number, from 1.
        line: usize,
    },
    /// A key the model does not know.
    #[error("ARL refusé : ligne {line} : clé inconnue « {key} ».")]
    UnknownKey {
        /// Line number, from 1.
        line: usize,
        /// As read (cut to 40 characters).
        key: String,
    },
    /// A key given twice.
    #[error("ARL refusé : ligne {line} : « {key} » est déjà donné.")]
    DuplicateKey {
        /// Line number, from 1.
        line: usize,
        /// The key.
        key: &'static str,
    },
    /// A required key is absent.
    #[error("ARL refusé : « {0} » manque.")]
    MissingKey(&'static str),
    /// A numeric value that is not all digits of the right count.
    #[error("ARL refusé : « {key} » : « {value} » n'est pas un nombre de {digits} chiffres.")]
    MalformedNumber {
        /// The key.
        key: &'static str,
        /// As read (cut to 40 characters).
        value: String,
        /// Expected digits.
        digits: usize,
    },
    /// A value of the right shape but impossible.
    #[error("ARL refusé : « {key} » : {source}")]
    InvalidValue {
        /// The key.
        key: &'static str,
        /// Why.
        source: ValueError,
    },
    /// `resultat` is neither `positif` nor `negatif`.
    #[error("ARL refusé : résultat « {0} » inconnu (positif ou negatif attendu).")]
    BadOutcome(String),
    /// A positive ARL with a reason, or the like.
    #[error("ARL refusé : {0}.")]
    Inconsistent(&'static str),
}

impl ArlError {
    fn malformed(key: &'static str, value: &str, digits: usize) -> Self {
        ArlError::MalformedNumber {
            key,
            value: echo(value),
            digits,
        }
    }
}
