//! What the cards hold, as a billing application receives it: the Carte Vitale (insured
//! person, beneficiaries, rights) and the practitioner's CPx card (holder, practice
//! situations).
//!
//! Dates are ISO strings `YYYY-MM-DD`. Codes (régime, quality, profession...) are kept as
//! the card gives them. The card layout behind these types is partly modelled (the
//! SESAM-Vitale specification is restricted): see the agent's `cards::layout`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CardKind;

/// Where the data of a [`VitaleCard`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataSource {
    /// Read from the card itself.
    Card,
    /// From an online rights service (ADRi, ApCV), not from the card.
    OnlineService,
}

/// A social security number (NIR) and whether its key checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Nir {
    /// The 15 characters: 13 then the 2-digit key (`2A`/`2B` for Corsica).
    pub value: String,
    /// True when the key is `97 - (NIR mod 97)` (with the Corsica rule).
    pub key_valid: bool,
}

/// One person on a Carte Vitale: the insured person or a beneficiary (ayant droit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Beneficiary {
    /// Last name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Birth date `YYYY-MM-DD` (as on the card: a "lunar" date may have `00` day or month).
    pub birth_date: String,
    /// Birth rank (twins: 1, 2).
    pub birth_rank: u8,
    /// Quality code: `00` insured, `02` spouse, `06` child...
    pub quality: String,
    /// The person's own NIR, when not attached to the insured's.
    pub nir: Option<String>,
}

/// One AMO (mandatory insurance) rights period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RightsPeriod {
    /// Start `YYYY-MM-DD`.
    pub from: String,
    /// End `YYYY-MM-DD`.
    pub until: String,
    /// Coverage rate code (`70`, `100`...).
    pub coverage: String,
    /// Nature of the insurance (`maladie`, `maternite`, `at`...).
    pub nature: String,
    /// Index in [`VitaleCard::beneficiaries`] it applies to; none: every person.
    pub beneficiary: Option<u8>,
}

/// One ALD (long-term illness) entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Ald {
    /// ALD code.
    pub code: String,
    /// End `YYYY-MM-DD`.
    pub until: String,
    /// Index in [`VitaleCard::beneficiaries`].
    pub beneficiary: u8,
}

/// The kind of a complementary contract (modelled: the real contract types are in the
/// restricted SESAM-Vitale specification).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AmcKind {
    /// A mutuelle, an insurer or a provident society.
    #[default]
    Mutuelle,
    /// Complémentaire santé solidaire (C2S): tiers payant intégral, no fee left to the
    /// patient.
    C2s,
}

/// The complementary insurer (AMC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Amc {
    /// AMC number (8 digits).
    pub number: String,
    /// Name.
    pub name: String,
    /// End `YYYY-MM-DD`.
    pub until: String,
    /// Third-party payment (tiers payant) agreed by the contract.
    pub tiers_payant: bool,
    /// Kind of contract (default `mutuelle`).
    #[serde(default)]
    pub kind: AmcKind,
}

/// The rights of a Carte Vitale (its protected zone; modelled layout).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rights {
    /// Régime code (2 digits, `01` régime général).
    pub regime: String,
    /// Caisse code (3 digits).
    pub caisse: String,
    /// Centre code (4 digits).
    pub centre: String,
    /// AMO rights periods.
    pub periods: Vec<RightsPeriod>,
    /// ALD entries.
    pub ald: Vec<Ald>,
    /// Complementary insurer, if any.
    pub amc: Option<Amc>,
}

/// A patient's Carte Vitale as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VitaleCard {
    /// Card serial number.
    pub serial: String,
    /// Card validity end `YYYY-MM-DD`.
    pub valid_until: String,
    /// The insured person (the first entry of `beneficiaries`).
    pub insured: Beneficiary,
    /// Every person on the card, the insured person first (the card holds at most 6).
    pub beneficiaries: Vec<Beneficiary>,
    /// NIR of the insured person.
    pub nir: Nir,
    /// The rights, when they could be read: the protected zone of the card opens only
    /// after a CPx card (its PIN verified) authenticated to it.
    pub rights: Option<Rights>,
    /// Why `rights` is absent, in French for the practitioner (no CPx card, PIN not
    /// verified...); absent when the rights were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights_unavailable: Option<String>,
    /// Where this came from.
    pub source: DataSource,
}

/// Practice mode of a situation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PracticeMode {
    /// Libéral (own practice).
    Liberal,
    /// Salarié (employed).
    Salarie,
    /// Remplaçant (substitute).
    Remplacant,
}

/// The holder of a CPx card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Holder {
    /// National id type (`8` RPPS, `0` ADELI...).
    pub id_type: String,
    /// National id.
    pub id: String,
    /// Civility code.
    pub civility: String,
    /// Last name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// Profession code (`10` doctor, `50` midwife...).
    pub profession: String,
    /// Speciality code (may be empty).
    pub speciality: String,
}

/// One practice situation (situation d'exercice) of a CPx card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Situation {
    /// Index on the card (0 for file `D120`, up to 15 for `D12F`).
    pub index: u8,
    /// Practice mode.
    pub mode: PracticeMode,
    /// Billing number (8 digits).
    pub billing_number: String,
    /// Billing number key (1 digit), as on the card.
    pub billing_key: String,
    /// True when the key matches the billing number.
    pub billing_key_valid: bool,
    /// Structure id (may be empty).
    pub structure_id: String,
    /// Structure name.
    pub structure_name: String,
    /// Tariff zone code.
    pub tariff_zone: String,
    /// Agreement (convention) code.
    pub agreement: String,
    /// May sign an invoice (FSE).
    pub may_sign_invoice: bool,
    /// May sign a lot.
    pub may_sign_lot: bool,
    /// Speciality code.
    pub speciality: String,
}

/// A practitioner's (CPS), employee's (CPE) or trainee's (CPF) card as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CpxCard {
    /// `cps`, `cpe` or `cpf`.
    pub kind: CardKind,
    /// Card serial number.
    pub serial: String,
    /// Validity start `YYYY-MM-DD`.
    pub valid_from: String,
    /// Validity end `YYYY-MM-DD`.
    pub valid_until: String,
    /// The holder.
    pub holder: Holder,
    /// The practice situations, in card order (at most 16).
    pub situations: Vec<Situation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_serialise_in_snake_case() {
        assert_eq!(
            serde_json::to_value(DataSource::OnlineService).unwrap(),
            "online_service"
        );
        assert_eq!(serde_json::to_value(DataSource::Card).unwrap(), "card");
        assert_eq!(
            serde_json::to_value(PracticeMode::Remplacant).unwrap(),
            "remplacant"
        );
    }

    #[test]
    fn vitale_card_round_trips() {
        let person = Beneficiary {
            last_name: "NGUYEN".into(),
            first_name: "THI MAI".into(),
            birth_date: "1992-01-08".into(),
            birth_rank: 1,
            quality: "00".into(),
            nir: None,
        };
        let card = VitaleCard {
            serial: "4098765432".into(),
            valid_until: "2032-01-31".into(),
            insured: person.clone(),
            beneficiaries: vec![person],
            nir: Nir {
                value: "292016938801232".into(),
                key_valid: true,
            },
            rights: None,
            rights_unavailable: None,
            source: DataSource::Card,
        };
        let v = serde_json::to_value(&card).unwrap();
        assert_eq!(v["source"], "card");
        assert_eq!(v["insured"]["birth_date"], "1992-01-08");
        assert_eq!(serde_json::from_value::<VitaleCard>(v).unwrap(), card);
    }
}
