//! The tariff table: NGAP key letters, CCAM codes, surcharges, forfaits and travel
//! allowances, each row with its value, start date, zone, profession, status (`source` or
//! `a_verifier`, to check) and public source. The data is `billing/data/tariffs.psv`,
//! embedded at build time; its header describes the format, `billing/data/SOURCES.md` the
//! sources.
//!
//! A lookup never falls back: a DROM practice without a row for its zone (or `drom`) is
//! refused, never priced at the métropole value.

mod rules;

use std::collections::HashMap;

use time::Date;

use super::clock::parse_date;
use super::practice::{Practice, Zone};

pub use rules::{parse_coefficient, Coefficients, Condition, Rules};

/// The embedded table, as text.
pub const EMBEDDED: &str = include_str!("../../data/tariffs.psv");

/// What kind of entry a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// NGAP key letter: price of coefficient 1.
    Ngap,
    /// CCAM act: price of the act.
    Ccam,
    /// Surcharge added to an NGAP act.
    NgapModifier,
    /// Fixed amount (IVG forfaits).
    Forfait,
    /// Travel allowance: price of one billed kilometre.
    Ik,
}

impl Kind {
    /// The nomenclature name written on a priced act.
    pub fn nomenclature(self) -> &'static str {
        match self {
            Kind::Ngap | Kind::NgapModifier => "ngap",
            Kind::Ccam => "ccam",
            Kind::Forfait => "forfait",
            Kind::Ik => "ik",
        }
    }
}

/// Where a code is looked for: an act asked as `ngap` (key letters, forfaits, IK), a CCAM
/// act, or a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// NGAP acts, forfaits and travel allowances.
    NgapAct,
    /// CCAM acts.
    Ccam,
    /// Surcharges of NGAP acts.
    Modifier,
}

/// The zones a row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zones {
    /// Exactly one zone.
    Only(Zone),
    /// The five DROM.
    Drom,
}

/// Whether a row's value and date are confirmed by a primary source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Confirmed (`source`).
    Source,
    /// To check (`a_verifier`).
    ToCheck,
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariff {
    /// Kind.
    pub kind: Kind,
    /// Code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Cents.
    pub cents: i64,
    /// First date it applies.
    pub from: Date,
    /// Zones.
    pub zones: Zones,
    /// Rules.
    pub rules: Rules,
    /// Status.
    pub status: Status,
    /// Public source(s).
    pub source: String,
}

/// Why a lookup found no price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// The code is not in the table.
    Unknown,
    /// The code exists, not for this profession.
    NotForProfession,
    /// No row for the practice's zone at that date (never the métropole one instead).
    NotForZone,
    /// A row for the zone exists, none at that date.
    NotAtDate,
}

/// The whole table, indexed by family and code.
#[derive(Debug, Clone, Default)]
pub struct Tariffs {
    entries: HashMap<(Family, String), Vec<Tariff>>,
}

impl Tariffs {
    /// The table shipped with the daemon.
    pub fn embedded() -> Result<Self, String> {
        Tariffs::parse(EMBEDDED)
    }

    /// Parses the `|`-separated format described in the data file's header.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut entries: HashMap<(Family, String), Vec<Tariff>> = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let t = parse_row(line).map_err(|e| format!("tarifs, ligne {} : {e}", n + 1))?;
            let family = match t.kind {
                Kind::Ngap | Kind::Forfait | Kind::Ik => Family::NgapAct,
                Kind::Ccam => Family::Ccam,
                Kind::NgapModifier => Family::Modifier,
            };
            entries.entry((family, t.code.clone())).or_default().push(t);
        }
        for list in entries.values_mut() {
            list.sort_by_key(|t| t.from);
        }
        Ok(Tariffs { entries })
    }

    /// The row of `code` for `practice` on `date`: the latest row of that profession for
    /// the practice's exact zone, else for `drom` (DROM practices), starting on or before
    /// `date`.
    pub fn find<'t>(
        &'t self,
        family: Family,
        code: &str,
        practice: Practice,
        date: Date,
    ) -> Result<&'t Tariff, Missing> {
        let rows = self
            .entries
            .get(&(family, code.to_owned()))
            .ok_or(Missing::Unknown)?;
        let mine: Vec<&Tariff> = rows
            .iter()
            .filter(|t| {
                t.rules
                    .professions
                    .iter()
                    .any(|p| practice.profession.matches(p))
            })
            .collect();
        if mine.is_empty() {
            return Err(Missing::NotForProfession);
        }
        let zone_rows = |zones: Zones| -> Vec<&Tariff> {
            mine.iter().copied().filter(|t| t.zones == zones).collect()
        };
        let exact = zone_rows(Zones::Only(practice.zone));
        let drom = match practice.zone.is_drom() {
            true => zone_rows(Zones::Drom),
            false => Vec::new(),
        };
        if exact.is_empty() && drom.is_empty() {
            return Err(Missing::NotForZone);
        }
        let latest = |rows: &[&'t Tariff]| rows.iter().rev().find(|t| t.from <= date).copied();
        latest(&exact)
            .or_else(|| latest(&drom))
            .ok_or(Missing::NotAtDate)
    }

    /// Every row, in no particular order.
    pub fn rows(&self) -> impl Iterator<Item = &Tariff> {
        self.entries.values().flatten()
    }

    /// The latest row of `code` in `family` whatever the profession, zone or date (checks
    /// of a basket, whose date and practice come later).
    pub fn latest(&self, family: Family, code: &str) -> Option<&Tariff> {
        self.entries.get(&(family, code.to_owned()))?.last()
    }
}

fn parse_row(line: &str) -> Result<Tariff, String> {
    let fields: Vec<&str> = line.split('|').map(str::trim).collect();
    let [kind, code, label, cents, from, zone, rules, status, source] = fields[..] else {
        return Err(format!("9 champs attendus, {} trouvés", fields.len()));
    };
    let kind = match kind {
        "ngap" => Kind::Ngap,
        "ccam" => Kind::Ccam,
        "mod-ngap" => Kind::NgapModifier,
        "forfait" => Kind::Forfait,
        "ik" => Kind::Ik,
        other => return Err(format!("nature inconnue {other:?}")),
    };
    let cents: i64 = cents
        .parse()
        .map_err(|_| format!("centimes illisibles {cents:?}"))?;
    if cents <= 0 {
        return Err("centimes nuls ou négatifs".into());
    }
    let from = parse_date(from).ok_or_else(|| format!("date illisible {from:?}"))?;
    let zones = match zone {
        "drom" => Zones::Drom,
        z => Zones::Only(
            Zone::ALL
                .into_iter()
                .find(|x| x.name() == z)
                .ok_or_else(|| format!("zone inconnue {z:?}"))?,
        ),
    };
    let status = match status {
        "source" => Status::Source,
        "a_verifier" => Status::ToCheck,
        other => return Err(format!("statut inconnu {other:?}")),
    };
    if source.is_empty() {
        return Err("source manquante".into());
    }
    Ok(Tariff {
        kind,
        code: code.to_owned(),
        label: label.to_owned(),
        cents,
        from,
        zones,
        rules: rules::parse(rules)?,
        status,
        source: source.to_owned(),
    })
}

#[cfg(test)]
mod tests;
