//! Identifiers: fixed digit strings, organism, FSE and lot numbers, reason codes.

use std::fmt;

use super::{echo, ValueError};

/// Exactly `N` ASCII digits (régime, caisse, centre, billing number, references).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digits<const N: usize>([u8; N]);

impl<const N: usize> Digits<N> {
    /// Checks that `s` is exactly `N` ASCII digits.
    pub fn new(s: &str) -> Result<Self, ValueError> {
        Self::from_bytes(s.as_bytes()).ok_or_else(|| ValueError::Digits {
            value: echo(s),
            expected: N,
        })
    }

    /// The same from raw bytes; `None` unless exactly `N` ASCII digits.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let array: [u8; N] = bytes.try_into().ok()?;
        array.iter().all(u8::is_ascii_digit).then_some(Self(array))
    }

    /// The digits as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored, so this never falls back.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The digits as bytes.
    pub fn as_bytes(&self) -> &[u8; N] {
        &self.0
    }
}

impl<const N: usize> fmt::Debug for Digits<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl<const N: usize> fmt::Display for Digits<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A practitioner's billing number (AM number), its 8 digits as the FSE and lots carry it
/// (the key digit, whose rule is not in the public sources the project uses, is not
/// carried).
pub type BillingNumber = Digits<8>;

/// An organism of the Assurance Maladie: régime (2 digits), caisse (3), centre (4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Organism {
    /// Régime, e.g. `01` (régime général).
    pub regime: Digits<2>,
    /// Caisse.
    pub caisse: Digits<3>,
    /// Centre.
    pub centre: Digits<4>,
}

impl Organism {
    /// Builds an organism from its three codes.
    pub fn new(regime: &str, caisse: &str, centre: &str) -> Result<Self, ValueError> {
        Ok(Self {
            regime: Digits::new(regime)?,
            caisse: Digits::new(caisse)?,
            centre: Digits::new(centre)?,
        })
    }
}

impl fmt::Display for Organism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.regime, self.caisse, self.centre)
    }
}

/// An FSE number, 1..=999 999 999, written on 9 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FseNumber(u32);

impl FseNumber {
    /// Largest FSE number (9 digits), as in the project's numbering.
    pub const MAX: u32 = 999_999_999;

    /// Checks the range.
    pub fn new(n: i64) -> Result<Self, ValueError> {
        match u32::try_from(n) {
            Ok(v) if (1..=Self::MAX).contains(&v) => Ok(Self(v)),
            _ => Err(ValueError::FseNumber(n)),
        }
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for FseNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:09}", self.0)
    }
}

/// A lot number, 1..=999, written on 3 digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LotNumber(u16);

impl LotNumber {
    /// Largest lot number (3 digits); the project wraps to 1 after it.
    pub const MAX: u16 = 999;

    /// Checks the range.
    pub fn new(n: i64) -> Result<Self, ValueError> {
        match u16::try_from(n) {
            Ok(v) if (1..=Self::MAX).contains(&v) => Ok(Self(v)),
            _ => Err(ValueError::LotNumber(n)),
        }
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for LotNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// A reason code (rejection or negative ARL): 1 to 5 upper-case ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReasonCode(String);

impl ReasonCode {
    /// Widest code.
    pub const MAX_LEN: usize = 5;

    /// Checks the alphabet and length.
    pub fn new(s: &str) -> Result<Self, ValueError> {
        let ok = (1..=Self::MAX_LEN).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(ValueError::ReasonCode(echo(s)))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
