//! Pricing one act from the tariff table, with its refusals: unknown code, no tariff at the
//! act's date, impossible coefficient, unknown modifier, act dated in the future.

use passerelle_protocol::{ActInput, PricedAct};
use time::Date;

use super::clock::{format_date, parse_date};
use super::error::BillingError;
use super::tariffs::{parse_coefficient, Kind, Missing, Rule, Tariffs};

/// At most this many modifiers on one act.
pub const MAX_MODIFIERS: usize = 4;

/// Checks and prices `act`. `care_date` is the default date, `today` the French date,
/// `field` the path of the act in the request (`acts[2]`), used in refusals.
pub fn price(
    tariffs: &Tariffs,
    act: &ActInput,
    care_date: Date,
    today: Date,
    field: &str,
) -> Result<PricedAct, BillingError> {
    let (nomenclature, kind, modifier_kind, code, code_field, modifiers, date) = match act {
        ActInput::Ngap {
            key,
            modifiers,
            date,
            ..
        } => (
            "ngap",
            Kind::Ngap,
            Kind::NgapModifier,
            key,
            "key",
            modifiers,
            date,
        ),
        ActInput::Ccam {
            code,
            modifiers,
            date,
            ..
        } => (
            "ccam",
            Kind::Ccam,
            Kind::CcamModifier,
            code,
            "code",
            modifiers,
            date,
        ),
    };
    let date = match date {
        Some(d) => parse_date(d).ok_or_else(|| {
            BillingError::invalid(
                format!("{field}.date"),
                "date attendue au format AAAA-MM-JJ.",
            )
        })?,
        None => care_date,
    };
    if date > today {
        return Err(BillingError::ActInFuture {
            field: format!("{field}.date"),
            date: format_date(date),
        });
    }
    let code = code.trim().to_uppercase();
    let tariff = tariffs.find(kind, &code, date).map_err(|m| match m {
        Missing::Unknown => BillingError::UnknownAct {
            field: format!("{field}.{code_field}"),
            code: code.clone(),
        },
        Missing::NotAtDate => BillingError::TariffNotApplicable {
            field: format!("{field}.{code_field}"),
            code: code.clone(),
            date: format_date(date),
        },
    })?;

    let (coefficient, activity, phase) = match act {
        ActInput::Ngap { coefficient, .. } => {
            let bad = || BillingError::InvalidCoefficient {
                field: format!("{field}.coefficient"),
                value: coefficient.clone(),
            };
            let c = parse_coefficient(coefficient).ok_or_else(bad)?;
            let allowed = match &tariff.rule {
                Rule::Range(min, max) => (*min..=*max).contains(&c),
                Rule::List(list) => list.iter().any(|a| *a == c.to_string()),
                Rule::None => true,
            };
            if !allowed {
                return Err(bad());
            }
            (c, String::new(), String::new())
        }
        ActInput::Ccam {
            activity, phase, ..
        } => {
            if let Rule::List(list) = &tariff.rule {
                if !list.iter().any(|a| a == activity) {
                    return Err(BillingError::invalid(
                        format!("{field}.activity"),
                        format!("activité « {activity} » impossible pour l'acte {code}."),
                    ));
                }
            }
            if phase.len() != 1 || !phase.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BillingError::invalid(
                    format!("{field}.phase"),
                    "la phase est un chiffre.",
                ));
            }
            (100, activity.clone(), phase.clone())
        }
    };

    // Rounded to the nearest cent, half up: 2.80 € × 7.5 = 21.00 €.
    let mut amount = (tariff.cents * i64::from(coefficient) + 50) / 100;
    if modifiers.len() > MAX_MODIFIERS {
        return Err(BillingError::invalid(
            format!("{field}.modifiers"),
            format!("au plus {MAX_MODIFIERS} majorations par acte."),
        ));
    }
    let mut normalized = Vec::with_capacity(modifiers.len());
    for (i, m) in modifiers.iter().enumerate() {
        let m = m.trim().to_uppercase();
        let unknown = || BillingError::UnknownModifier {
            field: format!("{field}.modifiers[{i}]"),
            modifier: m.clone(),
        };
        let t = tariffs
            .find(modifier_kind, &m, date)
            .map_err(|_| unknown())?;
        if normalized.contains(&m) {
            return Err(BillingError::invalid(
                format!("{field}.modifiers[{i}]"),
                "majoration répétée.",
            ));
        }
        amount += t.cents;
        normalized.push(m);
    }
    Ok(PricedAct {
        nomenclature: nomenclature.to_owned(),
        code,
        label: tariff.label.clone(),
        coefficient_hundredths: coefficient,
        activity,
        phase,
        modifiers: normalized,
        date: format_date(date),
        amount_cents: amount,
    })
}

/// Checks an act of a basket without a date: codes, coefficient and modifiers exist in the
/// table at some date (the FSE's date decides the price later).
pub fn check_undated(tariffs: &Tariffs, act: &ActInput, field: &str) -> Result<(), BillingError> {
    let (kind, code) = match act {
        ActInput::Ngap { key, .. } => (Kind::Ngap, key),
        ActInput::Ccam { code, .. } => (Kind::Ccam, code),
    };
    let latest = tariffs
        .latest(kind, &code.trim().to_uppercase())
        .map(|t| t.from)
        .ok_or_else(|| BillingError::UnknownAct {
            field: format!(
                "{field}.{}",
                if kind == Kind::Ngap { "key" } else { "code" }
            ),
            code: code.clone(),
        })?;
    price(tariffs, &undated(act), latest, latest, field).map(|_| ())
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
#[path = "acts_tests.rs"]
mod tests;
