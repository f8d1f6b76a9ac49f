use passerelle_protocol::ActInput;
use passerelle_protocol::ErrorCode;
use time::macros::date;

use super::*;

fn ngap(key: &str, coefficient: &str, modifiers: &[&str]) -> ActInput {
    ActInput::Ngap {
        key: key.into(),
        coefficient: coefficient.into(),
        modifiers: modifiers.iter().map(|m| m.to_string()).collect(),
        date: None,
    }
}

fn ccam(code: &str, activity: &str) -> ActInput {
    ActInput::Ccam {
        code: code.into(),
        activity: activity.into(),
        phase: "0".into(),
        modifiers: vec![],
        date: None,
    }
}

fn run(act: &ActInput) -> Result<PricedAct, BillingError> {
    let t = Tariffs::embedded().unwrap();
    price(
        &t,
        act,
        date!(2026 - 03 - 02),
        date!(2026 - 03 - 02),
        "acts[0]",
    )
}

#[test]
fn ngap_is_key_value_times_coefficient_plus_modifiers() {
    let a = run(&ngap("sf", "7.5", &[])).unwrap();
    assert_eq!((a.code.as_str(), a.amount_cents), ("SF", 2100));
    let a = run(&ngap("SF", "12", &["F"])).unwrap();
    assert_eq!(a.amount_cents, 280 * 12 + 2100);
    let a = run(&ccam("JQQM010", "1")).unwrap();
    assert_eq!((a.amount_cents, a.coefficient_hundredths), (5227, 100));
}

#[test]
fn price_depends_on_the_act_date() {
    let t = Tariffs::embedded().unwrap();
    let mut act = ngap("G", "1", &[]);
    if let ActInput::Ngap { date, .. } = &mut act {
        *date = Some("2024-12-21".into());
    }
    let a = price(&t, &act, date!(2026 - 03 - 02), date!(2026 - 03 - 02), "x").unwrap();
    assert_eq!(a.amount_cents, 2650);
}

#[test]
fn each_refusal_has_its_code_and_field() {
    let cases: Vec<(ActInput, ErrorCode, &str)> = vec![
        (
            ngap("ZZ", "1", &[]),
            ErrorCode::UnknownActCode,
            "acts[0].key",
        ),
        (
            ccam("XXXX999", "1"),
            ErrorCode::UnknownActCode,
            "acts[0].code",
        ),
        (
            ngap("SF", "0", &[]),
            ErrorCode::InvalidCoefficient,
            "acts[0].coefficient",
        ),
        (
            ngap("SF", "7.555", &[]),
            ErrorCode::InvalidCoefficient,
            "acts[0].coefficient",
        ),
        (
            ngap("SF", "151", &[]),
            ErrorCode::InvalidCoefficient,
            "acts[0].coefficient",
        ),
        (
            ngap("C", "2", &[]),
            ErrorCode::InvalidCoefficient,
            "acts[0].coefficient",
        ),
        (
            ngap("SF", "abc", &[]),
            ErrorCode::InvalidCoefficient,
            "acts[0].coefficient",
        ),
        (
            ngap("SF", "1", &["Q"]),
            ErrorCode::UnknownModifier,
            "acts[0].modifiers[0]",
        ),
        (
            ngap("SF", "1", &["F", "F"]),
            ErrorCode::InvalidFseField,
            "acts[0].modifiers[1]",
        ),
        (
            ccam("JKLD001", "4"),
            ErrorCode::InvalidFseField,
            "acts[0].activity",
        ),
    ];
    for (act, code, field) in cases {
        let e = run(&act).unwrap_err();
        assert_eq!(e.code(), code, "{act:?}: {e}");
        assert_eq!(e.details().unwrap()["field"], field, "{act:?}");
    }
}

#[test]
fn future_act_and_missing_tariff_are_refused() {
    let t = Tariffs::embedded().unwrap();
    let mut act = ngap("SF", "1", &[]);
    if let ActInput::Ngap { date, .. } = &mut act {
        *date = Some("2026-03-03".into());
    }
    let e = price(
        &t,
        &act,
        date!(2026 - 03 - 02),
        date!(2026 - 03 - 02),
        "acts[1]",
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ActInFuture);
    assert_eq!(e.details().unwrap()["field"], "acts[1].date");
    let old = ngap("SF", "1", &[]);
    let e = price(
        &t,
        &old,
        date!(2010 - 01 - 01),
        date!(2026 - 03 - 02),
        "acts[0]",
    )
    .unwrap_err();
    assert_eq!(e.code(), ErrorCode::TariffNotApplicable);
}

#[test]
fn undated_check_for_baskets() {
    let t = Tariffs::embedded().unwrap();
    assert!(check_undated(&t, &ngap("SF", "12", &[]), "acts[0]").is_ok());
    assert_eq!(
        check_undated(&t, &ngap("XX", "1", &[]), "acts[0]")
            .unwrap_err()
            .code(),
        ErrorCode::UnknownActCode
    );
}
