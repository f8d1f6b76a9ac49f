//! Cutting a file into entities and reading zones, with every fault mapped to its
//! [`NoemieError`] variant. No indexing that could panic: every slice is taken with `get`.

use crate::returns::types::{BillingNumber, CalendarDate, Digits, Organism, ValueError};

use super::error::show;
use super::{width, NoemieError, RECORD_LEN, TERMINATOR};

/// What the cursor found next.
pub(crate) enum Next<'a> {
    /// An `@` entity: code, body (between code and `@`), offset of its first byte.
    Entity(Kind, &'a [u8], usize),
    /// The 128-character `999` trailer and its offset.
    Trailer(&'a [u8], usize),
}

/// The known `@` entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Lot,
    Invoice100,
    Invoice102,
    Amo,
    Amc,
    Rejection,
    Control,
}

impl Kind {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Kind::Lot => "080",
            Kind::Invoice100 => "100",
            Kind::Invoice102 => "102",
            Kind::Amo => "198",
            Kind::Amc => "199",
            Kind::Rejection => "290",
            Kind::Control => "990",
        }
    }

    fn from_code(code: &[u8]) -> Option<Kind> {
        Some(match code {
            b"080" => Kind::Lot,
            b"100" => Kind::Invoice100,
            b"102" => Kind::Invoice102,
            b"198" => Kind::Amo,
            b"199" => Kind::Amc,
            b"290" => Kind::Rejection,
            b"990" => Kind::Control,
            _ => return None,
        })
    }
}

/// Walks the bytes after the header.
pub(crate) struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        Self { data, pos }
    }

    /// Skips CR/LF; `None` at the end of the data.
    fn skip_line_breaks(&mut self) -> Option<()> {
        while let Some(b) = self.data.get(self.pos) {
            if *b != b'\r' && *b != b'\n' {
                return Some(());
            }
            self.pos += 1;
        }
        None
    }

    /// The next entity, or `Ok(None)` at the end of the data.
    pub(crate) fn next(&mut self) -> Result<Option<Next<'a>>, NoemieError> {
        if self.skip_line_breaks().is_none() {
            return Ok(None);
        }
        let at = self.pos;
        let rest = self.data.get(at..).unwrap_or_default();
        if rest.starts_with(b"999") {
            let record = rest.get(..RECORD_LEN).ok_or_else(|| {
                NoemieError::BadTrailer(format!(
                    "{} caractères au lieu de {RECORD_LEN}",
                    rest.len()
                ))
            })?;
            self.pos += RECORD_LEN;
            return Ok(Some(Next::Trailer(record, at)));
        }
        let code = rest.get(..3).unwrap_or(rest);
        let kind = Kind::from_code(code).ok_or_else(|| NoemieError::UnknownEntity {
            offset: at,
            code: show(code),
        })?;
        // The terminator must come within the longest body the model allows.
        let window = rest.get(3..).unwrap_or_default();
        let window = window.get(..=width::MAX_BODY).unwrap_or(window);
        let end = window
            .iter()
            .position(|b| *b == TERMINATOR)
            .ok_or_else(|| NoemieError::MissingTerminator {
                offset: at,
                code: kind.code().to_owned(),
            })?;
        let body = window.get(..end).unwrap_or_default();
        self.pos += 3 + end + 1;
        Ok(Some(Next::Entity(kind, body, at)))
    }

    /// Only line breaks may follow the trailer.
    pub(crate) fn expect_end(&mut self) -> Result<(), NoemieError> {
        match self.skip_line_breaks() {
            None => Ok(()),
            Some(()) => Err(NoemieError::BadTrailer(format!(
                "données après la fin du fichier, octet {}",
                self.pos
            ))),
        }
    }
}

/// Reads consecutive zones of one entity body (or the header/trailer).
pub(crate) struct Zones<'a> {
    body: &'a [u8],
    at: usize,
    /// Offset of the entity, for messages.
    pub(crate) offset: usize,
    /// Entity code, for messages.
    pub(crate) code: &'static str,
}

impl<'a> Zones<'a> {
    pub(crate) fn new(body: &'a [u8], offset: usize, code: &'static str) -> Self {
        Self {
            body,
            at: 0,
            offset,
            code,
        }
    }

    /// The next `len` bytes (the caller checked the body's length; a short body gives a
    /// short slice, which the zone readers then refuse).
    pub(crate) fn take(&mut self, len: usize) -> &'a [u8] {
        let start = self.at.min(self.body.len());
        let end = self.at.saturating_add(len).min(self.body.len());
        self.at = self.at.saturating_add(len);
        self.body.get(start..end).unwrap_or_default()
    }

    /// What is left after the zones taken so far.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.body.get(self.at..).unwrap_or_default()
    }

    fn malformed(&self, field: &'static str, value: &[u8]) -> NoemieError {
        NoemieError::MalformedNumber {
            offset: self.offset,
            code: self.code,
            field,
            value: show(value),
        }
    }

    pub(crate) fn invalid(&self, field: &'static str, source: ValueError) -> NoemieError {
        NoemieError::InvalidValue {
            offset: self.offset,
            code: self.code,
            field,
            source,
        }
    }

    /// An unsigned number of `len` digits.
    pub(crate) fn number(&mut self, field: &'static str, len: usize) -> Result<u64, NoemieError> {
        let raw = self.take(len);
        if raw.len() != len || raw.is_empty() || !raw.iter().all(u8::is_ascii_digit) {
            return Err(self.malformed(field, raw));
        }
        raw.iter()
            .try_fold(0u64, |acc, b| {
                acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
            })
            .ok_or_else(|| self.malformed(field, raw))
    }

    /// A number that must fit an `i64` (amounts and totals).
    pub(crate) fn signed(&mut self, field: &'static str, len: usize) -> Result<i64, NoemieError> {
        let at = self.at;
        let n = self.number(field, len)?;
        i64::try_from(n).map_err(|_| {
            let raw = self.body.get(at..at + len).unwrap_or_default();
            self.malformed(field, raw)
        })
    }

    /// `N` digits kept as an identifier.
    pub(crate) fn digits<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<Digits<N>, NoemieError> {
        let raw = self.take(N);
        Digits::from_bytes(raw).ok_or_else(|| self.malformed(field, raw))
    }

    pub(crate) fn billing(&mut self, field: &'static str) -> Result<BillingNumber, NoemieError> {
        self.digits::<{ width::BILLING }>(field)
    }

    pub(crate) fn organism(&mut self) -> Result<Organism, NoemieError> {
        Ok(Organism {
            regime: self.digits("régime")?,
            caisse: self.digits("caisse")?,
            centre: self.digits("centre")?,
        })
    }

    /// A `YYYYMMDD` date.
    pub(crate) fn date(&mut self, field: &'static str) -> Result<CalendarDate, NoemieError> {
        let raw = self.take(width::DATE);
        if raw.len() != width::DATE || !raw.iter().all(u8::is_ascii_digit) {
            return Err(self.malformed(field, raw));
        }
        CalendarDate::from_yyyymmdd(raw)
            .ok_or_else(|| self.invalid(field, ValueError::Date(show(raw))))
    }

    /// A date, or none when the zone is all spaces.
    pub(crate) fn optional_date(
        &mut self,
        field: &'static str,
    ) -> Result<Option<CalendarDate>, NoemieError> {
        let peek = self.body.get(self.at..).unwrap_or_default();
        let zone = peek.get(..width::DATE).unwrap_or(peek);
        if zone.len() == width::DATE && zone.iter().all(|b| *b == b' ') {
            self.at += width::DATE;
            return Ok(None);
        }
        self.date(field).map(Some)
    }
}
