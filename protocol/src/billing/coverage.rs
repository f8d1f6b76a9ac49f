//! What decides who pays an FSE: where the patient's rights come from (the Carte Vitale
//! read, an online answer, or nothing for a dégradée / sans Vitale FSE), the facts the
//! practitioner states (pregnancy, work accident, ALD), the complementary insurer (AMC).
//! Passerelle computes the rates from them; the client never sets a rate.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{Amc, Rights};

/// How a draft names the rights it relies on. The daemon fills in the rights themselves
/// (never the client): from the Carte Vitale it read, or from an answer of `POST /v1/rights`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "source", rename_all = "snake_case", deny_unknown_fields)]
pub enum RightsRef {
    /// The Carte Vitale with this serial, read by the daemon with its rights (a CPx card's
    /// PIN verified) and still in a reader when the FSE is created.
    Vitale {
        /// Serial of the card (`VitaleCard::serial`).
        card_serial: String,
    },
    /// An answer of the online rights service (ADRi or ApCV), by its `reference`
    /// (`RightsAnswer::reference`), kept by the daemon for a day.
    Online {
        /// The answer's reference.
        reference: String,
    },
}

/// Where the rights recorded with an FSE came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RightsOrigin {
    /// The Carte Vitale read by the daemon.
    Vitale,
    /// The online rights query (ADRi).
    Adri,
    /// The e-carte Vitale (ApCV), backed by an online rights query.
    Apcv,
    /// No rights read: a dégradée or sans Vitale FSE on what the practitioner stated.
    #[default]
    Declared,
}

/// The rights an FSE was drawn up with: their origin and a snapshot, kept with the FSE so
/// the payment guarantee of a sécurisée FSE can be claimed later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RightsRecord {
    /// Where they came from.
    pub origin: RightsOrigin,
    /// Serial of the Carte Vitale read (origin `vitale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_serial: Option<String>,
    /// Reference of the online answer (origin `adri`, `apcv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// True when the online answer came from the modelled service, not the insurance.
    #[serde(default)]
    pub modelled: bool,
    /// Index of the patient among the card's beneficiaries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beneficiary: Option<u8>,
    /// The rights as read (organism, periods, ALD, AMC); none when declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Rights>,
}

/// The pregnancy of the patient, as the practitioner states it (`YYYY-MM-DD` dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Pregnancy {
    /// Presumed start of the pregnancy (not the last period: 2 weeks later).
    #[serde(default)]
    pub start: Option<String>,
    /// Date of the delivery, once it happened.
    #[serde(default)]
    pub delivery: Option<String>,
    /// A pathological pregnancy followed on prescription (opens the travel surcharge MD
    /// from 24 weeks of amenorrhoea).
    #[serde(default)]
    pub pathological: bool,
}

/// The work accident (or occupational disease) of an FSE of nature `accident_travail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkAccident {
    /// Number the caisse gave the accident (1 to 9 digits: modelled).
    pub number: String,
    /// Date of the accident `YYYY-MM-DD`, on or before the care.
    pub date: String,
}

/// An exoneration of the ticket modérateur the practitioner declares. The others follow
/// from the nature and the acts (maternité, AT, IVG forfaits). Modelled: the real codes
/// are in the restricted SESAM-Vitale specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exoneration {
    /// Acts in relation with an ALD (long-term illness) of the patient: 100 %. Checked
    /// against the ALD in the rights at the care date.
    Ald,
}

/// Why the AMO pays what it pays (the FSE's exoneration, modelled code).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateBasis {
    /// Maladie: the ticket modérateur is due (70 %).
    #[default]
    Maladie,
    /// Maternité: 100 % (an ultrasound before the 6th month stays at 70 %).
    Maternite,
    /// Accident du travail / maladie professionnelle: 100 %.
    AccidentTravail,
    /// Acts in relation with an ALD: 100 %.
    Ald,
    /// IVG forfaits: 100 %, tiers payant.
    Ivg,
}

/// The complementary part of an FSE: which AMC, and whether it pays the practitioner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AmcRecord {
    /// The complementary insurer used (read on the card, from the online answer, or
    /// entered).
    pub amc: Amc,
    /// Complementary Health Solidarity (C2S): tiers payant intégral, nothing left to the
    /// patient.
    pub c2s: bool,
    /// Tiers payant complémentaire: the AMC pays its part to the practitioner.
    pub tiers_payant: bool,
}
