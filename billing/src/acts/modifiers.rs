//! Surcharges (majorations) of an act, each only in its conditions: the acts it applies to
//! (`sur=`: MSF on C and V only, ameli [S1]), the day (F: Sunday or public holiday of the
//! zone; a Saturday is the caisse's rejection "date de prestation = samedi non férié",
//! seed 003), the time (N, MM: night hours, the act's time required) and the cases of the
//! travel surcharge MD (post-natal period, pathological pregnancy on prescription, [S1]).
//! Exclusions between surcharges are checked over the whole session
//! ([`crate::session`]).

use passerelle_protocol::ErrorCode;
use time::Weekday;

use super::{lookup, Priced, Setting};
use crate::calendar::is_sunday_or_holiday;
use crate::error::BillingError;
use crate::facts::PATHOLOGICAL_FROM_SA;
use crate::tariffs::{Condition, Family, Kind, Status};

/// Adds modifier `m` to `priced` (base act code `code`), after its checks.
pub(super) fn add(
    s: &Setting<'_>,
    priced: &mut Priced,
    code: &str,
    m: &str,
    field: &str,
) -> Result<(), BillingError> {
    let m = m.trim().to_uppercase();
    if priced.act.modifiers.contains(&m) {
        return Err(BillingError::invalid(field, "majoration répétée."));
    }
    let row = lookup(s, Family::Modifier, &m, priced.date, field)?;
    let on = &row.rules.on;
    let applies =
        priced.kind == Kind::Ngap && (on.iter().any(|o| o == "*") || on.iter().any(|o| o == code));
    if !applies {
        return Err(BillingError::rule(
            ErrorCode::ModifierNotApplicable,
            field,
            format!(
                "la majoration {m} ne s'applique pas à l'acte {code} (seulement : {}).",
                match on.join(", ").as_str() {
                    "*" => "les actes NGAP".to_owned(),
                    list => list.to_owned(),
                }
            ),
        ));
    }
    for condition in &row.rules.conditions {
        check(s, priced, &m, *condition, field)?;
    }
    priced.act.modifiers.push(m.clone());
    priced.act.to_check |= row.status == Status::ToCheck;
    priced.modifiers_cents += row.cents;
    priced.modifiers.push((m, row.rules.clone()));
    Ok(())
}

fn check(
    s: &Setting<'_>,
    priced: &Priced,
    m: &str,
    condition: Condition,
    field: &str,
) -> Result<(), BillingError> {
    let date = priced.date;
    match condition {
        Condition::SundayOrHoliday => {
            if is_sunday_or_holiday(date, s.practice.zone) {
                return Ok(());
            }
            let day = if date.weekday() == Weekday::Saturday {
                "samedi non férié"
            } else {
                "jour de semaine non férié"
            };
            Err(BillingError::rule(
                ErrorCode::SurchargeNotSundayOrHoliday,
                field,
                format!(
                    "majoration {m} refusée : date de prestation = {day} ({}) ; elle ne se \
                     facture que le dimanche ou un jour férié ({}).",
                    priced.act.date,
                    s.practice.zone.label()
                ),
            ))
        }
        Condition::Night | Condition::DeepNight => {
            let (hours, ok): (&str, fn(u16) -> bool) = match condition {
                Condition::Night => ("20 h-0 h et 6 h-8 h", |t| {
                    t >= 20 * 60 || (6 * 60..8 * 60).contains(&t)
                }),
                _ => ("de 0 h à 6 h", |t| t < 6 * 60),
            };
            match priced.minute {
                Some(t) if ok(t) => Ok(()),
                Some(_) => Err(BillingError::rule(
                    ErrorCode::SurchargeNotAtNight,
                    field,
                    format!(
                        "majoration {m} refusée : l'acte de {} n'est pas dans ses heures ({hours}).",
                        priced.act.time.as_deref().unwrap_or_default()
                    ),
                )),
                None => Err(BillingError::rule(
                    ErrorCode::SurchargeNotAtNight,
                    field,
                    format!("majoration {m} : l'heure de l'acte (time, HH:MM) est requise."),
                )),
            }
        }
        Condition::TravelCases => {
            let p = s.pregnancy;
            let postnatal = p.is_some_and(|p| p.postnatal(date));
            let pathological = p.is_some_and(|p| {
                p.pathological
                    && s.prescribed
                    && p.amenorrhoea_weeks(date)
                        .is_some_and(|w| w >= PATHOLOGICAL_FROM_SA)
            });
            if postnatal || pathological {
                return Ok(());
            }
            Err(BillingError::rule(
                ErrorCode::ModifierNotApplicable,
                field,
                format!(
                    "majoration {m} refusée : elle ne se facture qu'en période postnatale (14 \
                     semaines après l'accouchement, pregnancy.delivery) ou pour une grossesse \
                     pathologique à partir de 24 SA sur prescription."
                ),
            ))
        }
    }
}
