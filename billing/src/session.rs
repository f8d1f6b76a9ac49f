//! Several acts in one session (same date and time; acts without a time on one date are
//! one session — modelled: the FSE has no session field of its own), from the public
//! general provisions:
//!
//! - NGAP art. 11 B (text cited in RULES R3.1 [S31]): "l'acte du coefficient le plus
//!   important est seul inscrit avec son coefficient propre. Le deuxième acte est ensuite
//!   noté à 50 % de son coefficient. Les actes suivant le second ne donnent pas lieu à
//!   honoraires": the key-letter acts (`seance=11b`) sorted by value, the second at 50 %,
//!   a third refused. Two birth-preparation sessions at distinct times stay at full rate
//!   (UNCAM decision of 6 September 2023 [S32]): distinct times are distinct sessions.
//! - CCAM art. III-3 A [S28]: a consultation or visit is not billed with a CCAM act of the
//!   same session, except the listed ones (`cumul=`: the smear JKHD001, at full rate since
//!   1 July 2017 [S29]).
//! - CCAM art. III-3 B [S27]: two CCAM acts at most, the dearer at 100 %, the other at 50 %
//!   (association codes 1 and 2).
//! - A surcharge is billed once per session and never with one it excludes (`exclut=`,
//!   `remplace=`: MD instead of IFD [S3], MDN instead of MD and N [S38]).

use std::collections::BTreeMap;

use passerelle_protocol::ErrorCode;

use super::acts::Priced;
use super::error::BillingError;
use super::tariffs::Kind;

/// Applies the rules above to `acts` (priced at full rate), in place.
pub fn apply(acts: &mut [Priced]) -> Result<(), BillingError> {
    let mut sessions: BTreeMap<(time::Date, Option<u16>), Vec<usize>> = BTreeMap::new();
    for (i, a) in acts.iter().enumerate() {
        sessions.entry((a.date, a.minute)).or_default().push(i);
    }
    for members in sessions.values() {
        article_11b(acts, members)?;
        consultations(acts, members)?;
        ccam_associations(acts, members)?;
        surcharges(acts, members)?;
    }
    Ok(())
}

fn refuse(field: &str, message: String) -> BillingError {
    BillingError::rule(ErrorCode::ActsNotCumulative, field, message)
}

/// Value of an act at full rate without its surcharges.
fn value(a: &Priced) -> i64 {
    a.value_cents * i64::from(a.coefficient)
}

fn article_11b(acts: &mut [Priced], members: &[usize]) -> Result<(), BillingError> {
    let mut keyed: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| acts[*i].rules.article_11b)
        .collect();
    keyed.sort_by_key(|i| (std::cmp::Reverse(value(&acts[*i])), *i));
    if let Some(third) = keyed.get(2) {
        return Err(refuse(
            &acts[*third].field,
            "troisième acte de la même séance : les actes suivant le second ne donnent pas lieu \
             à honoraires (NGAP, dispositions générales, article 11 B)."
                .into(),
        ));
    }
    if let Some(second) = keyed.get(1) {
        acts[*second].associate(50);
    }
    Ok(())
}

fn consultations(acts: &[Priced], members: &[usize]) -> Result<(), BillingError> {
    let consults: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| acts[*i].rules.consultation)
        .collect();
    let Some(first) = consults.first() else {
        return Ok(());
    };
    if let Some(other) = consults.get(1) {
        return Err(refuse(
            &acts[*other].field,
            "deux consultations ou visites dans la même séance.".into(),
        ));
    }
    let consult = &acts[*first];
    for i in members {
        let a = &acts[*i];
        if a.kind == Kind::Ccam && !consult.rules.cumulative_with.contains(&a.act.code) {
            return Err(refuse(
                &a.field,
                format!(
                    "la consultation {} ne se cumule pas avec l'acte technique {} de la même \
                     séance (CCAM, article III-3 A) : facturez l'un ou l'autre.",
                    consult.act.code, a.act.code
                ),
            ));
        }
    }
    Ok(())
}

fn ccam_associations(acts: &mut [Priced], members: &[usize]) -> Result<(), BillingError> {
    let mut ccam: Vec<usize> = members
        .iter()
        .copied()
        .filter(|i| acts[*i].kind == Kind::Ccam)
        .collect();
    ccam.sort_by_key(|i| (std::cmp::Reverse(acts[*i].value_cents), *i));
    if let Some(third) = ccam.get(2) {
        return Err(refuse(
            &acts[*third].field,
            "au plus deux actes CCAM associés dans la même séance (CCAM, article III-3 B).".into(),
        ));
    }
    if let Some(second) = ccam.get(1) {
        acts[*second].associate(50);
    }
    Ok(())
}

fn surcharges(acts: &[Priced], members: &[usize]) -> Result<(), BillingError> {
    let all: Vec<(&str, &str, &crate::tariffs::Rules)> = members
        .iter()
        .flat_map(|i| {
            let a = &acts[*i];
            a.modifiers
                .iter()
                .map(move |(m, r)| (a.field.as_str(), m.as_str(), r))
        })
        .collect();
    for (n, (field, m, rules)) in all.iter().enumerate() {
        for (other_n, (_, other, _)) in all.iter().enumerate() {
            if n == other_n {
                continue;
            }
            if other == m {
                return Err(BillingError::rule(
                    ErrorCode::ModifierNotApplicable,
                    *field,
                    format!("la majoration {m} est déjà facturée dans cette séance."),
                ));
            }
            if rules.excludes.iter().any(|x| x == other) {
                return Err(BillingError::rule(
                    ErrorCode::ModifierNotApplicable,
                    *field,
                    format!("les majorations {m} et {other} ne se cumulent pas dans une séance."),
                ));
            }
        }
    }
    Ok(())
}
