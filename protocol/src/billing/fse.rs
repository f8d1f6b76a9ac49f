//! An FSE and its parts: patient, organism, acts, amounts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// The practitioner who bills, as on the CPS: billing number and situation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PractitionerRef {
    /// Billing number (8 digits) of the situation.
    pub billing_number: String,
    /// Index of the situation on the card.
    #[serde(default)]
    pub situation: u8,
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
        /// Key letter (`SF`, `C`, `G`, `IFD`...).
        key: String,
        /// Coefficient, decimal string, at most two decimals.
        coefficient: String,
        /// Modifiers (`F` Sunday/holiday, `N` night...).
        #[serde(default)]
        modifiers: Vec<String>,
        /// Date of the act `YYYY-MM-DD`; default: the FSE's care date.
        #[serde(default)]
        date: Option<String>,
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
    },
}

fn activity_one() -> String {
    "1".to_owned()
}

fn phase_zero() -> String {
    "0".to_owned()
}

/// The amounts of an FSE, in cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Amounts {
    /// Total of the acts.
    pub total_cents: i64,
    /// Part paid by the mandatory insurance (AMO).
    pub amo_cents: i64,
    /// Part left to the patient (total - AMO).
    pub patient_cents: i64,
    /// Part paid directly to the practitioner (tiers payant): the AMO part, or 0.
    pub tiers_payant_cents: i64,
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
    /// AMO coverage rate in percent; default by nature (maladie 70, others 100).
    #[serde(default)]
    pub coverage_rate: Option<u8>,
    /// Third-party payment: the AMO part is paid to the practitioner.
    #[serde(default)]
    pub tiers_payant: bool,
    /// The amounts the client computed; refused when they differ from Passerelle's.
    #[serde(default)]
    pub expected_amounts: Option<Amounts>,
}

/// An act as priced from the tariff table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PricedAct {
    /// `ngap` or `ccam`.
    pub nomenclature: String,
    /// Key letter or CCAM code.
    pub code: String,
    /// Label from the tariff table.
    pub label: String,
    /// NGAP coefficient in hundredths (`750` for 7.5); 100 for CCAM.
    pub coefficient_hundredths: u32,
    /// CCAM activity (empty for NGAP).
    pub activity: String,
    /// CCAM phase (empty for NGAP).
    pub phase: String,
    /// Modifiers.
    pub modifiers: Vec<String>,
    /// Date of the act.
    pub date: String,
    /// Amount of the act, modifiers included.
    pub amount_cents: i64,
}

/// A stored FSE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Fse {
    /// Local id.
    pub id: i64,
    /// Invoice number, 9 digits, unique per practitioner.
    pub number: String,
    /// Status.
    pub status: FseStatus,
    /// Who bills.
    pub practitioner: PractitionerRef,
    /// Who is cared for.
    pub patient: Patient,
    /// Destination organism.
    pub organism: Organism,
    /// Nature of the insurance.
    pub nature: InsuranceNature,
    /// Mode.
    pub mode: FseMode,
    /// Signature désynchronisée.
    pub deferred_signature: bool,
    /// Dégradée: a paper copy or a SCOR scan must follow.
    pub needs_paper_copy: bool,
    /// Date of the care.
    pub care_date: String,
    /// Prescriber.
    pub prescriber: Option<Prescriber>,
    /// Priced acts.
    pub acts: Vec<PricedAct>,
    /// AMO coverage rate in percent.
    pub coverage_rate: u8,
    /// Amounts.
    pub amounts: Amounts,
    /// When it was drawn up (RFC 3339).
    pub drawn_up: String,
    /// When it was signed.
    pub signed_at: Option<String>,
    /// The lot it is in.
    pub lot_id: Option<i64>,
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
                date: None
            }
        );
        let ngap: ActInput =
            serde_json::from_str(r#"{"nomenclature":"ngap","key":"SF","coefficient":"7.5"}"#)
                .unwrap();
        assert!(matches!(ngap, ActInput::Ngap { ref coefficient, .. } if coefficient == "7.5"));
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
