use passerelle_protocol::{
    Amc, AmcKind, Amounts, ErrorCode, Exoneration, FseMode, InsuranceNature, RateBasis,
    RightsOrigin, WorkAccident,
};
use time::macros::date;

use super::*;
use crate::samples::{card_rights, ccam, draft, ngap, pregnant_for};

/// `SF 7.5` in maladie (70 %), no tiers payant, at 3.20 €.
const SF_7_5: Amounts = Amounts {
    total_cents: 2400,
    amo_cents: 1680,
    amc_cents: 0,
    patient_cents: 720,
    tiers_payant_cents: 0,
};
const TODAY: Date = date!(2026 - 03 - 02);

/// Martin's spouse (ALD), sécurisée from her card, `SF 7.5`.
fn base() -> FseDraft {
    draft(
        1,
        "2026-03-02",
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("SF", "7.5", &[])],
    )
}

fn up(d: &FseDraft) -> Result<Fse, BillingError> {
    let t = Tariffs::embedded().unwrap();
    let rights = match &d.rights {
        Some(passerelle_protocol::RightsRef::Vitale { card_serial }) => card_rights(card_serial),
        _ => None,
    };
    draw_up(&t, d, &[], rights, TODAY)
}

fn refuse(d: &FseDraft) -> (ErrorCode, String) {
    let e = up(d).unwrap_err();
    let field = e
        .details()
        .and_then(|v| v["field"].as_str().map(str::to_owned));
    (e.code(), field.unwrap_or_default())
}

#[test]
fn rates_come_from_the_rights_and_parts_add_up() {
    let mut d = base();
    d.acts = vec![ngap("C", "1", &["MSF"]), ccam("JKHD001")];
    d.tiers_payant = true;
    let f = up(&d).unwrap();
    let a = f.amounts;
    assert_eq!((a.total_cents, a.amo_cents), (2650 + 1246, 1855 + 872));
    assert_eq!(a.total_cents, a.amo_cents + a.amc_cents + a.patient_cents);
    assert_eq!(a.tiers_payant_cents, a.amo_cents);
    assert_eq!((f.coverage_rate, f.rate_basis), (70, RateBasis::Maladie));
    assert_eq!(f.rights.origin, RightsOrigin::Vitale);
    assert_eq!(f.rights.beneficiary, Some(1));
    // Her ALD is in the rights: acts in relation with it at 100 %.
    d.exoneration = Some(Exoneration::Ald);
    let f = up(&d).unwrap();
    assert_eq!(
        (f.coverage_rate, f.rate_basis, f.amounts.patient_cents),
        (100, RateBasis::Ald, 0)
    );
}

#[test]
fn maternity_needs_its_period() {
    // The Nguyen card's maternity period starts on 2026-06-01.
    let mut d = draft(
        0,
        "2026-03-02",
        InsuranceNature::Maternite,
        FseMode::Securisee,
        vec![ngap("SF", "12", &[])],
    );
    assert_eq!(refuse(&d).0, ErrorCode::MaternityNotCovered);
    // Stated, without a card: the pregnancy's period (start to 12 days after delivery).
    d.mode = FseMode::Degradee;
    d.rights = None;
    assert_eq!(refuse(&d), (ErrorCode::InvalidFseField, "pregnancy".into()));
    d.pregnancy = Some(pregnant_for("2026-03-02", 100));
    let f = up(&d).unwrap();
    assert_eq!(
        (f.coverage_rate, f.rights.origin),
        (100, RightsOrigin::Declared)
    );
    // An ultrasound before the 6th month stays at 70 %; the FSE's rate is the lowest.
    d.acts.push(ccam("JQQM010"));
    let f = up(&d).unwrap();
    assert_eq!(
        (f.acts[0].amo_rate, f.acts[1].amo_rate, f.coverage_rate),
        (100, 70, 70)
    );
}

#[test]
fn work_accident_needs_its_number_and_date() {
    let mut d = base();
    d.nature = InsuranceNature::AccidentTravail;
    assert_eq!(
        refuse(&d),
        (ErrorCode::InvalidFseField, "work_accident".into())
    );
    d.work_accident = Some(WorkAccident {
        number: "123456".into(),
        date: "2026-02-20".into(),
    });
    let f = up(&d).unwrap();
    assert_eq!(
        (f.coverage_rate, f.rate_basis),
        (100, RateBasis::AccidentTravail)
    );
}

#[test]
fn c2s_is_tiers_payant_integral_and_tpc_needs_a_contract_allowing_it() {
    let d = draft(
        3,
        "2026-03-02",
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("C", "1", &["MSF"])],
    );
    let f = up(&d).unwrap();
    let a = f.amounts;
    assert_eq!((a.amo_cents, a.amc_cents, a.patient_cents), (1855, 795, 0));
    assert_eq!(a.tiers_payant_cents, 2650);
    assert!(f.amc.as_ref().is_some_and(|m| m.c2s) && f.tiers_payant);
    // Martin's mutuelle does not open the tiers payant complémentaire.
    let mut d = base();
    d.amc_tiers_payant = true;
    assert_eq!(refuse(&d).0, ErrorCode::TpcIncompatibleContract);
    // An AMC entered by hand that allows it.
    d.amc = Some(Amc {
        number: "12345678".into(),
        name: "Mutuelle saisie".into(),
        until: "2026-12-31".into(),
        tiers_payant: true,
        kind: AmcKind::Mutuelle,
    });
    let f = up(&d).unwrap();
    assert_eq!((f.amounts.amc_cents, f.amounts.patient_cents), (720, 0));
    d.amc.as_mut().unwrap().until = "2026-01-31".into();
    assert_eq!(refuse(&d).0, ErrorCode::AmcNotCovered);
}

#[test]
fn degradee_needs_a_paper_copy_and_basket_acts_come_first() {
    let t = Tariffs::embedded().unwrap();
    let mut d = base();
    d.mode = FseMode::Degradee;
    d.rights = None;
    let mut dated = ngap("SP", "9", &[]);
    if let ActInput::Ngap { date, .. } = &mut dated {
        *date = Some("2030-01-01".into());
    }
    let f = draw_up(&t, &d, &[dated], None, TODAY).unwrap();
    assert_eq!(
        f.acts[0].date, "2026-03-02",
        "a basket act takes the care date"
    );
    assert!(f.needs_paper_copy);
    assert_eq!(f.acts[0].code, "SP");
    assert_eq!(f.acts[1].code, "SF");
    assert_eq!(
        f.acts[1].association_percent, 50,
        "SF 7.5 after SP 9: art. 11 B"
    );
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
    d.practitioner.tariff_zone = "99".into();
    cases.push((d, ErrorCode::InvalidFseField, "practitioner.tariff_zone"));
    let mut d = base();
    d.care_date = "2026-03-03".into();
    cases.push((d, ErrorCode::ActInFuture, "care_date"));
    let mut d = base();
    d.acts.clear();
    cases.push((d, ErrorCode::InvalidFseField, "acts"));
    let mut d = base();
    d.coverage_rate = Some(100);
    cases.push((d, ErrorCode::CoverageRateMismatch, "coverage_rate"));
    let mut d = base();
    d.acts.push(ngap("SF", "999", &[]));
    cases.push((d, ErrorCode::InvalidCoefficient, "acts[1].coefficient"));
    let mut d = base();
    d.expected_amounts = Some(SF_7_5);
    d.expected_amounts.as_mut().unwrap().patient_cents = 721;
    cases.push((
        d,
        ErrorCode::IncoherentAmount,
        "expected_amounts.patient_cents",
    ));
    let mut d = base();
    d.patient.first_name = " ".into();
    cases.push((d, ErrorCode::InvalidFseField, "patient.first_name"));
    let mut d = base();
    d.rights = None;
    cases.push((d, ErrorCode::RightsRequired, "rights"));
    let mut d = base();
    d.organism.caisse = "691".into();
    cases.push((d, ErrorCode::RightsOrganismMismatch, "organism"));
    let mut d = base();
    d.patient.first_name = "LEON".into();
    cases.push((d, ErrorCode::RightsBeneficiaryUnknown, "patient"));
    let mut d = base();
    d.care_date = "2024-12-31".into();
    cases.push((d, ErrorCode::RightsNotCovering, "care_date"));
    let mut d = draft(
        2,
        "2026-03-02",
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("C", "1", &[])],
    );
    d.exoneration = Some(Exoneration::Ald);
    cases.push((d, ErrorCode::ExonerationNotFound, "exoneration"));
    for (d, code, field) in cases {
        assert_eq!(refuse(&d), (code, field.to_owned()));
    }
}

#[test]
fn coherent_expected_amounts_are_accepted() {
    let mut d = base();
    d.expected_amounts = Some(SF_7_5);
    assert!(up(&d).is_ok());
}

#[test]
fn signature_digest_ignores_status_but_not_content() {
    let f = up(&base()).unwrap();
    let mut moved = f.clone();
    moved.status = FseStatus::InLot;
    moved.lot_id = Some(3);
    moved.lot_number = Some("003".into());
    assert_eq!(signature_digest(&f), signature_digest(&moved));
    let mut changed = f.clone();
    changed.amounts.total_cents += 1;
    assert_ne!(signature_digest(&f), signature_digest(&changed));
}

#[test]
fn the_travel_surcharge_md_gives_way_to_its_night_and_sunday_forms() {
    // A visit 10 days after the delivery, at 22:30: MD with N is refused (MDN replaces
    // both, RULES R2.5), MDN alone is billed.
    let mut d = base();
    d.pregnancy = Some(passerelle_protocol::Pregnancy {
        start: None,
        delivery: Some("2026-02-20".into()),
        pathological: false,
    });
    let visit = |mods: &[&str]| match ngap("V", "1", mods) {
        ActInput::Ngap {
            key,
            coefficient,
            modifiers,
            ..
        } => ActInput::Ngap {
            key,
            coefficient,
            modifiers,
            date: None,
            time: Some("22:30".into()),
            distance_km: None,
        },
        other => other,
    };
    d.acts = vec![visit(&["MSF", "MD", "N"])];
    assert_eq!(refuse(&d).0, ErrorCode::ModifierNotApplicable);
    d.acts = vec![visit(&["MSF", "MDN"])];
    assert_eq!(up(&d).unwrap().amounts.total_cents, 2300 + 350 + 3850);
}
