use time::macros::date;

use super::*;
use crate::practice::Profession;

const MIDWIFE: Practice = Practice {
    zone: Zone::Metropole,
    profession: Profession::SageFemme,
};
const GP: Practice = Practice {
    zone: Zone::Metropole,
    profession: Profession::MedecinGeneraliste,
};

fn at(zone: Zone) -> Practice {
    Practice { zone, ..MIDWIFE }
}

#[test]
fn embedded_table_parses_every_row_with_a_source() {
    let t = Tariffs::embedded().unwrap();
    assert_eq!(t.rows().count(), 111);
    assert!(t.rows().all(|r| r.source.contains("[S")));
    let to_check = t.rows().filter(|r| r.status == Status::ToCheck).count();
    assert_eq!(to_check, 92, "the README lists them");
}

#[test]
fn prices_by_date_profession_and_zone() {
    let t = Tariffs::embedded().unwrap();
    let cents = |f, code, p, d| t.find(f, code, p, d).map(|r| r.cents);
    // SF: 3.10 € from the avenant 7 (2024-02-22), 3.20 € from 2025-01-01.
    assert_eq!(
        cents(Family::NgapAct, "SF", MIDWIFE, date!(2024 - 12 - 31)),
        Ok(310)
    );
    assert_eq!(
        cents(Family::NgapAct, "SF", MIDWIFE, date!(2025 - 01 - 01)),
        Ok(320)
    );
    // MSF 2 € then 3.50 €; 3.80 € in the DROM.
    assert_eq!(
        cents(Family::Modifier, "MSF", MIDWIFE, date!(2024 - 02 - 21)),
        Ok(200)
    );
    assert_eq!(
        cents(
            Family::Modifier,
            "MSF",
            at(Zone::Reunion),
            date!(2025 - 03 - 12)
        ),
        Ok(380)
    );
    // FMV: the zone's own row wins.
    assert_eq!(
        cents(
            Family::NgapAct,
            "FMV",
            at(Zone::Mayotte),
            date!(2025 - 02 - 05)
        ),
        Ok(11366)
    );
    // G: the GP's grid, not the midwife's.
    assert_eq!(
        cents(Family::NgapAct, "G", GP, date!(2024 - 12 - 22)),
        Ok(3000)
    );
    // F differs by profession: 21 € for a midwife, 19.06 € for a GP.
    assert_eq!(
        cents(Family::Modifier, "F", MIDWIFE, date!(2025 - 06 - 15)),
        Ok(2100)
    );
    assert_eq!(
        cents(Family::Modifier, "F", GP, date!(2025 - 06 - 15)),
        Ok(1906)
    );
}

#[test]
fn no_fallback_from_a_drom_to_the_metropole() {
    let t = Tariffs::embedded().unwrap();
    let find = |f, code, p, d| t.find(f, code, p, d).map(|r| r.cents);
    // C in Martinique before the avenant 7: the DROM row starts on 2024-02-22.
    assert_eq!(
        find(
            Family::NgapAct,
            "C",
            at(Zone::Martinique),
            date!(2024 - 01 - 10)
        ),
        Err(Missing::NotAtDate)
    );
    // F has no DROM row at all.
    assert_eq!(
        find(
            Family::Modifier,
            "F",
            at(Zone::Guadeloupe),
            date!(2025 - 05 - 27)
        ),
        Err(Missing::NotForZone)
    );
    assert_eq!(
        find(Family::NgapAct, "G", MIDWIFE, date!(2025 - 01 - 01)),
        Err(Missing::NotForProfession)
    );
    assert_eq!(
        find(Family::NgapAct, "ZZ", MIDWIFE, date!(2025 - 01 - 01)),
        Err(Missing::Unknown)
    );
    assert_eq!(
        find(Family::NgapAct, "G", GP, date!(2010 - 01 - 01)),
        Err(Missing::NotAtDate)
    );
}

#[test]
fn bad_rows_name_their_line() {
    let e = Tariffs::parse("# c\nngap|SF|x|abc|2020-01-01|metropole|prof=sage-femme|source|[S1]\n")
        .unwrap_err();
    assert!(e.contains("ligne 2"), "{e}");
    for bad in [
        "ngap|SF|x|1|2020-01-01|metropole|prof=sage-femme|source",
        "xx|SF|x|1|2020-01-01|metropole|prof=sage-femme|source|[S1]",
        "ngap|SF|x|1|2020-01-01|lune|prof=sage-femme|source|[S1]",
        "ngap|SF|x|1|2020-01-01|metropole|prof=sage-femme|peut-etre|[S1]",
        "ngap|SF|x|1|2020-01-01|metropole|prof=sage-femme|source|",
        "ngap|SF|x|1|2020-01-01|metropole|coef=1|source|[S1]",
    ] {
        assert!(Tariffs::parse(bad).is_err(), "{bad}");
    }
}
