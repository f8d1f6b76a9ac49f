//! Values shared by the return files and the paper duplicate. Each is checked when it is
//! made, so a writer holding one can never produce a field that does not fit its zone:
//! that is what lets `noemie::write` and `arl::write` be infallible.

mod ids;
mod values;

pub use ids::{BillingNumber, Digits, FseNumber, LotNumber, Organism, ReasonCode};
pub use values::{format_euros, CalendarDate, Cents};

/// Why a value was refused. The value is echoed (cut to 40 characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not exactly `expected` ASCII digits.
    #[error("« {value} » : {expected} chiffres attendus.")]
    Digits {
        /// As received.
        value: String,
        /// How many digits the zone holds.
        expected: usize,
    },
    /// An FSE number outside 1..=999 999 999.
    #[error("Numéro de feuille de soins {0} impossible : de 1 à 999999999.")]
    FseNumber(i64),
    /// A lot number outside 1..=999.
    #[error("Numéro de lot {0} impossible : de 1 à 999.")]
    LotNumber(i64),
    /// An amount outside 0..=`Cents::MAX`.
    #[error("Montant de {0} centimes impossible : de 0 à 99 999 999,99 €.")]
    Amount(i64),
    /// A date that does not exist or whose year is outside 1..=9999.
    #[error("Date « {0} » impossible.")]
    Date(String),
    /// A reason code that is not 1 to 5 upper-case letters or digits.
    #[error("Code motif « {0} » invalide : 1 à 5 lettres majuscules ou chiffres attendus.")]
    ReasonCode(String),
    /// A free text (label) refused.
    #[error("Libellé refusé : {0}.")]
    Text(&'static str),
    /// A NIR of the wrong shape or whose key does not match.
    #[error("NIR « {value} » invalide : {reason}.")]
    Nir {
        /// As received.
        value: String,
        /// What is wrong, in French.
        reason: &'static str,
    },
}

/// At most 40 characters of `s`, for error messages.
pub(crate) fn echo(s: &str) -> String {
    s.chars().take(40).collect()
}
