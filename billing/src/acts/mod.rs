//! Pricing one act from the tariff table for a practice (profession, zone) at the act's
//! date, with its refusals: unknown code, no tariff for that zone or date (never the
//! métropole's for a DROM), impossible coefficient, modifiers out of their conditions
//! ([`modifiers`]), act dated in the future. The rules between acts of one session are in
//! [`crate::session`].

mod base;
mod modifiers;

use passerelle_protocol::{ActInput, ErrorCode, PricedAct};
use time::Date;

use super::clock::{format_date, parse_date, parse_time};
use super::error::BillingError;
use super::facts::PregnancyDates;
use super::practice::Practice;
use super::tariffs::{Family, Kind, Missing, Rules, Status, Tariff, Tariffs};

/// At most this many modifiers on one act.
pub const MAX_MODIFIERS: usize = 4;

/// What pricing an act needs besides the act itself.
#[derive(Debug, Clone, Copy)]
pub struct Setting<'a> {
    /// The table.
    pub tariffs: &'a Tariffs,
    /// Profession and zone of the billing situation.
    pub practice: Practice,
    /// The FSE's care date (default date of its acts).
    pub care_date: Date,
    /// Today in France.
    pub today: Date,
    /// The patient is covered by the C2S.
    pub c2s: bool,
    /// The pregnancy stated, if any.
    pub pregnancy: Option<&'a PregnancyDates>,
    /// The FSE names a prescriber.
    pub prescribed: bool,
}

/// An act priced at full rate, with what the session rules need.
#[derive(Debug, Clone)]
pub struct Priced {
    /// The act as the FSE will show it (`amount_cents` at full rate for now).
    pub act: PricedAct,
    /// Kind of the act's row.
    pub kind: Kind,
    /// The act's row rules.
    pub rules: Rules,
    /// The act's date.
    pub date: Date,
    /// The act's time, minutes after midnight.
    pub minute: Option<u16>,
    /// Path of the act in the request (`acts[1]`).
    pub field: String,
    /// Value of the row (a coefficient 1, the CCAM act, the forfait, one km).
    pub value_cents: i64,
    /// Coefficient billed, hundredths (km × 100 for IK, 100 otherwise).
    pub coefficient: u32,
    /// The modifiers and their rows' rules.
    pub modifiers: Vec<(String, Rules)>,
    /// Sum of the modifiers.
    pub modifiers_cents: i64,
}

impl Priced {
    /// Bills the act at `percent` of its value (modifiers in full: CCAM art. III-3 B, "ce
    /// pourcentage ne s'applique pas aux modificateurs en valeur monétaire"); rounded half
    /// up to the cent once: `(value × coefficient × percent + 5000) div 10000`.
    pub fn associate(&mut self, percent: u8) {
        let base =
            (self.value_cents * i64::from(self.coefficient) * i64::from(percent) + 5000) / 10_000;
        self.act.association_percent = percent;
        self.act.amount_cents = base + self.modifiers_cents;
    }
}

/// Checks and prices `act` at full rate.
pub fn price(s: &Setting<'_>, act: &ActInput, field: &str) -> Result<Priced, BillingError> {
    let (family, code, code_field, mods, date, time) = match act {
        ActInput::Ngap {
            key,
            modifiers,
            date,
            time,
            ..
        } => (Family::NgapAct, key, "key", modifiers, date, time),
        ActInput::Ccam {
            code,
            modifiers,
            date,
            time,
            ..
        } => (Family::Ccam, code, "code", modifiers, date, time),
    };
    let date = match date {
        Some(d) => parse_date(d).ok_or_else(|| {
            BillingError::invalid(
                format!("{field}.date"),
                "date attendue au format AAAA-MM-JJ.",
            )
        })?,
        None => s.care_date,
    };
    if date > s.today {
        return Err(BillingError::ActInFuture {
            field: format!("{field}.date"),
            date: format_date(date),
        });
    }
    let minute = match time {
        Some(t) => Some(parse_time(t).ok_or_else(|| {
            BillingError::invalid(format!("{field}.time"), "heure attendue au format HH:MM.")
        })?),
        None => None,
    };
    let code = code.trim().to_uppercase();
    let row = lookup(s, family, &code, date, &format!("{field}.{code_field}"))?;
    let (coefficient, activity, phase) = base::coefficient(s, row, act, field)?;
    let mut priced = Priced {
        act: PricedAct {
            nomenclature: row.kind.nomenclature().to_owned(),
            code: row.rules.fse_code.clone().unwrap_or_else(|| code.clone()),
            label: row.label.clone(),
            coefficient_hundredths: coefficient,
            activity,
            phase,
            modifiers: Vec::new(),
            date: format_date(date),
            time: time.clone(),
            association_percent: 100,
            amount_cents: 0,
            amo_rate: 0,
            amo_cents: 0,
            to_check: row.status == Status::ToCheck,
        },
        kind: row.kind,
        rules: row.rules.clone(),
        date,
        minute,
        field: field.to_owned(),
        value_cents: row.cents,
        coefficient,
        modifiers: Vec::new(),
        modifiers_cents: 0,
    };
    if mods.len() > MAX_MODIFIERS {
        return Err(BillingError::invalid(
            format!("{field}.modifiers"),
            format!("au plus {MAX_MODIFIERS} majorations par acte."),
        ));
    }
    for (i, m) in mods.iter().enumerate() {
        modifiers::add(s, &mut priced, &code, m, &format!("{field}.modifiers[{i}]"))?;
    }
    priced.associate(100);
    Ok(priced)
}

/// The row of `code` for the setting's practice at `date`, or the refusal naming `field`.
pub(crate) fn lookup<'t>(
    s: &Setting<'t>,
    family: Family,
    code: &str,
    date: Date,
    field: &str,
) -> Result<&'t Tariff, BillingError> {
    s.tariffs
        .find(family, code, s.practice, date)
        .map_err(|m| match m {
            Missing::Unknown if family == Family::Modifier => BillingError::UnknownModifier {
                field: field.to_owned(),
                modifier: code.to_owned(),
            },
            Missing::Unknown => BillingError::UnknownAct {
                field: field.to_owned(),
                code: code.to_owned(),
            },
            Missing::NotForProfession => BillingError::rule(
                if family == Family::Modifier {
                    ErrorCode::ModifierNotApplicable
                } else {
                    ErrorCode::UnknownActCode
                },
                field,
                format!("« {code} » n'est pas dans la nomenclature de cette profession."),
            ),
            Missing::NotForZone | Missing::NotAtDate if s.practice.zone.is_drom() => {
                BillingError::TariffUnknownForZone {
                    field: field.to_owned(),
                    code: code.to_owned(),
                    zone: s.practice.zone.label().to_owned(),
                    date: format_date(date),
                }
            }
            Missing::NotForZone | Missing::NotAtDate => BillingError::TariffNotApplicable {
                field: field.to_owned(),
                code: code.to_owned(),
                date: format_date(date),
            },
        })
}

/// Checks an act of a basket without a date nor a practice: its code and modifiers exist
/// (the FSE's date and practice decide the price later).
pub fn check_undated(tariffs: &Tariffs, act: &ActInput, field: &str) -> Result<(), BillingError> {
    let (family, code, code_field, mods) = match act {
        ActInput::Ngap { key, modifiers, .. } => (Family::NgapAct, key, "key", modifiers),
        ActInput::Ccam {
            code, modifiers, ..
        } => (Family::Ccam, code, "code", modifiers),
    };
    let code = code.trim().to_uppercase();
    tariffs
        .latest(family, &code)
        .ok_or_else(|| BillingError::UnknownAct {
            field: format!("{field}.{code_field}"),
            code: code.clone(),
        })?;
    for (i, m) in mods.iter().enumerate() {
        let m = m.trim().to_uppercase();
        if tariffs.latest(Family::Modifier, &m).is_none() {
            return Err(BillingError::UnknownModifier {
                field: format!("{field}.modifiers[{i}]"),
                modifier: m,
            });
        }
    }
    Ok(())
}

/// The same act without its own date (it takes the FSE's care date).
pub fn undated(act: &ActInput) -> ActInput {
    let mut act = act.clone();
    match &mut act {
        ActInput::Ngap { date, .. } | ActInput::Ccam { date, .. } => *date = None,
    }
    act
}

#[cfg(test)]
mod tests;
