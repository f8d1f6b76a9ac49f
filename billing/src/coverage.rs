//! The AMO rate of each act, from the nature of the insurance and the patient's rights at
//! the care date — never from the client, whose stated rate is only compared
//! (`coverage_rate_mismatch`, the caisse's rejection "taux demandé ≠ taux calculé",
//! seed 003). The rules and their sources are in `billing/data/RULES.md`:
//!
//! - maladie (R1.1): the rate of the patient's maladie period in the rights (70 % on the
//!   fixture cards), 70 % when the rights are declared;
//! - maternité (R1.2, ameli [S20], [S21]): 100 % inside a maternity period — the rights'
//!   own when they have one (else `maternity_not_covered`), and the stated pregnancy's
//!   (start to 12 days after the delivery) — except an ultrasound before the 1st day of the
//!   6th month: 70 %;
//! - accident du travail (R1.3, to check): 100 %, with the accident's number and date;
//! - ALD (R1.4, [S34]): acts in relation with an ALD in force in the rights: 100 %, else
//!   `exoneration_not_found` (the caisse's "modulation du ticket modérateur non trouvée");
//!   declared without rights, taken as declared;
//! - IVG forfaits (R1.7, [S45]): 100 %.
//!
//! The exoneration codes written in the FSE are modelled ([`RateBasis`]).

use passerelle_protocol::{ErrorCode, Exoneration, FseDraft, InsuranceNature, RateBasis};
use time::Date;

use super::acts::Priced;
use super::error::BillingError;
use super::facts::{check_work_accident, PregnancyDates};
use super::rights::Checked;

/// Rate of maladie when the rights do not say (R1.1).
pub const MALADIE_RATE: u8 = 70;

/// The rates, set on each act (`amo_rate`), and the FSE's basis.
pub fn apply(
    draft: &FseDraft,
    rights: &Checked,
    pregnancy: Option<&PregnancyDates>,
    care_date: Date,
    acts: &mut [Priced],
) -> Result<RateBasis, BillingError> {
    if draft.work_accident.is_some() && draft.nature != InsuranceNature::AccidentTravail {
        return Err(BillingError::invalid(
            "work_accident",
            "un accident du travail va avec la nature « accident_travail ».",
        ));
    }
    let (basis, rate) = match draft.nature {
        InsuranceNature::AccidentTravail => {
            let w = draft.work_accident.as_ref().ok_or_else(|| {
                BillingError::invalid(
                    "work_accident",
                    "numéro et date de l'accident du travail requis.",
                )
            })?;
            check_work_accident(w, care_date)?;
            (RateBasis::AccidentTravail, 100)
        }
        InsuranceNature::Maternite => {
            maternity(rights, pregnancy, care_date)?;
            (RateBasis::Maternite, 100)
        }
        InsuranceNature::Maladie => maladie(draft, rights, care_date)?,
    };
    let sixth_month = pregnancy.and_then(PregnancyDates::sixth_month);
    for a in acts.iter_mut() {
        a.act.amo_rate = match a.rules.rate {
            Some(imposed) => imposed,
            None if basis == RateBasis::Maternite
                && a.rules.ultrasound
                && sixth_month.is_some_and(|m| a.date < m) =>
            {
                MALADIE_RATE
            }
            None => rate,
        };
        a.act.amo_cents = (a.act.amount_cents * i64::from(a.act.amo_rate) + 50) / 100;
    }
    let ivg = !acts.is_empty() && acts.iter().all(|a| a.rules.rate.is_some());
    Ok(if ivg && basis == RateBasis::Maladie {
        RateBasis::Ivg
    } else {
        basis
    })
}

fn maternity(
    rights: &Checked,
    pregnancy: Option<&PregnancyDates>,
    care_date: Date,
) -> Result<(), BillingError> {
    let refuse = |why: String| BillingError::rule(ErrorCode::MaternityNotCovered, "nature", why);
    if rights.rights().is_some() && rights.periods_at("maternite", care_date).is_empty() {
        return Err(refuse(format!(
            "aucune période d'assurance maternité dans les droits du patient au {care_date} : \
             facturez en maladie."
        )));
    }
    match pregnancy {
        None if rights.rights().is_none() => Err(BillingError::invalid(
            "pregnancy",
            "nature maternité sans droits lus : donnez le début de grossesse ou la date \
             d'accouchement.",
        )),
        Some(p) if !p.covers(care_date) => Err(refuse(format!(
            "le {care_date} est hors de la période de maternité (du début de grossesse au 12e \
             jour après l'accouchement)."
        ))),
        _ => Ok(()),
    }
}

fn maladie(
    draft: &FseDraft,
    rights: &Checked,
    care_date: Date,
) -> Result<(RateBasis, u8), BillingError> {
    let rate = match rights.periods_at("maladie", care_date).first() {
        Some(p) => p
            .coverage
            .parse::<u8>()
            .ok()
            .filter(|r| *r <= 100)
            .ok_or_else(|| {
                BillingError::invalid(
                    "rights",
                    format!("taux des droits illisible {:?}.", p.coverage),
                )
            })?,
        None => MALADIE_RATE,
    };
    match draft.exoneration {
        None => Ok((RateBasis::Maladie, rate)),
        Some(Exoneration::Ald) if rights.rights().is_none() || rights.ald_at(care_date) => {
            Ok((RateBasis::Ald, 100))
        }
        Some(Exoneration::Ald) => Err(BillingError::rule(
            ErrorCode::ExonerationNotFound,
            "exoneration",
            format!(
                "modulation du ticket modérateur non trouvée : aucune ALD du patient en cours au \
                 {care_date} dans les droits lus."
            ),
        )),
    }
}

/// The FSE's rate (the lowest of its acts'), after checking the client's stated rate.
pub fn stated_rate(draft: &FseDraft, acts: &[Priced]) -> Result<u8, BillingError> {
    let computed = acts.iter().map(|a| a.act.amo_rate).min().unwrap_or(0);
    if let Some(requested) = draft.coverage_rate {
        if requested > 100 {
            return Err(BillingError::invalid(
                "coverage_rate",
                "taux attendu en pour cent, de 0 à 100.",
            ));
        }
        if let Some(a) = acts.iter().find(|a| a.act.amo_rate != requested) {
            return Err(BillingError::CoverageRateMismatch {
                field: if acts.iter().all(|x| x.act.amo_rate == a.act.amo_rate) {
                    "coverage_rate".to_owned()
                } else {
                    a.field.clone()
                },
                requested,
                computed: a.act.amo_rate,
            });
        }
    }
    Ok(computed)
}
