//! An FSE as Passerelle drew it up: priced acts, the parts of each payer, the rights it
//! relies on.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::coverage::{AmcRecord, Exoneration, Pregnancy, RateBasis, RightsRecord, WorkAccident};
use super::fse::{
    FseMode, FseStatus, InsuranceNature, Organism, Patient, PractitionerRef, Prescriber,
};

/// The amounts of an FSE, in cents. Always `total = amo + amc + patient`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Amounts {
    /// Total of the acts.
    pub total_cents: i64,
    /// Part paid by the mandatory insurance (AMO): the sum of each act's AMO part.
    pub amo_cents: i64,
    /// Part paid by the complementary insurer on this FSE (tiers payant complémentaire or
    /// C2S); 0 when the patient pays it and is reimbursed later.
    #[serde(default)]
    pub amc_cents: i64,
    /// Part left to the patient (total - AMO - AMC).
    pub patient_cents: i64,
    /// Part paid directly to the practitioner: the AMO part with tiers payant, plus the AMC
    /// part with tiers payant complémentaire (or C2S: tiers payant intégral).
    pub tiers_payant_cents: i64,
}

/// An act as priced from the tariff table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PricedAct {
    /// `ngap`, `ccam`, `forfait` or `ik`.
    pub nomenclature: String,
    /// Key letter or CCAM code, as written on the FSE.
    pub code: String,
    /// Label from the tariff table.
    pub label: String,
    /// NGAP coefficient in hundredths (`750` for 7.5); kilometres billed × 100 for IK; 100
    /// otherwise.
    pub coefficient_hundredths: u32,
    /// CCAM activity (empty otherwise).
    pub activity: String,
    /// CCAM phase (empty otherwise).
    pub phase: String,
    /// Modifiers (majorations) billed with the act (`MSF`, `F`, `MD`...).
    pub modifiers: Vec<String>,
    /// Date of the act.
    pub date: String,
    /// Time of the act `HH:MM`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// Share of the act's value billed when several acts are done in one session: 100, or
    /// 50 for the second act (NGAP general provisions art. 11 B, CCAM art. III-3 B).
    #[serde(default = "full")]
    pub association_percent: u8,
    /// Amount of the act, modifiers included.
    pub amount_cents: i64,
    /// AMO rate of this act, percent.
    #[serde(default)]
    pub amo_rate: u8,
    /// AMO part of this act: `(amount × rate + 50) div 100` (half up, to the cent).
    #[serde(default)]
    pub amo_cents: i64,
    /// A tariff row behind this act (or one of its modifiers) is marked "to check": its
    /// value or date is not confirmed by a primary public source (README, billing data).
    #[serde(default)]
    pub to_check: bool,
}

fn full() -> u8 {
    100
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
    /// The rights it was drawn up with, and where they came from (an FSE stored before
    /// Passerelle recorded them reads as `declared`, without a snapshot).
    #[serde(default)]
    pub rights: RightsRecord,
    /// The pregnancy, as stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pregnancy: Option<Pregnancy>,
    /// The work accident, as stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_accident: Option<WorkAccident>,
    /// The exoneration declared (checked against the rights when there are some).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exoneration: Option<Exoneration>,
    /// Why the AMO pays what it pays (modelled exoneration code; `maladie` for an FSE
    /// stored before Passerelle recorded it).
    #[serde(default)]
    pub rate_basis: RateBasis,
    /// Priced acts.
    pub acts: Vec<PricedAct>,
    /// AMO rate of the FSE, percent: the rate of its acts (when they differ, the lowest).
    pub coverage_rate: u8,
    /// Tiers payant on the AMO part.
    #[serde(default)]
    pub tiers_payant: bool,
    /// The complementary insurer's part, when it is on this FSE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amc: Option<AmcRecord>,
    /// Amounts.
    pub amounts: Amounts,
    /// When it was drawn up (RFC 3339).
    pub drawn_up: String,
    /// When it was signed.
    pub signed_at: Option<String>,
    /// The lot it is in (local id).
    pub lot_id: Option<i64>,
    /// The number of that lot (3 digits), as sent to the organism.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    /// Drawn in a replacement session: the substitute who gave the care (`practitioner` is
    /// the replaced practitioner's billing identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<super::replacement::ReplacementPart>,
}
