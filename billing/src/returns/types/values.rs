//! Amounts in cents and calendar dates.

use std::fmt;

use time::{Date, Month};

use super::{Digits, ValueError};

/// An amount in integer cents, 0..=`Cents::MAX` (fits a 10-digit zone). Never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Cents(i64);

impl Cents {
    /// Largest amount: 99 999 999,99 €.
    pub const MAX: i64 = 9_999_999_999;
    /// Zero.
    pub const ZERO: Cents = Cents(0);

    /// Checks the range.
    pub fn new(cents: i64) -> Result<Self, ValueError> {
        if (0..=Self::MAX).contains(&cents) {
            Ok(Self(cents))
        } else {
            Err(ValueError::Amount(cents))
        }
    }

    /// The amount in cents.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Cents {
    /// French notation: `1 234,56 €`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_euros(self.0))
    }
}

/// Any amount of cents in French notation, `-1 234,56 €` (totals may exceed [`Cents::MAX`]).
pub fn format_euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let euros = (abs / 100).to_string();
    let mut grouped = String::with_capacity(euros.len() + euros.len() / 3);
    for (i, c) in euros.chars().enumerate() {
        if i > 0 && (euros.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{:02} €", abs % 100)
}

/// A calendar date whose year is 1..=9999, so it always fits `YYYYMMDD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CalendarDate(Date);

impl CalendarDate {
    /// Checks the year range.
    pub fn new(date: Date) -> Result<Self, ValueError> {
        if (1..=9999).contains(&date.year()) {
            Ok(Self(date))
        } else {
            Err(ValueError::Date(date.to_string()))
        }
    }

    /// From year, month (1..=12) and day.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, ValueError> {
        let bad = || ValueError::Date(format!("{year:04}-{month:02}-{day:02}"));
        let month = Month::try_from(month).map_err(|_| bad())?;
        let date = Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
        Self::new(date)
    }

    /// From `YYYYMMDD` bytes; `None` if not 8 digits or not a real date.
    pub fn from_yyyymmdd(bytes: &[u8]) -> Option<Self> {
        let d = Digits::<8>::from_bytes(bytes)?;
        let n = |r: std::ops::Range<usize>| -> u32 {
            d.as_bytes()
                .get(r)
                .unwrap_or_default()
                .iter()
                .fold(0, |acc, b| acc * 10 + u32::from(b - b'0'))
        };
        let year = i32::try_from(n(0..4)).ok()?;
        let month = u8::try_from(n(4..6)).ok()?;
        let day = u8::try_from(n(6..8)).ok()?;
        Self::from_ymd(year, month, day).ok()
    }

    /// `YYYYMMDD`.
    pub fn yyyymmdd(&self) -> String {
        let d = self.0;
        format!("{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
    }

    /// The date.
    pub fn get(self) -> Date {
        self.0
    }
}

impl fmt::Display for CalendarDate {
    /// French notation: `02/03/2026`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:02}/{:02}/{:04}",
            d.day(),
            u8::from(d.month()),
            d.year()
        )
    }
}
