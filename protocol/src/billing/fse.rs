//! An FSE and its parts: patient, organism, acts, amounts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::coverage::{Exoneration, Pregnancy, RightsRef, WorkAccident};
use super::record::Amounts;
use crate::Amc;

/// Nature of the insurance the care is billed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InsuranceNature {
    /// Maladie (illness).
    Maladie,
    /// Maternité (pregnancy, birth, post-natal).
    Maternite,
    /// Accident du travail / maladie professionnelle.
    AccidentTravail,
}

/// How the FSE is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FseMode {
    /// Carte Vitale and CPS: payment guaranteed.
    Securisee,
    /// CPS only: needs a paper copy or a SCOR scan of the paper sheet.
    Degradee,
    /// SESAM sans Vitale: no card, for the cases the rules allow.
    SansVitale,
}

/// Where an FSE is in its life. Allowed moves: draft → signed → in_lot → sent →
/// acknowledged → paid | rejected; deleted only from draft or signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FseStatus {
    /// Prepared, not signed yet (possibly by a CPE, signature désynchronisée).
    Draft,
    /// Signed by the practitioner's CPS.
    Signed,
    /// Put in a signed lot: can no longer be deleted (corrections go through the caisse).
    InLot,
    /// The lot was sent.
    Sent,
    /// The organism acknowledged the lot (positive ARL).
    Acknowledged,
    /// Paid in full (NOEMIE return).
    Paid,
    /// Paid in part (NOEMIE return: less than requested, or a rejection on part of it).
    PartlyPaid,
    /// Rejected (NOEMIE return, with the reason).
    Rejected,
    /// Deleted before it was put in a lot.
    Deleted,
}

/// The destination organism: régime + caisse + centre.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct Organism {
    /// Régime, 2 digits (`01` régime général).
    pub regime: String,
    /// Caisse, 3 digits.
    pub caisse: String,
    /// Centre, 4 digits.
    pub centre: String,
}

/// The patient of the FSE: the beneficiary and the insured person's NIR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Patient {
    /// NIR of the insured person, 15 characters with its key.
    pub insured_nir: String,
    /// Beneficiary's last name.
    pub last_name: String,
    /// Beneficiary's first name.
    pub first_name: String,
    /// Beneficiary's birth date `YYYY-MM-DD`.
    pub birth_date: String,
    /// Birth rank (1 unless twins...).
    #[serde(default = "one")]
    pub birth_rank: u8,
    /// Quality code: `00` insured, `02` spouse, `06` child...
    #[serde(default = "insured_quality")]
    pub quality: String,
}

fn one() -> u8 {
    1
}

fn insured_quality() -> String {
    "00".to_owned()
}

/// The practitioner who bills, as read from the CPS: billing number, situation, and what
/// chooses the tariffs (profession, speciality, tariff zone). The CPS that signs the FSE
/// must have this very situation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PractitionerRef {
    /// Billing number (8 digits) of the situation.
    pub billing_number: String,
    /// Index of the situation on the card.
    #[serde(default)]
    pub situation: u8,
    /// Tariff zone code of the situation (`Situation::tariff_zone`): it selects métropole or
    /// a DROM (modelled codes, see the README).
    pub tariff_zone: String,
    /// Profession code of the card holder (`Holder::profession`: `50` sage-femme, `10`
    /// médecin).
    pub profession: String,
    /// Speciality code of the situation (`Situation::speciality`: `01` médecine générale).
    #[serde(default)]
    pub speciality: String,
}

/// The prescriber, when the care was prescribed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Prescriber {
    /// Prescriber's identifier (RPPS or AM number).
    pub id: String,
    /// Date of the prescription `YYYY-MM-DD`.
    pub date: String,
}

/// One act as the client asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "nomenclature", rename_all = "snake_case")]
pub enum ActInput {
    /// NGAP: key letter × coefficient, e.g. `SF` `"7.5"`.
    Ngap {
        /// Key letter (`SF`, `C`, `G`), forfait (`SFR`, `IC`, `FHV`...) or travel
        /// allowance (`IK`, `IKM`, `IKS`).
        key: String,
        /// Coefficient, decimal string, at most two decimals (default `1`).
        #[serde(default = "coefficient_one")]
        coefficient: String,
        /// Modifiers (majorations: `MSF`, `F` Sunday/holiday, `N` night, `MD`, `IFD`...).
        #[serde(default)]
        modifiers: Vec<String>,
        /// Date of the act `YYYY-MM-DD`; default: the FSE's care date.
        #[serde(default)]
        date: Option<String>,
        /// Time of the act `HH:MM` (Paris): needed for night surcharges; acts of one date
        /// and time are one session.
        #[serde(default)]
        time: Option<String>,
        /// One-way distance from the practice to the patient's home, whole km (`IK`,
        /// `IKM`, `IKS` only): Passerelle deducts the allowance and bills the rest.
        #[serde(default)]
        distance_km: Option<u32>,
    },
    /// CCAM: code, activity, phase, modifiers.
    Ccam {
        /// CCAM code (7 characters, e.g. `JQQM010`).
        code: String,
        /// Activity code (usually `1`).
        #[serde(default = "activity_one")]
        activity: String,
        /// Phase (usually `0`).
        #[serde(default = "phase_zero")]
        phase: String,
        /// Modifiers.
        #[serde(default)]
        modifiers: Vec<String>,
        /// Date of the act `YYYY-MM-DD`; default: the FSE's care date.
        #[serde(default)]
        date: Option<String>,
        /// Time of the act `HH:MM` (Paris); acts of one date and time are one session.
        #[serde(default)]
        time: Option<String>,
    },
}

fn coefficient_one() -> String {
    "1".to_owned()
}

fn activity_one() -> String {
    "1".to_owned()
}

fn phase_zero() -> String {
    "0".to_owned()
}

/// An FSE to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FseDraft {
    /// Who bills.
    pub practitioner: PractitionerRef,
    /// Who is cared for.
    pub patient: Patient,
    /// Destination organism (from the patient's rights).
    pub organism: Organism,
    /// Nature of the insurance.
    pub nature: InsuranceNature,
    /// How it will be secured.
    pub mode: FseMode,
    /// Prepared now, signed later by the practitioner (signature désynchronisée).
    #[serde(default)]
    pub deferred_signature: bool,
    /// Date of the care `YYYY-MM-DD` (default date of the acts).
    pub care_date: String,
    /// The prescriber, if any.
    #[serde(default)]
    pub prescriber: Option<Prescriber>,
    /// A pre-coded basket whose acts come before `acts`.
    #[serde(default)]
    pub basket: Option<String>,
    /// The acts.
    #[serde(default)]
    pub acts: Vec<ActInput>,
    /// Where the rights come from: required for a sécurisée FSE (a Carte Vitale read by the
    /// daemon, or an online answer); a dégradée or sans Vitale FSE may name an online
    /// answer, else it rests on what is stated here.
    #[serde(default)]
    pub rights: Option<RightsRef>,
    /// The pregnancy (nature `maternite`, the travel surcharge MD).
    #[serde(default)]
    pub pregnancy: Option<Pregnancy>,
    /// The work accident (nature `accident_travail`).
    #[serde(default)]
    pub work_accident: Option<WorkAccident>,
    /// An exoneration the practitioner declares (acts in relation with an ALD).
    #[serde(default)]
    pub exoneration: Option<Exoneration>,
    /// The AMO rate the client expects, percent. Passerelle computes the rate from the
    /// nature and the rights; a different one is refused (`coverage_rate_mismatch`).
    #[serde(default)]
    pub coverage_rate: Option<u8>,
    /// Third-party payment: the AMO part is paid to the practitioner.
    #[serde(default)]
    pub tiers_payant: bool,
    /// The complementary insurer, entered by hand (its paper card); default: the one in
    /// the rights.
    #[serde(default)]
    pub amc: Option<Amc>,
    /// Tiers payant complémentaire: the AMC pays its part (the ticket modérateur) to the
    /// practitioner. Refused when its contract does not allow it.
    #[serde(default)]
    pub amc_tiers_payant: bool,
    /// The amounts the client computed; refused when they differ from Passerelle's.
    #[serde(default)]
    pub expected_amounts: Option<Amounts>,
    /// The replacement session this FSE is drawn in (`practitioner` is then the
    /// substitute's replacement situation). Default: the open session whose substitute has
    /// `practitioner`'s billing number, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement_session: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn act_input_is_tagged_by_nomenclature_with_defaults() {
        let act: ActInput =
            serde_json::from_str(r#"{"nomenclature":"ccam","code":"JQQM010"}"#).unwrap();
        assert_eq!(
            act,
            ActInput::Ccam {
                code: "JQQM010".into(),
                activity: "1".into(),
                phase: "0".into(),
                modifiers: vec![],
                date: None,
                time: None,
            }
        );
        let ngap: ActInput =
            serde_json::from_str(r#"{"nomenclature":"ngap","key":"SF","coefficient":"7.5"}"#)
                .unwrap();
        assert!(matches!(ngap, ActInput::Ngap { ref coefficient, .. } if coefficient == "7.5"));
        let c: ActInput = serde_json::from_str(r#"{"nomenclature":"ngap","key":"C"}"#).unwrap();
        assert!(matches!(c, ActInput::Ngap { ref coefficient, .. } if coefficient == "1"));
    }

    #[test]
    fn statuses_are_snake_case() {
        assert_eq!(serde_json::to_value(FseStatus::InLot).unwrap(), "in_lot");
        assert_eq!(
            serde_json::to_value(InsuranceNature::AccidentTravail).unwrap(),
            "accident_travail"
        );
    }
}
