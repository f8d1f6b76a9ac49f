//! Why a NOEMIE file was refused. Messages are French, for the practitioner: they say
//! where (byte offset in the decompressed file, entity code) and what.

use crate::returns::types::ValueError;

/// Why bytes are not an acceptable NOEMIE return file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoemieError {
    /// The gzip layer is damaged.
    #[error("Retour NOEMIE compressé illisible : {0}.")]
    Decompression(String),
    /// Decompressed, the file exceeds the limit.
    #[error("Retour NOEMIE refusé : plus de {limit} octets une fois décompressé.")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The `000` header is missing, short or malformed.
    #[error("Retour NOEMIE refusé : en-tête 000 invalide ({0}).")]
    BadHeader(String),
    /// The `999` trailer is missing, short, malformed, followed by data, or does not
    /// match the file.
    #[error("Retour NOEMIE refusé : enregistrement de fin 999 invalide ({0}).")]
    BadTrailer(String),
    /// An entity without its `@`.
    #[error(
        "Retour NOEMIE refusé : l'entité « {code} » (octet {offset}) n'est pas terminée par « @ »."
    )]
    MissingTerminator {
        /// Where the entity starts.
        offset: usize,
        /// Its first characters.
        code: String,
    },
    /// An entity code the model does not know.
    #[error("Retour NOEMIE refusé : type d'entité inconnu « {code} » (octet {offset}).")]
    UnknownEntity {
        /// Where the entity starts.
        offset: usize,
        /// The code as read.
        code: String,
    },
    /// A known entity of the wrong length.
    #[error("Retour NOEMIE refusé : l'entité {code} (octet {offset}) a une longueur inattendue ({found} caractères avant « @ »).")]
    BadLength {
        /// Where the entity starts.
        offset: usize,
        /// Entity code.
        code: &'static str,
        /// Characters between the code and `@`.
        found: usize,
    },
    /// A numeric zone that is not all digits.
    #[error("Retour NOEMIE refusé : zone « {field} » de l'entité {code} (octet {offset}) : « {value} » n'est pas un nombre.")]
    MalformedNumber {
        /// Where the entity starts.
        offset: usize,
        /// Entity code.
        code: &'static str,
        /// Zone name, in French.
        field: &'static str,
        /// As read (non-printable bytes shown as `?`).
        value: String,
    },
    /// A zone that is well-formed but whose value is impossible (date, FSE number 0, …).
    #[error(
        "Retour NOEMIE refusé : zone « {field} » de l'entité {code} (octet {offset}) : {source}"
    )]
    InvalidValue {
        /// Where the entity starts.
        offset: usize,
        /// Entity code.
        code: &'static str,
        /// Zone name, in French.
        field: &'static str,
        /// Why.
        source: ValueError,
    },
    /// A known entity where the file's structure does not allow it.
    #[error(
        "Retour NOEMIE refusé : entité {code} inattendue (octet {offset}) ; attendu : {expected}."
    )]
    UnexpectedEntity {
        /// Where the entity starts.
        offset: usize,
        /// Entity code.
        code: &'static str,
        /// What could come there, in French.
        expected: &'static str,
    },
    /// A `990` whose counts or totals differ from the lot's invoices.
    #[error("Retour NOEMIE refusé : les totaux de contrôle (990) du lot {lot} ne correspondent pas aux factures ({field} : {declared} déclaré, {computed} calculé).")]
    ControlTotals {
        /// Lot number.
        lot: String,
        /// Which count or total, in French.
        field: &'static str,
        /// What the `990` says.
        declared: i64,
        /// What the invoices add up to.
        computed: i64,
    },
}

/// The bytes shown in a message: printable ASCII kept, anything else as `?`, at most 40.
pub(crate) fn show(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(40)
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '?'
            }
        })
        .collect()
}
