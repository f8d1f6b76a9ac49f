//! The tariff table: NGAP key letters, CCAM codes and modifiers with the date each price
//! applies from. The data is `billing/data/tariffs.psv`, embedded at build time; its values
//! are plausible public values to be checked against the official tables (the file says so).

use std::collections::HashMap;

use time::Date;

use super::clock::parse_date;

/// The embedded table, as text.
pub const EMBEDDED: &str = include_str!("../data/tariffs.psv");

/// What kind of entry a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// NGAP key letter: price of coefficient 1.
    Ngap,
    /// CCAM act: price of the act.
    Ccam,
    /// Modifier of an NGAP act: amount added.
    NgapModifier,
    /// Modifier of a CCAM act: amount added.
    CcamModifier,
}

/// Which coefficients (NGAP, in hundredths) or activities (CCAM) an entry allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// Coefficients from `min` to `max` inclusive, in hundredths.
    Range(u32, u32),
    /// Listed coefficients in hundredths, or CCAM activity codes.
    List(Vec<String>),
    /// No rule (modifiers).
    None,
}

/// One priced entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// Kind.
    pub kind: Kind,
    /// Code (key letter, CCAM code, modifier).
    pub code: String,
    /// Label.
    pub label: String,
    /// Price in cents.
    pub cents: i64,
    /// First date it applies.
    pub from: Date,
    /// Allowed coefficients or activities.
    pub rule: Rule,
}

/// Why a lookup found no price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The code is not in the table.
    Unknown,
    /// The code is known but no price applies at that date.
    NotAtDate,
}

/// The whole table, indexed by kind and code, each list sorted by date.
#[derive(Debug, Clone, Default)]
pub struct Tariffs {
    entries: HashMap<(Kind, String), Vec<Tariff>>,
}

impl Tariffs {
    /// The table shipped with the daemon.
    pub fn embedded() -> Result<Self, String> {
        Tariffs::parse(EMBEDDED)
    }

    /// Parses the `|`-separated format described in the data file's header.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries: HashMap<(Kind, String), Vec<Tariff>> = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let t = parse_line(line).map_err(|e| format!("tarifs, ligne {} : {e}", n + 1))?;
            entries.entry((t.kind, t.code.clone())).or_default().push(t);
        }
        for list in entries.values_mut() {
            list.sort_by_key(|t| t.from);
        }
        Ok(Tariffs { entries })
    }

    /// The price of `code` applying on `date`.
    pub fn find(&self, kind: Kind, code: &str, date: Date) -> Result<&Tariff, Missing> {
        let list = self
            .entries
            .get(&(kind, code.to_owned()))
            .ok_or(Missing::Unknown)?;
        list.iter()
            .rev()
            .find(|t| t.from <= date)
            .ok_or(Missing::NotAtDate)
    }

    /// True when `code` is in the table at any date.
    pub fn knows(&self, kind: Kind, code: &str) -> bool {
        self.entries.contains_key(&(kind, code.to_owned()))
    }

    /// The most recent entry of `code`, whatever its date (for checks without a date).
    pub fn latest(&self, kind: Kind, code: &str) -> Option<&Tariff> {
        self.entries.get(&(kind, code.to_owned()))?.last()
    }
}

fn parse_line(line: &str) -> Result<Tariff, String> {
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    let [kind, code, label, cents, from, rule] = fields[..] else {
        return Err(format!("6 champs attendus, {} trouvés", fields.len()));
    };
    let kind = match kind {
        "ngap" => Kind::Ngap,
        "ccam" => Kind::Ccam,
        "mod-ngap" => Kind::NgapModifier,
        "mod-ccam" => Kind::CcamModifier,
        other => return Err(format!("nature inconnue {other:?}")),
    };
    let cents: i64 = cents
        .parse()
        .map_err(|_| format!("centimes illisibles {cents:?}"))?;
    if cents < 0 {
        return Err("centimes négatifs".into());
    }
    let from = parse_date(from).ok_or_else(|| format!("date illisible {from:?}"))?;
    let rule = match (kind, rule) {
        (Kind::NgapModifier | Kind::CcamModifier, _) | (_, "") => Rule::None,
        (Kind::Ngap, r) => match r.split_once("..") {
            Some((min, max)) => {
                let min = parse_coefficient(min).ok_or("coefficient minimum illisible")?;
                let max = parse_coefficient(max).ok_or("coefficient maximum illisible")?;
                Rule::Range(min, max)
            }
            None => Rule::List(
                r.split(',')
                    .map(|c| parse_coefficient(c).map(|c| c.to_string()))
                    .collect::<Option<_>>()
                    .ok_or("liste de coefficients illisible")?,
            ),
        },
        (Kind::Ccam, r) => Rule::List(r.split(',').map(|a| a.trim().to_owned()).collect()),
    };
    Ok(Tariff {
        kind,
        code: code.to_owned(),
        label: label.to_owned(),
        cents,
        from,
        rule,
    })
}

/// Parses a coefficient (`7.5`, `7,5`, `12`) into hundredths: digits, at most two decimals,
/// at most 9999.99, never zero. `None` when impossible.
pub fn parse_coefficient(s: &str) -> Option<u32> {
    let s = s.trim();
    let (int, frac) = match s.split_once(['.', ',']) {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 4 || frac.len() > 2 || !digits(int) || !digits(frac) {
        return None;
    }
    let int: u32 = int.parse().ok()?;
    let frac: u32 = match frac.len() {
        0 => 0,
        1 => frac.parse::<u32>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    let value = int * 100 + frac;
    (value > 0).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn embedded_table_parses_and_prices_by_date() {
        let t = Tariffs::embedded().unwrap();
        assert_eq!(
            t.find(Kind::Ngap, "G", date!(2024 - 12 - 21))
                .unwrap()
                .cents,
            2650
        );
        assert_eq!(
            t.find(Kind::Ngap, "G", date!(2024 - 12 - 22))
                .unwrap()
                .cents,
            3000
        );
        assert_eq!(
            t.find(Kind::Ngap, "SF", date!(2026 - 01 - 05))
                .unwrap()
                .cents,
            280
        );
        assert_eq!(
            t.find(Kind::Ccam, "JKLD001", date!(2026 - 01 - 05))
                .unwrap()
                .cents,
            3840
        );
        assert_eq!(
            t.find(Kind::Ngap, "ZZ", date!(2026 - 01 - 05)),
            Err(Missing::Unknown)
        );
        assert_eq!(
            t.find(Kind::Ngap, "G", date!(2010 - 01 - 01)),
            Err(Missing::NotAtDate)
        );
        assert!(t.knows(Kind::NgapModifier, "F") && t.knows(Kind::CcamModifier, "F"));
    }

    #[test]
    fn coefficients_parse_to_hundredths() {
        assert_eq!(parse_coefficient("7.5"), Some(750));
        assert_eq!(parse_coefficient("7,25"), Some(725));
        assert_eq!(parse_coefficient("12"), Some(1200));
        for bad in [
            "0", "0.00", "-1", "1.234", "", ".5", "1e3", "12345", "7.5.1", " 1 2",
        ] {
            assert_eq!(parse_coefficient(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bad_lines_name_their_line() {
        let e = Tariffs::parse("# c\nngap|SF|x|abc|2020-01-01|1\n").unwrap_err();
        assert!(e.contains("ligne 2"), "{e}");
        assert!(Tariffs::parse("ngap|SF|x|1|2020-01-01").is_err());
        assert!(Tariffs::parse("xx|SF|x|1|2020-01-01|1").is_err());
    }
}
