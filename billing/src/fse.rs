//! Drawing up an FSE: checks every field of a draft (naming the field in refusals), its
//! rights ([`crate::rights`]), prices the acts ([`crate::acts`]) with the session rules
//! ([`crate::session`]), sets each act's AMO rate ([`crate::coverage`]) and the parts in
//! cents ([`crate::amounts`]), and defines the modelled signature input.

use passerelle_protocol::{ActInput, Amounts, Fse, FseDraft, FseMode, FseStatus, Organism};
use sha2::{Digest, Sha256};
use time::Date;

use super::acts::{self, Priced, Setting};
use super::clock::{date_shaped, parse_date};
use super::error::BillingError;
use super::facts::PregnancyDates;
use super::practice::Practice;
use super::rights::{self, ResolvedRights};
use super::tariffs::Tariffs;
use super::{amounts, coverage, session};
use passerelle_protocol::nir::nir_valid;

/// At most this many acts on one FSE.
pub const MAX_ACTS: usize = 99;
/// Prefix of the modelled FSE signature input.
const SIGNATURE_DOMAIN: &[u8] = b"PASSERELLE-FSE-MODELE-1\n";

/// Checks and prices `draft` with the rights it names (`rights`, resolved by the caller);
/// `basket_acts` (from its named basket) come first. The result is an FSE without id,
/// number or timestamps (the store gives them).
pub fn draw_up(
    tariffs: &Tariffs,
    draft: &FseDraft,
    basket_acts: &[ActInput],
    rights: Option<ResolvedRights>,
    today: Date,
) -> Result<Fse, BillingError> {
    digits(
        "practitioner.billing_number",
        &draft.practitioner.billing_number,
        8,
    )?;
    let practice = Practice::of(&draft.practitioner)?;
    check_patient(draft)?;
    check_organism(&draft.organism)?;
    let care_date = past_date("care_date", &draft.care_date, today)?;
    if let Some(p) = &draft.prescriber {
        if !(8..=11).contains(&p.id.len()) || !p.id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BillingError::invalid(
                "prescriber.id",
                "8 à 11 chiffres attendus.",
            ));
        }
        if past_date("prescriber.date", &p.date, today)? > care_date {
            return Err(BillingError::invalid(
                "prescriber.date",
                "la prescription est postérieure aux soins.",
            ));
        }
    }
    let count = basket_acts.len() + draft.acts.len();
    if count == 0 || count > MAX_ACTS {
        return Err(BillingError::invalid(
            "acts",
            format!("de 1 à {MAX_ACTS} actes par feuille."),
        ));
    }
    let checked = rights::check(draft, rights, care_date)?;
    let pregnancy = match &draft.pregnancy {
        Some(p) => Some(PregnancyDates::read(p, today)?),
        None => None,
    };
    let c2s = amounts::amc_of(draft, &checked, care_date).is_some_and(|(_, c2s)| c2s);
    let setting = Setting {
        tariffs,
        practice,
        care_date,
        today,
        c2s,
        pregnancy: pregnancy.as_ref(),
        prescribed: draft.prescriber.is_some(),
    };
    let mut priced: Vec<Priced> = Vec::with_capacity(count);
    for (i, act) in basket_acts.iter().enumerate() {
        // A basket's acts take the FSE's care date, whatever date they were saved with.
        let act = acts::undated(act);
        priced.push(acts::price(&setting, &act, &format!("basket.acts[{i}]"))?);
    }
    for (i, act) in draft.acts.iter().enumerate() {
        priced.push(acts::price(&setting, act, &format!("acts[{i}]"))?);
    }
    session::apply(&mut priced)?;
    let rate_basis = coverage::apply(draft, &checked, pregnancy.as_ref(), care_date, &mut priced)?;
    let rate = coverage::stated_rate(draft, &priced)?;
    let (amounts, amc, tiers_payant) = amounts::compute(draft, &checked, care_date, &priced)?;
    if let Some(expected) = &draft.expected_amounts {
        compare(&amounts, expected)?;
    }
    Ok(Fse {
        id: 0,
        number: String::new(),
        status: FseStatus::Draft,
        practitioner: draft.practitioner.clone(),
        patient: draft.patient.clone(),
        organism: draft.organism.clone(),
        nature: draft.nature,
        mode: draft.mode,
        deferred_signature: draft.deferred_signature,
        needs_paper_copy: draft.mode == FseMode::Degradee,
        care_date: draft.care_date.clone(),
        prescriber: draft.prescriber.clone(),
        rights: checked.record,
        pregnancy: draft.pregnancy.clone(),
        work_accident: draft.work_accident.clone(),
        exoneration: draft.exoneration,
        rate_basis,
        acts: priced.into_iter().map(|p| p.act).collect(),
        coverage_rate: rate,
        tiers_payant,
        amc,
        amounts,
        drawn_up: String::new(),
        signed_at: None,
        lot_id: None,
        lot_number: None,
        replacement: None,
    })
}

fn compare(computed: &Amounts, sent: &Amounts) -> Result<(), BillingError> {
    let pairs = [
        ("total_cents", computed.total_cents, sent.total_cents),
        ("amo_cents", computed.amo_cents, sent.amo_cents),
        ("amc_cents", computed.amc_cents, sent.amc_cents),
        ("patient_cents", computed.patient_cents, sent.patient_cents),
        (
            "tiers_payant_cents",
            computed.tiers_payant_cents,
            sent.tiers_payant_cents,
        ),
    ];
    for (name, expected, received) in pairs {
        if expected != received {
            return Err(BillingError::IncoherentAmount {
                field: format!("expected_amounts.{name}"),
                expected,
                received,
            });
        }
    }
    Ok(())
}

fn check_patient(draft: &FseDraft) -> Result<(), BillingError> {
    let p = &draft.patient;
    if !nir_valid(&p.insured_nir) {
        return Err(BillingError::invalid(
            "patient.insured_nir",
            "NIR invalide (15 caractères dont la clé).",
        ));
    }
    for (field, value) in [
        ("patient.last_name", &p.last_name),
        ("patient.first_name", &p.first_name),
    ] {
        if value.trim().is_empty() || value.chars().count() > 27 {
            return Err(BillingError::invalid(
                field,
                "de 1 à 27 caractères attendus.",
            ));
        }
    }
    if !date_shaped(&p.birth_date) {
        return Err(BillingError::invalid(
            "patient.birth_date",
            "date attendue au format AAAA-MM-JJ.",
        ));
    }
    if !(1..=9).contains(&p.birth_rank) {
        return Err(BillingError::invalid(
            "patient.birth_rank",
            "rang de naissance de 1 à 9.",
        ));
    }
    digits("patient.quality", &p.quality, 2)
}

fn check_organism(o: &Organism) -> Result<(), BillingError> {
    digits("organism.regime", &o.regime, 2)?;
    digits("organism.caisse", &o.caisse, 3)?;
    digits("organism.centre", &o.centre, 4)
}

fn digits(field: &str, value: &str, n: usize) -> Result<(), BillingError> {
    if value.len() == n && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(BillingError::invalid(
            field,
            format!("{n} chiffres attendus."),
        ))
    }
}

fn past_date(field: &str, value: &str, today: Date) -> Result<Date, BillingError> {
    let d = parse_date(value)
        .ok_or_else(|| BillingError::invalid(field, "date attendue au format AAAA-MM-JJ."))?;
    if d > today {
        return Err(BillingError::ActInFuture {
            field: field.to_owned(),
            date: value.to_owned(),
        });
    }
    Ok(d)
}

/// Modelled FSE signature input: SHA-256 over a domain prefix and the canonical JSON of the
/// FSE as drawn up (status, signature time and lot left out, so they never change it).
pub fn signature_digest(fse: &Fse) -> [u8; 32] {
    let mut canonical = fse.clone();
    canonical.status = FseStatus::Draft;
    canonical.signed_at = None;
    canonical.lot_id = None;
    canonical.lot_number = None;
    let mut h = Sha256::new();
    h.update(SIGNATURE_DOMAIN);
    // Serialising plain data structs cannot fail; an empty input would still be hashed.
    h.update(serde_json::to_vec(&canonical).unwrap_or_default());
    h.finalize().into()
}

/// Hex SHA-256 of a draft: what an idempotency key is bound to.
pub fn request_hash(draft: &FseDraft) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(draft).unwrap_or_default(),
    ))
}

#[cfg(test)]
#[path = "fse_tests.rs"]
mod tests;
