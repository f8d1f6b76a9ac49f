//! The B2 file of a lot: fixed 128-character records, pure functions over bytes.
//!
//! Public facts (norme B2): records of 128 characters, a file header and trailer around
//! lots, each lot a header, its invoices (start, acts, end) and an end record; lot number 3
//! digits, invoice number 9 digits. **Modelled**: the record-type codes (`000` file header,
//! `1` lot header, `2` invoice start, `4` its replacement part, `3` act, `5` invoice end, `6` lot end, `999` file
//! trailer: no public copy of the norm read for Passerelle confirms them; the CNAMTS
//! "Norme B2" cahier des charges of June 2005, whose copy is public, names record types such
//! as `2S`, `3S`, `4S`) and the field layout inside each record (see [`layout`]) — the real
//! ones are in the restricted specification. Dates and times are Paris time. Records follow
//! each other without separator; text is upper-case ASCII (accents folded), padded with
//! spaces on the right; numbers are zero-padded on the left; the rest of a record is
//! spaces.

pub mod check;
pub mod layout;
pub mod writer;

pub use check::{check, Summary};
pub use layout::{Field, Layout};
pub use writer::{write_lot, LotHeader};

/// Length of every record.
pub const RECORD_LEN: usize = 128;

/// Why bytes could not be written or read as B2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum B2Error {
    /// A value does not fit its field.
    #[error("B2 : la valeur du champ {record}.{field} ne tient pas dans sa zone")]
    Overflow {
        /// Record type.
        record: &'static str,
        /// Field name.
        field: &'static str,
    },
    /// The bytes are not a well-formed B2 file.
    #[error("B2 : fichier mal formé à l'enregistrement {index} : {reason}")]
    Malformed {
        /// Record index (from 0).
        index: usize,
        /// What is wrong.
        reason: String,
    },
}

/// A value for [`encode`].
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    /// A non-negative number, zero-padded.
    Num(i64),
    /// Text, folded to upper-case ASCII and space-padded.
    Text(&'a str),
}

/// Encodes one record: the layout's type, then `values` in the layout's field order.
pub fn encode(layout: &Layout, values: &[Value<'_>]) -> Result<[u8; RECORD_LEN], B2Error> {
    let mut out = [b' '; RECORD_LEN];
    out[..layout.kind.len()].copy_from_slice(layout.kind.as_bytes());
    let mut at = layout.kind.len();
    for (field, value) in layout.fields.iter().zip(values) {
        let overflow = || B2Error::Overflow {
            record: layout.kind,
            field: field.name,
        };
        if at + field.width > RECORD_LEN {
            return Err(overflow());
        }
        let zone = &mut out[at..at + field.width];
        let fits = match value {
            Value::Num(n) => write_number(*n, zone),
            Value::Text(t) => fold_into(t, zone),
        };
        if !fits {
            return Err(overflow());
        }
        at += field.width;
    }
    if values.len() != layout.fields.len() {
        return Err(B2Error::Overflow {
            record: layout.kind,
            field: "nombre de champs",
        });
    }
    Ok(out)
}

/// The text of field `name` in `record` (trailing spaces removed).
pub fn field<'a>(layout: &Layout, record: &'a [u8], name: &str) -> Option<&'a str> {
    let mut at = layout.kind.len();
    for f in layout.fields {
        if f.name == name {
            let bytes = record.get(at..at + f.width)?;
            return std::str::from_utf8(bytes).ok().map(str::trim_end);
        }
        at += f.width;
    }
    None
}

/// A numeric field of `record`.
pub fn number(layout: &Layout, record: &[u8], name: &str) -> Option<i64> {
    let text = field(layout, record, name)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Writes `n` zero-padded on the left into `zone`; false when negative or too long.
fn write_number(mut n: i64, zone: &mut [u8]) -> bool {
    if n < 0 {
        return false;
    }
    for slot in zone.iter_mut().rev() {
        // n % 10 is 0..=9.
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    n == 0
}

/// Writes `text` folded (see [`fold`]) at the start of `zone` (already spaces); false when
/// it does not fit.
fn fold_into(text: &str, zone: &mut [u8]) -> bool {
    let mut at = 0;
    for c in text.chars() {
        for b in fold_char(c).bytes() {
            match zone.get_mut(at) {
                Some(slot) => *slot = b,
                None => return false,
            }
            at += 1;
        }
    }
    true
}

/// One character folded to upper-case ASCII (`é` → `E`, `œ` → `OE`, others → space).
fn fold_char(c: char) -> &'static str {
    const UPPER: [&str; 95] = [
        " ", "!", "\"", "#", "$", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/", "0", "1",
        "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?", "@", "A", "B", "C",
        "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U",
        "V", "W", "X", "Y", "Z", "[", "\\", "]", "^", "_", "`", "A", "B", "C", "D", "E", "F", "G",
        "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y",
        "Z", "{", "|", "}", "~",
    ];
    match c {
        ' '..='~' => UPPER[c as usize - 0x20],
        'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => "A",
        'ç' | 'Ç' => "C",
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => "E",
        'î' | 'ï' | 'Î' | 'Ï' => "I",
        'ô' | 'ö' | 'Ô' | 'Ö' => "O",
        'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => "U",
        'ÿ' | 'Ÿ' => "Y",
        'œ' | 'Œ' => "OE",
        'æ' | 'Æ' => "AE",
        _ => " ",
    }
}

/// Upper-case ASCII: French accents folded (`é` → `E`), other characters become spaces.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Splits a file into its records.
pub fn records(bytes: &[u8]) -> Result<Vec<&[u8]>, B2Error> {
    if bytes.len() / RECORD_LEN * RECORD_LEN != bytes.len() {
        return Err(B2Error::Malformed {
            index: bytes.len() / RECORD_LEN,
            reason: format!("longueur {} pas multiple de {RECORD_LEN}", bytes.len()),
        });
    }
    Ok(bytes.chunks(RECORD_LEN).collect())
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
