use passerelle_protocol::Fse;
use time::macros::{date, datetime};

use super::layout::{ALL, FILE_HEADER, INVOICE_END, LOT_END, LOT_HEADER};
use super::*;
use crate::samples::varied;
use crate::tariffs::Tariffs;

fn invoices(n: usize) -> Vec<Fse> {
    let t = Tariffs::embedded().unwrap();
    (0..n)
        .map(|i| {
            let mut f =
                crate::samples::draw(&t, &varied(i, "2026-03-02"), date!(2026 - 03 - 02)).unwrap();
            f.number = format!("{:09}", i + 1);
            f
        })
        .collect()
}

fn header() -> LotHeader {
    let f = &invoices(1)[0];
    LotHeader {
        practitioner: f.practitioner.billing_number.clone(),
        lot_number: 7,
        organism: f.organism.clone(),
        created: datetime!(2026-03-02 18:30:05 UTC),
    }
}

#[test]
fn layouts_fit_in_a_record() {
    for l in ALL {
        let width: usize = l.kind.len() + l.fields.iter().map(|f| f.width).sum::<usize>();
        assert!(width <= RECORD_LEN, "{}: {width}", l.kind);
    }
}

#[test]
fn every_record_is_128_ascii_characters_in_order() {
    let inv = invoices(9);
    let bytes = write_lot(&header(), &inv).unwrap();
    let recs = records(&bytes).unwrap();
    let acts: usize = inv.iter().map(|f| f.acts.len()).sum();
    assert_eq!(recs.len(), 4 + 2 * inv.len() + acts);
    assert!(bytes
        .iter()
        .all(|b| b.is_ascii() && *b != b'\n' && *b != b'\r'));
    let kinds: String = recs
        .iter()
        .map(|r| {
            if r.starts_with(b"000") {
                'H'
            } else if r.starts_with(b"999") {
                'T'
            } else {
                r[0] as char
            }
        })
        .collect();
    let mut expected = String::from("H1");
    for f in &inv {
        expected.push('2');
        expected.extend(std::iter::repeat_n('3', f.acts.len()));
        expected.push('5');
    }
    expected.push_str("6T");
    assert_eq!(kinds, expected);
    assert_eq!(&recs[1][..4], b"1007");
}

#[test]
fn totals_equal_the_sum_of_invoices() {
    let inv = invoices(25);
    let bytes = write_lot(&header(), &inv).unwrap();
    let s = check(&bytes).unwrap();
    let total: i64 = inv.iter().map(|f| f.amounts.total_cents).sum();
    let amo: i64 = inv.iter().map(|f| f.amounts.amo_cents).sum();
    assert_eq!(
        (s.lots, s.invoices, s.total_cents, s.amo_cents),
        (1, 25, total, amo)
    );
    let recs = records(&bytes).unwrap();
    let lot_end = recs[recs.len() - 2];
    assert_eq!(number(&LOT_END, lot_end, "total"), Some(total));
    assert_eq!(number(&LOT_END, lot_end, "invoices"), Some(25));
    let ends: i64 = recs
        .iter()
        .filter(|r| r[0] == b'5')
        .filter_map(|r| number(&INVOICE_END, r, "total"))
        .sum();
    assert_eq!(ends, total);
}

#[test]
fn check_catches_tampering_and_truncation() {
    let bytes = write_lot(&header(), &invoices(4)).unwrap();
    assert!(check(&bytes[..bytes.len() - 1]).is_err());
    assert!(check(&bytes[..bytes.len() - RECORD_LEN]).is_err());
    // Change one act amount: the invoice end no longer matches.
    let mut tampered = bytes.clone();
    let act = records(&bytes)
        .unwrap()
        .iter()
        .position(|r| r[0] == b'3')
        .unwrap();
    let at = act * RECORD_LEN + 1 + 9 + 2 + 1 + 7 + 6 + 1 + 1 + 12 + 8;
    tampered[at] = if tampered[at] == b'9' { b'8' } else { b'9' };
    assert!(check(&tampered).is_err());
    // Swap two records.
    let mut swapped = bytes.clone();
    swapped[RECORD_LEN..3 * RECORD_LEN].rotate_left(RECORD_LEN);
    assert!(check(&swapped).is_err());
    assert!(check(b"").is_err());
}

#[test]
fn writing_is_pure_and_overflow_is_an_error() {
    let inv = invoices(3);
    assert_eq!(
        write_lot(&header(), &inv).unwrap(),
        write_lot(&header(), &inv).unwrap()
    );
    let mut h = header();
    h.lot_number = 1000;
    assert!(matches!(
        write_lot(&h, &inv),
        Err(B2Error::Overflow { field: "lot", .. })
    ));
}

#[test]
fn text_is_folded_to_upper_ascii() {
    assert_eq!(fold("Hélène Œuvray-Ça"), "HELENE OEUVRAY-CA");
    assert_eq!(fold("李"), " ");
}

#[test]
fn mutated_files_never_panic_the_checker() {
    let bytes = write_lot(&header(), &invoices(3)).unwrap();
    // Every position, a few replacement bytes (digit, letter, space, non-ASCII), and cuts.
    for at in 0..bytes.len() {
        for b in [b'0', b'9', b'A', b' ', 0xC3] {
            let mut m = bytes.clone();
            m[at] = b;
            let _ = check(&m);
        }
    }
    for cut in (0..bytes.len()).step_by(61) {
        let _ = check(&bytes[..cut]);
        let _ = check(&bytes[cut..]);
    }
    // Changing any record-type byte is always caught.
    for i in 1..bytes.len() / RECORD_LEN - 1 {
        let mut m = bytes.clone();
        m[i * RECORD_LEN] = b'4';
        assert!(check(&m).is_err(), "record {i}");
    }
}

#[test]
fn ascii_folds_to_its_upper_case_and_numbers_pad() {
    for c in ' '..='~' {
        assert_eq!(fold_char(c), c.to_ascii_uppercase().to_string(), "{c:?}");
    }
    let mut zone = [b' '; 5];
    assert!(write_number(42, &mut zone));
    assert_eq!(&zone, b"00042");
    assert!(!write_number(123_456, &mut zone));
    assert!(!write_number(-1, &mut zone));
}

#[test]
fn dates_are_paris_time_not_utc() {
    // 23:30 UTC on 1 March is 00:30 on 2 March in Paris (winter), 22:30 UTC on 30 June is
    // 00:30 on 1 July (summer): the file, its lot and its time are the practitioner's.
    for (created, day, time) in [
        (datetime!(2026-03-01 23:30 UTC), "20260302", "003000"),
        (datetime!(2026-06-30 22:30 UTC), "20260701", "003000"),
    ] {
        let h = LotHeader {
            created,
            ..header()
        };
        let bytes = write_lot(&h, &invoices(1)).unwrap();
        let recs = records(&bytes).unwrap();
        assert_eq!(field(&FILE_HEADER, recs[0], "date"), Some(day));
        assert_eq!(field(&FILE_HEADER, recs[0], "time"), Some(time));
        assert_eq!(field(&LOT_HEADER, recs[1], "date"), Some(day));
    }
}
