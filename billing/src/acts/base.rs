//! The value side of an act: the coefficient billed (NGAP lists and ranges, C2S-only
//! coefficients, forfaits at 1, kilometres of a travel allowance) or the CCAM activity and
//! phase, each refused with its field.

use passerelle_protocol::ActInput;

use super::Setting;
use crate::error::BillingError;
use crate::tariffs::{parse_coefficient, Kind, Tariff};

/// The coefficient billed (hundredths), CCAM activity and phase, after the row's checks.
pub(super) fn coefficient(
    s: &Setting<'_>,
    row: &Tariff,
    act: &ActInput,
    field: &str,
) -> Result<(u32, String, String), BillingError> {
    match act {
        ActInput::Ngap {
            coefficient,
            distance_km,
            ..
        } => {
            let bad = |reason: &str| BillingError::InvalidCoefficient {
                field: format!("{field}.coefficient"),
                value: coefficient.clone(),
                reason: reason.to_owned(),
            };
            let c = parse_coefficient(coefficient).ok_or_else(|| bad(""))?;
            if distance_km.is_some() && row.kind != Kind::Ik {
                return Err(BillingError::invalid(
                    format!("{field}.distance_km"),
                    "une distance ne se donne qu'avec IK, IKM ou IKS.",
                ));
            }
            match row.kind {
                Kind::Ik => {
                    let km = billed_km(row, *distance_km, field)?;
                    if c != 100 {
                        return Err(bad(" : donnez la distance (distance_km), coefficient 1"));
                    }
                    Ok((km * 100, String::new(), String::new()))
                }
                Kind::Forfait if c != 100 => Err(bad(" : un forfait se facture au coefficient 1")),
                _ if !row.rules.coefficients.allows(c) => Err(bad("")),
                _ if row.rules.c2s_coefficient == Some(c) && !s.c2s => Err(bad(
                    " : ce coefficient est réservé aux patientes bénéficiaires de la C2S",
                )),
                _ => Ok((c, String::new(), String::new())),
            }
        }
        ActInput::Ccam {
            activity, phase, ..
        } => {
            let r = &row.rules;
            if !r.activities.is_empty() && !r.activities.contains(activity) {
                return Err(BillingError::invalid(
                    format!("{field}.activity"),
                    format!(
                        "activité « {activity} » impossible pour l'acte {}.",
                        row.code
                    ),
                ));
            }
            if phase.len() != 1
                || !phase.bytes().all(|b| b.is_ascii_digit())
                || (!r.phases.is_empty() && !r.phases.contains(phase))
            {
                return Err(BillingError::invalid(
                    format!("{field}.phase"),
                    format!("phase « {phase} » impossible pour l'acte {}.", row.code),
                ));
            }
            Ok((100, activity.clone(), phase.clone()))
        }
    }
}

/// Kilometres billed for a travel allowance: the round trip (2 × `distance_km`) less the
/// row's allowance (NGAP art. 13 as cited in RULES R4.1: 4 km in the plain, 2 in the
/// mountains). Refused when nothing is left or the allowance is unknown (IKS).
fn billed_km(row: &Tariff, distance_km: Option<u32>, field: &str) -> Result<u32, BillingError> {
    let d = distance_km.ok_or_else(|| {
        BillingError::invalid(
            format!("{field}.distance_km"),
            "distance simple du cabinet au domicile (km entiers) requise pour une indemnité kilométrique.",
        )
    })?;
    let abatement = row.rules.abatement_km.ok_or_else(|| {
        BillingError::invalid(
            format!("{field}.key"),
            format!(
                "l'abattement kilométrique de {} n'est pas documenté dans les sources lues : \
                 Passerelle ne le facture pas.",
                row.code
            ),
        )
    })?;
    match (2 * d).checked_sub(abatement) {
        Some(km) if km > 0 && km <= 2000 => Ok(km),
        Some(0) | None => Err(BillingError::invalid(
            format!("{field}.distance_km"),
            format!(
                "indemnités kilométriques non dues : {d} km aller, abattement de {abatement} km \
                 sur l'aller-retour."
            ),
        )),
        _ => Err(BillingError::invalid(
            format!("{field}.distance_km"),
            "distance invraisemblable.",
        )),
    }
}
