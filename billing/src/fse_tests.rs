use passerelle_protocol::{Amounts, ErrorCode, FseMode, InsuranceNature};
use time::macros::date;

use super::*;
use crate::samples::{ccam, draft, ngap};

/// The amounts of `SF 7.5` in maladie (70 %), no tiers payant.
const SF_7_5: Amounts = Amounts {
    total_cents: 2100,
    amo_cents: 1470,
    patient_cents: 630,
    tiers_payant_cents: 0,
};
const TODAY: Date = date!(2026 - 03 - 02);

fn base() -> FseDraft {
    draft(
        0,
        "2026-03-02",
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("SF", "7.5", &[])],
    )
}

fn refuse(d: &FseDraft) -> (ErrorCode, String) {
    let t = Tariffs::embedded().unwrap();
    let e = draw_up(&t, d, &[], TODAY).unwrap_err();
    let field = e
        .details()
        .and_then(|v| v["field"].as_str().map(str::to_owned));
    (e.code(), field.unwrap_or_default())
}

#[test]
fn amounts_follow_nature_rate_and_tiers_payant() {
    let t = Tariffs::embedded().unwrap();
    let mut d = base();
    d.acts.push(ccam("JQQM018"));
    d.tiers_payant = true;
    let f = draw_up(&t, &d, &[], TODAY).unwrap();
    let total = 2100 + 7980;
    assert_eq!(f.amounts.total_cents, total);
    assert_eq!(f.amounts.amo_cents, (total * 70 + 50) / 100);
    assert_eq!(f.amounts.patient_cents, total - f.amounts.amo_cents);
    assert_eq!(f.amounts.tiers_payant_cents, f.amounts.amo_cents);
    assert_eq!(f.coverage_rate, 70);
    d.nature = InsuranceNature::Maternite;
    d.tiers_payant = false;
    let f = draw_up(&t, &d, &[], TODAY).unwrap();
    assert_eq!(
        (
            f.coverage_rate,
            f.amounts.patient_cents,
            f.amounts.tiers_payant_cents
        ),
        (100, 0, 0)
    );
}

#[test]
fn degradee_needs_a_paper_copy_and_basket_acts_come_first() {
    let t = Tariffs::embedded().unwrap();
    let mut d = base();
    d.mode = FseMode::Degradee;
    let mut dated = ngap("C", "1", &[]);
    if let ActInput::Ngap { date, .. } = &mut dated {
        *date = Some("2030-01-01".into());
    }
    let f = draw_up(&t, &d, &[dated], TODAY).unwrap();
    assert_eq!(
        f.acts[0].date, "2026-03-02",
        "a basket act takes the care date"
    );
    assert!(f.needs_paper_copy);
    assert_eq!(f.acts[0].code, "C");
    assert_eq!(f.acts[1].code, "SF");
}

#[test]
fn every_refusal_names_its_field() {
    let mut cases: Vec<(FseDraft, ErrorCode, &str)> = Vec::new();
    let mut d = base();
    d.patient.insured_nir = "292016938801233".into();
    cases.push((d, ErrorCode::InvalidFseField, "patient.insured_nir"));
    let mut d = base();
    d.organism.caisse = "69".into();
    cases.push((d, ErrorCode::InvalidFseField, "organism.caisse"));
    let mut d = base();
    d.practitioner.billing_number = "6931223".into();
    cases.push((d, ErrorCode::InvalidFseField, "practitioner.billing_number"));
    let mut d = base();
    d.care_date = "2026-03-03".into();
    cases.push((d, ErrorCode::ActInFuture, "care_date"));
    let mut d = base();
    d.acts.clear();
    cases.push((d, ErrorCode::InvalidFseField, "acts"));
    let mut d = base();
    d.coverage_rate = Some(75);
    cases.push((d, ErrorCode::InvalidFseField, "coverage_rate"));
    let mut d = base();
    d.acts.push(ngap("SF", "999", &[]));
    cases.push((d, ErrorCode::InvalidCoefficient, "acts[1].coefficient"));
    let mut d = base();
    d.expected_amounts = Some(SF_7_5);
    d.expected_amounts.as_mut().unwrap().patient_cents = 631;
    cases.push((
        d,
        ErrorCode::IncoherentAmount,
        "expected_amounts.patient_cents",
    ));
    let mut d = base();
    d.patient.first_name = " ".into();
    cases.push((d, ErrorCode::InvalidFseField, "patient.first_name"));
    for (d, code, field) in cases {
        assert_eq!(refuse(&d), (code, field.to_owned()));
    }
}

#[test]
fn coherent_expected_amounts_are_accepted() {
    let t = Tariffs::embedded().unwrap();
    let mut d = base();
    d.expected_amounts = Some(SF_7_5);
    assert!(draw_up(&t, &d, &[], TODAY).is_ok());
}

#[test]
fn signature_digest_ignores_status_but_not_content() {
    let t = Tariffs::embedded().unwrap();
    let f = draw_up(&t, &base(), &[], TODAY).unwrap();
    let mut moved = f.clone();
    moved.status = FseStatus::InLot;
    moved.lot_id = Some(3);
    assert_eq!(signature_digest(&f), signature_digest(&moved));
    let mut changed = f.clone();
    changed.amounts.total_cents += 1;
    assert_ne!(signature_digest(&f), signature_digest(&changed));
}
