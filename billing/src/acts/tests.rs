use passerelle_protocol::{ActInput, ErrorCode};
use time::macros::date;
use time::Date;

use super::*;
use crate::practice::{Profession, Zone};

fn ngap(key: &str, coefficient: &str, modifiers: &[&str]) -> ActInput {
    ActInput::Ngap {
        key: key.into(),
        coefficient: coefficient.into(),
        modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
        date: None,
        time: None,
        distance_km: None,
    }
}

fn timed(mut act: ActInput, at: &str) -> ActInput {
    if let ActInput::Ngap { time, .. } = &mut act {
        *time = Some(at.into());
    }
    act
}

fn run_at(act: &ActInput, zone: Zone, day: Date) -> Result<Priced, BillingError> {
    let t = Tariffs::embedded().unwrap();
    let s = Setting {
        tariffs: &t,
        practice: Practice {
            zone,
            profession: Profession::SageFemme,
        },
        care_date: day,
        today: date!(2026 - 11 - 30),
        c2s: false,
        pregnancy: None,
        prescribed: false,
    };
    price(&s, act, "acts[0]")
}

fn run(act: &ActInput) -> Result<Priced, BillingError> {
    run_at(act, Zone::Metropole, date!(2025 - 03 - 12))
}

fn code(r: Result<Priced, BillingError>) -> ErrorCode {
    r.unwrap_err().code()
}

#[test]
fn ngap_is_key_value_times_coefficient_plus_modifiers() {
    let a = run(&ngap("sf", "7.5", &[])).unwrap();
    assert_eq!((a.act.code.as_str(), a.act.amount_cents), ("SF", 2400));
    let a = run(&ngap("C", "1", &["MSF"])).unwrap();
    assert_eq!(
        (a.act.amount_cents, a.act.modifiers.clone()),
        (2650, vec!["MSF".into()])
    );
    assert!(!a.act.to_check, "C and MSF are sourced");
    let a = run(&ngap("JKLD001", "1", &[])).unwrap_err();
    assert_eq!(
        a.code(),
        ErrorCode::UnknownActCode,
        "a CCAM code asked as NGAP"
    );
}

#[test]
fn surcharges_only_in_their_conditions() {
    // Saturday 15 March 2025: the caisse's "date de prestation = samedi non férié".
    let sat = run_at(
        &ngap("C", "1", &["MSF", "F"]),
        Zone::Metropole,
        date!(2025 - 03 - 15),
    );
    let e = sat.unwrap_err();
    assert_eq!(e.code(), ErrorCode::SurchargeNotSundayOrHoliday);
    assert!(e.to_string().contains("samedi non férié"), "{e}");
    let sun = run_at(
        &ngap("C", "1", &["MSF", "F"]),
        Zone::Metropole,
        date!(2025 - 06 - 15),
    );
    assert_eq!(sun.unwrap().act.amount_cents, 4750);
    // Night: the act's time decides.
    assert_eq!(
        code(run(&timed(ngap("C", "1", &["N"]), "19:30"))),
        ErrorCode::SurchargeNotAtNight
    );
    assert_eq!(
        code(run(&ngap("C", "1", &["N"]))),
        ErrorCode::SurchargeNotAtNight
    );
    assert_eq!(
        run(&timed(ngap("C", "1", &["N"]), "21:00"))
            .unwrap()
            .act
            .amount_cents,
        5800
    );
    assert_eq!(
        code(run(&timed(ngap("C", "1", &["MM"]), "23:00"))),
        ErrorCode::SurchargeNotAtNight
    );
    // MSF on C and V only.
    assert_eq!(
        code(run(&ngap("SF", "12", &["MSF"]))),
        ErrorCode::ModifierNotApplicable
    );
    // MD outside its cases (no delivery, no pathological pregnancy).
    assert_eq!(
        code(run(&ngap("V", "1", &["MD"]))),
        ErrorCode::ModifierNotApplicable
    );
    assert_eq!(
        code(run(&ngap("C", "1", &["ZZ"]))),
        ErrorCode::UnknownModifier
    );
    assert_eq!(
        code(run(&ngap("C", "1", &["MN"]))),
        ErrorCode::ModifierNotApplicable,
        "a GP's"
    );
}

#[test]
fn drom_values_never_fall_back_to_the_metropole() {
    let e = run_at(
        &ngap("C", "1", &[]),
        Zone::Martinique,
        date!(2024 - 01 - 10),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TariffUnknownForZone);
    assert!(
        e.to_string().contains("Martinique") && e.to_string().contains("métropole"),
        "{e}"
    );
    let e = run_at(
        &ngap("C", "1", &["F"]),
        Zone::Guadeloupe,
        date!(2025 - 05 - 27),
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TariffUnknownForZone);
    let a = run_at(
        &ngap("C", "1", &["MSF"]),
        Zone::Guadeloupe,
        date!(2025 - 03 - 12),
    )
    .unwrap();
    assert_eq!(a.act.amount_cents, 3140);
}

#[test]
fn coefficients_forfaits_and_travel_allowances() {
    assert_eq!(
        code(run(&ngap("SF", "13", &[]))),
        ErrorCode::InvalidCoefficient
    );
    assert_eq!(
        code(run(&ngap("C", "2", &[]))),
        ErrorCode::InvalidCoefficient
    );
    let e = run(&ngap("SFR", "1.12", &[])).unwrap_err();
    assert!(e.to_string().contains("C2S"), "{e}");
    assert_eq!(
        code(run(&ngap("FHV", "2", &[]))),
        ErrorCode::InvalidCoefficient
    );
    let ik = |d: Option<u32>, key: &str| {
        let mut a = ngap(key, "1", &[]);
        if let ActInput::Ngap { distance_km, .. } = &mut a {
            *distance_km = d;
        }
        run(&a)
    };
    let a = ik(Some(7), "IK").unwrap();
    assert_eq!(
        (a.act.coefficient_hundredths, a.act.amount_cents),
        (1000, 610)
    );
    assert_eq!(ik(Some(7), "IKM").unwrap().act.amount_cents, 12 * 91);
    assert_eq!(
        code(ik(Some(2), "IK")),
        ErrorCode::InvalidFseField,
        "2d - 4 = 0"
    );
    assert_eq!(code(ik(None, "IK")), ErrorCode::InvalidFseField);
    assert_eq!(
        code(ik(Some(7), "IKS")),
        ErrorCode::InvalidFseField,
        "allowance unknown"
    );
    let mut c = ngap("C", "1", &[]);
    if let ActInput::Ngap { distance_km, .. } = &mut c {
        *distance_km = Some(3);
    }
    assert_eq!(code(run(&c)), ErrorCode::InvalidFseField);
}

#[test]
fn association_halves_the_value_not_the_surcharges() {
    let mut a = run(&ngap("V", "1", &["MSF"])).unwrap();
    a.associate(50);
    assert_eq!(a.act.amount_cents, 1150 + 350);
    let mut sf = run(&ngap("SF", "12", &[])).unwrap();
    sf.associate(50);
    assert_eq!(
        (sf.act.amount_cents, sf.act.association_percent),
        (1920, 50)
    );
}

#[test]
fn dates_times_and_the_future() {
    let mut a = ngap("C", "1", &[]);
    if let ActInput::Ngap { date, .. } = &mut a {
        *date = Some("2026-12-01".into());
    }
    assert_eq!(code(run(&a)), ErrorCode::ActInFuture);
    assert_eq!(
        code(run(&timed(ngap("C", "1", &[]), "25:00"))),
        ErrorCode::InvalidFseField
    );
}
