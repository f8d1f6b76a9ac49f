//! Worked examples of the modelled NOEMIE layout, and one refusal per error variant.

#[path = "returns_common/mod.rs"]
mod common;

use common::fixture::{find, replace, sample};
use passerelle_billing::returns::noemie::{parse, write, NoemieError, Status};

#[test]
fn the_modelled_layout_byte_by_byte() {
    let total = |n: i64| format!("{n:018}");
    let header = format!("{:<128}", "0005800175100011234567820260310000042");
    let control = format!(
        "990000000300000012{}{}{}{}@",
        total(7505),
        total(3955),
        total(1695),
        total(795)
    );
    let trailer = format!(
        "{:<128}",
        format!(
            "9990000420000010000000030000000014{}{}{}{}",
            total(7505),
            total(3955),
            total(1695),
            total(795)
        )
    );
    let expected: Vec<&[u8]> = vec![
        header.as_bytes(),
        b"08000701751000112345678@",
        b"1000000001011234567820260309@",
        b"19800000018550000001855@",
        b"19900000007950000000795@",
        b"10200000010298765432        @",
        b"19800000026500000000000@",
        b"290E0123Date de prestation=samedi non f\xe9ri\xe9@",
        b"1000000001031234567820260309@",
        b"19800000030000000002100@",
        b"19900000009000000000000@",
        b"290TPC01Facture TPC incompatible avec le type de contrat@",
        control.as_bytes(),
        trailer.as_bytes(),
    ];
    assert_eq!(header.len(), 128);
    assert_eq!(write(&sample()), expected.concat());
}

#[test]
fn statuses_come_from_amounts_and_rejections() {
    let f = sample();
    let s: Vec<Status> = f.invoices().map(|(_, i)| i.status()).collect();
    assert_eq!(s, [Status::Paid, Status::Rejected, Status::PartlyPaid]);
    let (lot, first) = f.invoices().next().unwrap();
    assert_eq!(
        (lot.lot_number.to_string(), first.fse.to_string()),
        ("007".into(), "000000101".into())
    );
    assert_eq!(f.trailer.totals.amo_paid, 1855 + 2100);
}

#[test]
fn gzip_and_line_breaks_are_accepted() {
    let f = sample();
    let bytes = write(&f);
    assert_eq!(parse(&common::gzip(&bytes)), Ok(f.clone()));
    let mut spaced = bytes[..128].to_vec();
    spaced.extend(b"\r\n");
    for &b in &bytes[128..] {
        spaced.push(b);
        if b == b'@' {
            spaced.extend(b"\r\n");
        }
    }
    spaced.extend(b"\n");
    assert_eq!(parse(&spaced), Ok(f));
}

#[test]
fn bad_headers_are_refused() {
    let bytes = write(&sample());
    for bad in [
        &b""[..],
        &bytes[..100],
        &replace(&bytes, b"000580", b"001580")[..],
    ] {
        assert!(
            matches!(parse(bad), Err(NoemieError::BadHeader(_))),
            "{:?}",
            parse(bad)
        );
    }
    let bad_date = replace(&bytes, b"20260310", b"20261310");
    let err = parse(&bad_date).unwrap_err();
    assert!(
        matches!(&err, NoemieError::BadHeader(m) if m.contains("date de création")),
        "{err}"
    );
}

#[test]
fn bad_trailers_are_refused() {
    let bytes = write(&sample());
    let body_end = bytes.len() - 128;
    let cases = [
        bytes[..body_end].to_vec(),
        bytes[..bytes.len() - 1].to_vec(),
        [&bytes[..], b"000"].concat(),
        replace(&bytes, b"999000042000001", b"999000042000002"),
        replace(&bytes, b"999000042", b"999000043"),
    ];
    for bad in cases {
        let err = parse(&bad).unwrap_err();
        assert!(matches!(err, NoemieError::BadTrailer(_)), "{err}");
    }
}

#[test]
fn an_entity_without_terminator_is_refused() {
    let bytes = write(&sample());
    let at = find(&bytes, b"@990") + 1;
    let mut bad = bytes.clone();
    bad[at + 90] = b' ';
    let err = parse(&bad).unwrap_err();
    assert_eq!(
        err,
        NoemieError::MissingTerminator {
            offset: at,
            code: "990".into()
        }
    );
    assert!(
        err.to_string().contains("n'est pas terminée par « @ »"),
        "{err}"
    );
}

#[test]
fn unknown_codes_wrong_lengths_and_order_are_refused() {
    let bytes = write(&sample());
    let err = parse(&replace(&bytes, b"@199", b"@150")).unwrap_err();
    assert!(
        matches!(err, NoemieError::UnknownEntity { ref code, .. } if code == "150"),
        "{err}"
    );
    let err = parse(&replace(&bytes, b"@1980000002650", b"@198000000265")).unwrap_err();
    assert!(
        matches!(
            err,
            NoemieError::BadLength {
                code: "198",
                found: 19,
                ..
            }
        ),
        "{err}"
    );
    let no_amo = replace(&bytes, b"@19800000018550000001855@", b"@");
    let err = parse(&no_amo).unwrap_err();
    assert!(
        matches!(err, NoemieError::UnexpectedEntity { code: "199", .. }),
        "{err}"
    );
}

#[test]
fn malformed_numbers_and_impossible_values_are_refused() {
    let bytes = write(&sample());
    let err = parse(&replace(&bytes, b"1980000002650", b"19800000026X0")).unwrap_err();
    assert!(
        matches!(
            err,
            NoemieError::MalformedNumber {
                code: "198",
                field: "montant demandé",
                ..
            }
        ),
        "{err}"
    );
    let err = parse(&replace(&bytes, b"100000000101", b"100000000000")).unwrap_err();
    assert!(
        matches!(
            err,
            NoemieError::InvalidValue {
                code: "100",
                field: "numéro de FSE",
                ..
            }
        ),
        "{err}"
    );
    let err = parse(&replace(&bytes, b"20260309@", b"20260230@")).unwrap_err();
    assert!(
        matches!(
            err,
            NoemieError::InvalidValue {
                field: "date de paiement",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn control_totals_must_match_the_invoices() {
    let bytes = write(&sample());
    let at = find(&bytes, b"@990") + 1;
    let mut bad = bytes.clone();
    bad[at + 3 + 6] = b'4';
    let err = parse(&bad).unwrap_err();
    assert_eq!(
        err,
        NoemieError::ControlTotals {
            lot: "007".into(),
            field: "nombre de factures",
            declared: 4,
            computed: 3
        }
    );
    let mut bad = bytes.clone();
    let amo_paid_last = at + 3 + 7 + 8 + 18 + 17;
    bad[amo_paid_last] = b'6';
    let err = parse(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            NoemieError::ControlTotals {
                field: "montant AMO payé",
                declared: 3956,
                computed: 3955,
                ..
            }
        ),
        "{err}"
    );
}
