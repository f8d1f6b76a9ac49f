//! Worked examples of the modelled ARL, and one refusal per error variant.

use passerelle_billing::returns::arl::{
    parse, write, Arl, ArlError, ArlLabel, ArlOutcome, MessageRef,
};
use passerelle_billing::returns::types::{CalendarDate, Digits, LotNumber, Organism, ReasonCode};

fn positive() -> Arl {
    Arl {
        lot: LotNumber::new(7).unwrap(),
        organism: Organism::new("01", "751", "0001").unwrap(),
        practitioner: Digits::new("12345678").unwrap(),
        reference: MessageRef::new("<lot-007.20260302@passerelle.invalid>").unwrap(),
        date: CalendarDate::from_ymd(2026, 3, 3).unwrap(),
        outcome: ArlOutcome::Positive,
    }
}

fn negative() -> Arl {
    Arl {
        outcome: ArlOutcome::Negative {
            code: ReasonCode::new("E12").unwrap(),
            label: ArlLabel::new("Lot reçu en double : déjà acquis le 02/03/2026").unwrap(),
        },
        ..positive()
    }
}

const POSITIVE: &str = "ARL-MODELE-1\nlot=007\nregime=01\ncaisse=751\ncentre=0001\nps=12345678\n\
reference=<lot-007.20260302@passerelle.invalid>\ndate=20260303\nresultat=positif\n";

#[test]
fn the_modelled_text() {
    assert_eq!(String::from_utf8(write(&positive())).unwrap(), POSITIVE);
    let neg = String::from_utf8(write(&negative())).unwrap();
    assert!(neg.ends_with(
        "resultat=negatif\nmotif=E12\nlibelle=Lot reçu en double : déjà acquis le 02/03/2026\n"
    ));
    assert_eq!(parse(neg.as_bytes()), Ok(negative()));
}

#[test]
fn key_order_crlf_and_final_newline_are_free() {
    let mut lines: Vec<&str> = POSITIVE.lines().collect();
    lines[1..].reverse();
    assert_eq!(parse(lines.join("\r\n").as_bytes()), Ok(positive()));
}

fn err(text: &str) -> ArlError {
    parse(text.as_bytes()).unwrap_err()
}

#[test]
fn each_fault_has_its_error() {
    assert_eq!(
        parse(&vec![b'a'; 20_000]),
        Err(ArlError::TooLarge(16 * 1024))
    );
    assert_eq!(parse(b"ARL-MODELE-1\n\xff"), Err(ArlError::NotText));
    assert_eq!(err("ARL\nlot=007"), ArlError::BadMagic);
    assert_eq!(err(""), ArlError::BadMagic);
    assert_eq!(
        err(&POSITIVE.replace("ps=", "ps ")),
        ArlError::MalformedLine { line: 6 }
    );
    assert_eq!(
        err(&POSITIVE.replace("ps=", "pz=")),
        ArlError::UnknownKey {
            line: 6,
            key: "pz".into()
        }
    );
    assert_eq!(
        err(&format!("{POSITIVE}lot=008\n")),
        ArlError::DuplicateKey {
            line: 10,
            key: "lot"
        }
    );
    assert_eq!(
        err(&POSITIVE.replace("date=20260303\n", "")),
        ArlError::MissingKey("date")
    );
    assert!(matches!(
        err(&POSITIVE.replace("lot=007", "lot=7")),
        ArlError::MalformedNumber { key: "lot", .. }
    ));
    assert!(matches!(
        err(&POSITIVE.replace("lot=007", "lot=000")),
        ArlError::InvalidValue { key: "lot", .. }
    ));
    assert!(matches!(
        err(&POSITIVE.replace("20260303", "20260230")),
        ArlError::InvalidValue { key: "date", .. }
    ));
    assert!(matches!(
        err(&POSITIVE.replace("<lot-007.", "lot-007.")),
        ArlError::InvalidValue {
            key: "reference",
            ..
        }
    ));
    assert_eq!(
        err(&POSITIVE.replace("positif", "ok")),
        ArlError::BadOutcome("ok".into())
    );
    assert!(matches!(
        err(&format!("{POSITIVE}motif=E1\n")),
        ArlError::Inconsistent(_)
    ));
    let neg = String::from_utf8(write(&negative())).unwrap();
    assert_eq!(
        err(&neg.replace("motif=E12\n", "")),
        ArlError::MissingKey("motif")
    );
    assert!(matches!(
        err(&neg.replace("libelle=Lot", "libelle= Lot")),
        ArlError::InvalidValue { key: "libelle", .. }
    ));
    assert!(matches!(
        err(&neg.replace("motif=E12", "motif=e12")),
        ArlError::InvalidValue { key: "motif", .. }
    ));
    let message = err(&POSITIVE.replace("ps=", "pz=")).to_string();
    assert_eq!(message, "ARL refusé : ligne 6 : clé inconnue « pz ».");
}
