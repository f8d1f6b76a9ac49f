//! Strategies and helpers shared by the property tests.
#![allow(dead_code)]

pub mod fixture;

use std::io::Write;

use passerelle_billing::returns::arl::{Arl, ArlLabel, ArlOutcome, MessageRef};
use passerelle_billing::returns::noemie::{
    InvoiceCode, Label, NoemieFile, NoemieHeader, NoemieInvoice, NoemieLot, Part, Rejection,
};
use passerelle_billing::returns::types::{
    CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism, ReasonCode,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// Case count: `PROPTEST_CASES` when set (e.g. 100000 in fuzz-long.sh), else `default`.
pub fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        max_shrink_iters: 2048,
        ..ProptestConfig::default()
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn digits<const N: usize>() -> impl Strategy<Value = Digits<N>> {
    proptest::collection::vec(b'0'..=b'9', N).prop_map(|v| Digits::from_bytes(&v).unwrap())
}

pub fn organism() -> impl Strategy<Value = Organism> {
    (digits(), digits(), digits()).prop_map(|(regime, caisse, centre)| Organism {
        regime,
        caisse,
        centre,
    })
}

pub fn lot_number() -> impl Strategy<Value = LotNumber> {
    (1i64..=999).prop_map(|n| LotNumber::new(n).unwrap())
}

pub fn fse_number() -> impl Strategy<Value = FseNumber> {
    prop_oneof![1i64..=20, 1i64..=999_999_999, Just(999_999_999i64)]
        .prop_map(|n| FseNumber::new(n).unwrap())
}

pub fn cents() -> impl Strategy<Value = Cents> {
    prop_oneof![0i64..=10_000, 0i64..=Cents::MAX, Just(Cents::MAX)]
        .prop_map(|n| Cents::new(n).unwrap())
}

pub fn date() -> impl Strategy<Value = CalendarDate> {
    (1i32..=9999, 1u8..=12, 1u8..=31).prop_filter_map("no such day", |(y, m, d)| {
        CalendarDate::from_ymd(y, m, d).ok()
    })
}

pub fn reason_code() -> impl Strategy<Value = ReasonCode> {
    proptest::collection::vec(
        prop_oneof![b'0'..=b'9', b'A'..=b'Z'].prop_map(char::from),
        1..=5,
    )
    .prop_map(|v| ReasonCode::new(&v.into_iter().collect::<String>()).unwrap())
}

pub fn label() -> impl Strategy<Value = Label> {
    let c = prop_oneof![
        4 => proptest::char::range(' ', '?'),
        4 => proptest::char::range('A', '~'),
        2 => proptest::char::range('\u{A0}', '\u{FF}'),
    ];
    proptest::collection::vec(c, 1..=70).prop_filter_map("blank", |v| {
        Label::new(&v.into_iter().collect::<String>()).ok()
    })
}

pub fn part() -> impl Strategy<Value = Part> {
    (cents(), cents()).prop_map(|(requested, paid)| Part { requested, paid })
}

pub fn invoice() -> impl Strategy<Value = NoemieInvoice> {
    (
        prop_oneof![Just(InvoiceCode::E100), Just(InvoiceCode::E102)],
        fse_number(),
        digits(),
        proptest::option::of(date()),
        part(),
        proptest::option::of(part()),
        proptest::collection::vec(
            (reason_code(), label()).prop_map(|(code, label)| Rejection { code, label }),
            0..3,
        ),
    )
        .prop_map(
            |(code, fse, practitioner, payment_date, amo, amc, rejections)| NoemieInvoice {
                code,
                fse,
                practitioner,
                payment_date,
                amo,
                amc,
                rejections,
            },
        )
}

pub fn lot() -> impl Strategy<Value = NoemieLot> {
    (
        lot_number(),
        organism(),
        digits(),
        proptest::collection::vec(invoice(), 0..6),
    )
        .prop_map(|(lot_number, organism, sender, invoices)| NoemieLot {
            lot_number,
            organism,
            sender,
            invoices,
        })
}

pub fn header() -> impl Strategy<Value = NoemieHeader> {
    (digits(), organism(), digits(), date(), digits()).prop_map(
        |(reference, emitter, receiver, created, file_number)| NoemieHeader {
            reference,
            emitter,
            receiver,
            created,
            file_number,
        },
    )
}

pub fn noemie_file() -> impl Strategy<Value = NoemieFile> {
    (header(), proptest::collection::vec(lot(), 0..4))
        .prop_map(|(header, lots)| NoemieFile::new(header, lots))
}

pub fn message_ref() -> impl Strategy<Value = MessageRef> {
    let part = proptest::collection::vec(
        prop_oneof![
            b'a'..=b'z',
            b'A'..=b'Z',
            b'0'..=b'9',
            Just(b'.'),
            Just(b'-')
        ]
        .prop_map(char::from),
        1..40,
    )
    .prop_map(|v| v.into_iter().collect::<String>());
    (part.clone(), part).prop_map(|(l, r)| MessageRef::new(&format!("<{l}@{r}>")).unwrap())
}

pub fn arl_label() -> impl Strategy<Value = ArlLabel> {
    // Every character but the control ones (U+0000..=U+001F, U+007F..=U+009F).
    let c = prop_oneof![
        6 => proptest::char::range(' ', '~'),
        3 => proptest::char::range('\u{A0}', '\u{2FFF}'),
        1 => proptest::char::range('\u{3000}', '\u{10FFFF}'),
    ];
    proptest::collection::vec(c, 1..=200).prop_filter_map("blank", |v| {
        ArlLabel::new(&v.into_iter().collect::<String>()).ok()
    })
}

pub fn arl() -> impl Strategy<Value = Arl> {
    let outcome = prop_oneof![
        Just(ArlOutcome::Positive),
        (reason_code(), arl_label()).prop_map(|(code, label)| ArlOutcome::Negative { code, label }),
    ];
    (
        lot_number(),
        organism(),
        digits(),
        message_ref(),
        date(),
        outcome,
    )
        .prop_map(
            |(lot, organism, practitioner, reference, date, outcome)| Arl {
                lot,
                organism,
                practitioner,
                reference,
                date,
                outcome,
            },
        )
}

/// One damage done to a valid file.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
}

/// Bytes that matter to the parsers, more often than chance would pick them.
fn telling_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => any::<u8>(),
        1 => prop::sample::select(b"@09 \r\n=<>\x1f\x8b".to_vec()),
    ]
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        (any::<Index>(), telling_byte()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), telling_byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

pub fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len();
    match m {
        Mutation::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
        _ if len == 0 => {}
        Mutation::Flip(i, bit) => bytes[i.index(len)] ^= 1 << bit,
        Mutation::Set(i, b) => bytes[i.index(len)] = *b,
        Mutation::Delete(i) => {
            bytes.remove(i.index(len));
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(len)),
    }
}
