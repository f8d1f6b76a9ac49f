//! The modelled ARL text: writing and reading.

use crate::returns::types::{echo, CalendarDate, Digits, LotNumber, Organism, ReasonCode};

use super::{Arl, ArlError, ArlLabel, ArlOutcome, MessageRef};

/// First line of every modelled ARL.
pub const MAGIC: &str = "ARL-MODELE-1";
/// Largest ARL accepted, in bytes (a real one is a few hundred).
pub const MAX_LEN: usize = 16 * 1024;

/// Keys, in the order [`write()`] uses.
const KEYS: [&str; 10] = [
    "lot",
    "regime",
    "caisse",
    "centre",
    "ps",
    "reference",
    "date",
    "resultat",
    "motif",
    "libelle",
];
const LOT: usize = 0;
const REGIME: usize = 1;
const CAISSE: usize = 2;
const CENTRE: usize = 3;
const PS: usize = 4;
const REFERENCE: usize = 5;
const DATE: usize = 6;
const RESULT: usize = 7;
const MOTIF: usize = 8;
const LABEL: usize = 9;

/// The text of `arl` (UTF-8, LF line endings, keys in the documented order).
pub fn write(arl: &Arl) -> Vec<u8> {
    let o = &arl.organism;
    let mut lines = vec![
        MAGIC.to_owned(),
        format!("lot={}", arl.lot),
        format!("regime={}", o.regime),
        format!("caisse={}", o.caisse),
        format!("centre={}", o.centre),
        format!("ps={}", arl.practitioner),
        format!("reference={}", arl.reference.as_str()),
        format!("date={}", arl.date.yyyymmdd()),
    ];
    match &arl.outcome {
        ArlOutcome::Positive => lines.push("resultat=positif".into()),
        ArlOutcome::Negative { code, label } => {
            lines.push("resultat=negatif".into());
            lines.push(format!("motif={code}"));
            lines.push(format!("libelle={label}"));
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}

/// Reads an ARL. Refuses anything [`write()`] would not produce, except CRLF line endings,
/// another key order and a missing final line break.
pub fn parse(bytes: &[u8]) -> Result<Arl, ArlError> {
    if bytes.len() > MAX_LEN {
        return Err(ArlError::TooLarge(MAX_LEN));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ArlError::NotText)?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut lines = body.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    if lines.next() != Some(MAGIC) {
        return Err(ArlError::BadMagic);
    }
    let mut values: [Option<&str>; KEYS.len()] = [None; KEYS.len()];
    for (i, line) in lines.enumerate() {
        let number = i + 2;
        let (key, value) = line
            .split_once('=')
            .ok_or(ArlError::MalformedLine { line: number })?;
        let index = KEYS
            .iter()
            .position(|k| *k == key)
            .ok_or_else(|| ArlError::UnknownKey {
                line: number,
                key: echo(key),
            })?;
        let slot = values
            .get_mut(index)
            .ok_or(ArlError::MalformedLine { line: number })?;
        if slot.is_some() {
            let key = KEYS.get(index).copied().unwrap_or_default();
            return Err(ArlError::DuplicateKey { line: number, key });
        }
        *slot = Some(value);
    }
    let get = |i: usize| -> Result<&str, ArlError> {
        let key = KEYS.get(i).copied().unwrap_or_default();
        values
            .get(i)
            .copied()
            .flatten()
            .ok_or(ArlError::MissingKey(key))
    };
    let lot_text = get(LOT)?;
    let lot_digits =
        Digits::<3>::new(lot_text).map_err(|_| ArlError::malformed("lot", lot_text, 3))?;
    let lot = LotNumber::new(i64::from(number_of(&lot_digits)))
        .map_err(|source| ArlError::InvalidValue { key: "lot", source })?;
    let organism = Organism {
        regime: digits(get(REGIME)?, "regime")?,
        caisse: digits(get(CAISSE)?, "caisse")?,
        centre: digits(get(CENTRE)?, "centre")?,
    };
    let practitioner = digits(get(PS)?, "ps")?;
    let reference = MessageRef::new(get(REFERENCE)?).map_err(|source| ArlError::InvalidValue {
        key: "reference",
        source,
    })?;
    let date_text = get(DATE)?;
    if Digits::<8>::new(date_text).is_err() {
        return Err(ArlError::malformed("date", date_text, 8));
    }
    let date = CalendarDate::from_yyyymmdd(date_text.as_bytes()).ok_or_else(|| {
        ArlError::InvalidValue {
            key: "date",
            source: crate::returns::types::ValueError::Date(echo(date_text)),
        }
    })?;
    let outcome = match get(RESULT)? {
        "positif" => {
            if values[MOTIF].is_some() || values[LABEL].is_some() {
                return Err(ArlError::Inconsistent(
                    "un ARL positif ne porte ni motif ni libellé",
                ));
            }
            ArlOutcome::Positive
        }
        "negatif" => negative(get(MOTIF)?, get(LABEL)?)?,
        other => return Err(ArlError::BadOutcome(echo(other))),
    };
    Ok(Arl {
        lot,
        organism,
        practitioner,
        reference,
        date,
        outcome,
    })
}

fn negative(code: &str, label: &str) -> Result<ArlOutcome, ArlError> {
    let code = ReasonCode::new(code).map_err(|source| ArlError::InvalidValue {
        key: "motif",
        source,
    })?;
    let parsed = ArlLabel::new(label).map_err(|source| ArlError::InvalidValue {
        key: "libelle",
        source,
    })?;
    if parsed.as_str() != label {
        return Err(ArlError::InvalidValue {
            key: "libelle",
            source: crate::returns::types::ValueError::Text("espaces en début ou en fin"),
        });
    }
    Ok(ArlOutcome::Negative {
        code,
        label: parsed,
    })
}

fn digits<const N: usize>(value: &str, key: &'static str) -> Result<Digits<N>, ArlError> {
    Digits::new(value).map_err(|_| ArlError::malformed(key, value, N))
}

fn number_of<const N: usize>(d: &Digits<N>) -> u32 {
    d.as_bytes()
        .iter()
        .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
}
