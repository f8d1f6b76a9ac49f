//! A small NOEMIE file written out by hand, for the worked examples.

use passerelle_billing::returns::noemie::{
    InvoiceCode, Label, NoemieFile, NoemieHeader, NoemieInvoice, NoemieLot, Part, Rejection,
};
use passerelle_billing::returns::types::{
    CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism, ReasonCode,
};

pub fn part(requested: i64, paid: i64) -> Part {
    Part {
        requested: Cents::new(requested).unwrap(),
        paid: Cents::new(paid).unwrap(),
    }
}

pub fn invoice(
    fse: i64,
    amo: Part,
    amc: Option<Part>,
    rejections: &[(&str, &str)],
) -> NoemieInvoice {
    NoemieInvoice {
        code: InvoiceCode::E100,
        fse: FseNumber::new(fse).unwrap(),
        practitioner: Digits::new("12345678").unwrap(),
        payment_date: Some(CalendarDate::from_ymd(2026, 3, 9).unwrap()),
        amo,
        amc,
        rejections: rejections
            .iter()
            .map(|(c, l)| Rejection {
                code: ReasonCode::new(c).unwrap(),
                label: Label::new(l).unwrap(),
            })
            .collect(),
    }
}

/// One lot, three invoices: paid, rejected (a replacement's, `102`, unpaid), partly paid.
pub fn sample() -> NoemieFile {
    let mut rejected = invoice(
        102,
        part(2650, 0),
        None,
        &[("E0123", "Date de prestation=samedi non férié")],
    );
    rejected.code = InvoiceCode::E102;
    rejected.practitioner = Digits::new("98765432").unwrap();
    rejected.payment_date = None;
    let header = NoemieHeader {
        reference: Digits::new("580").unwrap(),
        emitter: Organism::new("01", "751", "0001").unwrap(),
        receiver: Digits::new("12345678").unwrap(),
        created: CalendarDate::from_ymd(2026, 3, 10).unwrap(),
        file_number: Digits::new("000042").unwrap(),
    };
    let lot = NoemieLot {
        lot_number: LotNumber::new(7).unwrap(),
        organism: Organism::new("01", "751", "0001").unwrap(),
        sender: Digits::new("12345678").unwrap(),
        invoices: vec![
            invoice(101, part(1855, 1855), Some(part(795, 795)), &[]),
            rejected,
            invoice(
                103,
                part(3000, 2100),
                Some(part(900, 0)),
                &[("TPC01", "Facture TPC incompatible avec le type de contrat")],
            ),
        ],
    };
    NoemieFile::new(header, vec![lot])
}

pub fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len())
        .position(|w| w == needle)
        .expect("needle")
}

pub fn replace(bytes: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let at = find(bytes, old);
    [&bytes[..at], new, &bytes[at + old.len()..]].concat()
}
