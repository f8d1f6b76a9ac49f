//! The parts of an FSE, in integer cents, adding up exactly.
//!
//! Rounding (modelled, RULES R5): each act is priced to the cent (half up, once); the AMO
//! part of each act is `(amount × rate + 50) div 100` (half up), and the FSE's AMO part
//! is their sum; the AMC part is what is left of the total after the AMO part when the
//! complementary insurer pays the practitioner (tiers payant complémentaire, or the C2S);
//! the patient's part is the rest. So `total = amo + amc + patient` always, with no
//! rounding left over.
//!
//! The complementary insurer is the one entered in the draft, else the one of the rights.
//! Tiers payant complémentaire needs one covering the care date (`amc_not_covered`) whose
//! contract allows it (`tpc_incompatible_contract`: the caisse's rejection "facture TPC
//! incompatible avec le type de contrat", seed 003; the contract check is modelled on the
//! card's tiers payant flag). A C2S contract means tiers payant intégral: AMO and C2S parts
//! paid to the practitioner, nothing left to the patient (seed 001 [S36]).

use passerelle_protocol::{Amc, AmcKind, AmcRecord, Amounts, ErrorCode, FseDraft};
use time::Date;

use super::acts::Priced;
use super::clock::parse_date;
use super::error::BillingError;
use super::rights::Checked;

/// Largest FSE total, in cents (the B2 amount fields hold 9 digits).
pub const MAX_TOTAL_CENTS: i64 = 99_999_999;

/// The complementary insurer of the FSE and whether it is a C2S in force at `care_date`.
pub fn amc_of(draft: &FseDraft, rights: &Checked, care_date: Date) -> Option<(Amc, bool)> {
    let amc = draft
        .amc
        .clone()
        .or_else(|| rights.rights().and_then(|r| r.amc.clone()))?;
    let c2s = amc.kind == AmcKind::C2s && in_force(&amc, care_date);
    Some((amc, c2s))
}

fn in_force(amc: &Amc, d: Date) -> bool {
    parse_date(&amc.until).is_some_and(|u| d <= u)
}

/// The amounts of `acts` (AMO parts already set per act) and the AMC record.
pub fn compute(
    draft: &FseDraft,
    rights: &Checked,
    care_date: Date,
    acts: &[Priced],
) -> Result<(Amounts, Option<AmcRecord>, bool), BillingError> {
    let total: i64 = acts.iter().map(|a| a.act.amount_cents).sum();
    if total > MAX_TOTAL_CENTS {
        return Err(BillingError::invalid(
            "acts",
            "montant total trop élevé pour une feuille.",
        ));
    }
    let amo: i64 = acts.iter().map(|a| a.act.amo_cents).sum();
    let amc = amc_of(draft, rights, care_date);
    if draft.amc_tiers_payant {
        match &amc {
            Some((a, _)) if !in_force(a, care_date) => {
                return Err(BillingError::rule(
                    ErrorCode::AmcNotCovered,
                    "amc_tiers_payant",
                    format!(
                        "tiers payant complémentaire : le contrat de {} a pris fin le {}.",
                        a.name, a.until
                    ),
                ))
            }
            None => {
                return Err(BillingError::rule(
                    ErrorCode::AmcNotCovered,
                    "amc_tiers_payant",
                    "tiers payant complémentaire sans complémentaire connue (droits lus ou amc).",
                ))
            }
            Some((a, false)) if !a.tiers_payant => {
                return Err(BillingError::rule(
                    ErrorCode::TpcIncompatibleContract,
                    "amc_tiers_payant",
                    format!(
                        "facture TPC incompatible avec le type de contrat : le contrat de {} \
                         n'ouvre pas le tiers payant complémentaire.",
                        a.name
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    let c2s = amc.as_ref().is_some_and(|(_, c2s)| *c2s);
    let amc_pays = c2s || draft.amc_tiers_payant;
    let amc_cents = if amc_pays { total - amo } else { 0 };
    // C2S is tiers payant intégral; the IVG forfaits impose the tiers payant (R1.7).
    let tiers_payant = draft.tiers_payant || c2s || acts.iter().any(|a| a.rules.tiers_payant);
    let amounts = Amounts {
        total_cents: total,
        amo_cents: amo,
        amc_cents,
        patient_cents: total - amo - amc_cents,
        tiers_payant_cents: if tiers_payant { amo } else { 0 } + amc_cents,
    };
    let record = amc.map(|(amc, c2s)| AmcRecord {
        amc,
        c2s,
        tiers_payant: amc_pays,
    });
    Ok((amounts, record, tiers_payant))
}
