//! The patient's rights behind an FSE, checked at the care date.
//!
//! A draft names its rights ([`RightsRef`]: the Carte Vitale read, or an online answer);
//! the daemon resolves that name into [`ResolvedRights`] through [`RightsLookup`] (billing
//! knows no card reader). A sécurisée FSE needs them; their organism must be the FSE's,
//! the patient one of their beneficiaries, and an AMO period of that patient must cover the
//! care date. A dégradée or sans Vitale FSE may rest on an online answer (checked the same
//! way) or on what the practitioner states (origin `declared`), never on a card read.

use passerelle_protocol::{
    Beneficiary, ErrorCode, FseDraft, FseMode, Rights, RightsOrigin, RightsPeriod, RightsRecord,
    RightsRef,
};
use time::Date;

use super::clock::parse_date;
use super::error::BillingError;

/// Rights as the daemon found them for a [`RightsRef`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRights {
    /// Card read or online service.
    pub origin: RightsOrigin,
    /// Serial of the card read.
    pub card_serial: Option<String>,
    /// Reference of the online answer.
    pub reference: Option<String>,
    /// The online answer came from the modelled service.
    pub modelled: bool,
    /// NIR of the insured person.
    pub nir: String,
    /// The people on the card (insured first).
    pub beneficiaries: Vec<Beneficiary>,
    /// The rights.
    pub rights: Rights,
}

/// Resolves what a draft names into rights (implemented by the daemon over its card memo
/// and the online answers it keeps).
pub trait RightsLookup: Sync {
    /// The rights `r` names, or why not (`rights_reference_unknown`).
    fn resolve(&self, r: &RightsRef) -> Result<ResolvedRights, BillingError>;
}

/// No rights anywhere: every reference is unknown (tools and tests without cards).
pub struct NoRights;

impl RightsLookup for NoRights {
    fn resolve(&self, _: &RightsRef) -> Result<ResolvedRights, BillingError> {
        Err(unknown_reference(
            "aucune lecture de carte Vitale ni réponse de droits en ligne n'est disponible.",
        ))
    }
}

/// The refusal of a reference that names nothing known.
pub fn unknown_reference(why: &str) -> BillingError {
    BillingError::rule(ErrorCode::RightsReferenceUnknown, "rights", why)
}

/// The rights an FSE rests on, checked: the record kept with the FSE, and the patient's
/// index among the beneficiaries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// What the FSE records.
    pub record: RightsRecord,
}

impl Checked {
    /// The rights, when some were read.
    pub fn rights(&self) -> Option<&Rights> {
        self.record.rights.as_ref()
    }

    /// The periods of `nature` (`maladie`, `maternite`) of the patient covering `d`.
    pub fn periods_at(&self, nature: &str, d: Date) -> Vec<&RightsPeriod> {
        let Some(r) = self.rights() else {
            return Vec::new();
        };
        r.periods
            .iter()
            .filter(|p| p.nature == nature && mine(p.beneficiary, self.record.beneficiary))
            .filter(|p| covers(&p.from, &p.until, d))
            .collect()
    }

    /// True when an ALD of the patient is in force on `d`.
    pub fn ald_at(&self, d: Date) -> bool {
        self.rights().is_some_and(|r| {
            r.ald.iter().any(|a| {
                Some(a.beneficiary) == self.record.beneficiary
                    && parse_date(&a.until).is_some_and(|u| d <= u)
            })
        })
    }
}

fn mine(period: Option<u8>, patient: Option<u8>) -> bool {
    period.is_none() || period == patient
}

fn covers(from: &str, until: &str, d: Date) -> bool {
    matches!((parse_date(from), parse_date(until)), (Some(f), Some(u)) if f <= d && d <= u)
}

/// Checks `draft`'s rights (`resolved`, when it names some) at `care_date`.
pub fn check(
    draft: &FseDraft,
    resolved: Option<ResolvedRights>,
    care_date: Date,
) -> Result<Checked, BillingError> {
    let Some(r) = resolved else {
        if draft.mode == FseMode::Securisee {
            return Err(BillingError::rule(
                ErrorCode::RightsRequired,
                "rights",
                "une FSE sécurisée s'établit avec les droits de la carte Vitale lue \
                 ({\"source\": \"vitale\", \"card_serial\": …}) ou d'une réponse de droits en \
                 ligne ({\"source\": \"online\", \"reference\": …}).",
            ));
        }
        return Ok(Checked {
            record: RightsRecord {
                origin: RightsOrigin::Declared,
                card_serial: None,
                reference: None,
                modelled: false,
                beneficiary: None,
                rights: None,
            },
        });
    };
    if draft.mode != FseMode::Securisee && r.origin == RightsOrigin::Vitale {
        return Err(BillingError::invalid(
            "rights",
            "la carte Vitale a été lue : établissez une FSE sécurisée, pas dégradée ni sans Vitale.",
        ));
    }
    let p = &draft.patient;
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let index = (r.nir == p.insured_nir)
        .then(|| {
            r.beneficiaries.iter().position(|b| {
                b.birth_date == p.birth_date
                    && b.birth_rank == p.birth_rank
                    && same(&b.first_name, &p.first_name)
            })
        })
        .flatten()
        .ok_or_else(|| {
            BillingError::rule(
                ErrorCode::RightsBeneficiaryUnknown,
                "patient",
                "le patient (NIR de l'assuré, prénom, date et rang de naissance) n'est pas un \
                 bénéficiaire des droits lus.",
            )
        })?;
    let (o, rights) = (&draft.organism, &r.rights);
    if (&o.regime, &o.caisse, &o.centre) != (&rights.regime, &rights.caisse, &rights.centre) {
        return Err(BillingError::rule(
            ErrorCode::RightsOrganismMismatch,
            "organism",
            format!(
                "l'organisme de la feuille n'est pas celui des droits lus ({} {} {}).",
                rights.regime, rights.caisse, rights.centre
            ),
        ));
    }
    let checked = Checked {
        record: RightsRecord {
            origin: r.origin,
            card_serial: r.card_serial,
            reference: r.reference,
            modelled: r.modelled,
            beneficiary: u8::try_from(index).ok(),
            rights: Some(r.rights),
        },
    };
    let open = checked.rights().is_some_and(|rights| {
        rights.periods.iter().any(|p| {
            mine(p.beneficiary, checked.record.beneficiary) && covers(&p.from, &p.until, care_date)
        })
    });
    if !open {
        return Err(BillingError::rule(
            ErrorCode::RightsNotCovering,
            "care_date",
            format!(
                "les droits lus ne couvrent pas le patient à la date des soins ({}).",
                draft.care_date
            ),
        ));
    }
    Ok(checked)
}
