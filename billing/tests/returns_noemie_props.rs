//! Property tests of the NOEMIE parser and writer: no input makes `parse` panic, and
//! `parse` is the inverse of `write`. `PROPTEST_CASES` raises the case count.

#[path = "returns_common/mod.rs"]
mod common;

use common::{apply, config, gzip, mutation, noemie_file};
use passerelle_billing::returns::noemie::{parse, write, Status};
use proptest::prelude::*;

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn arbitrary_bodies_after_a_valid_header_never_panic(
        file in noemie_file(),
        tail in proptest::collection::vec(any::<u8>(), 0..600),
    ) {
        let mut bytes = write(&file);
        bytes.truncate(128);
        bytes.extend(tail);
        let _ = parse(&bytes);
        let _ = parse(&gzip(&bytes));
    }

    #[test]
    fn mutated_files_never_panic(
        file in noemie_file(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = write(&file);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn mutated_gzip_never_panics(
        file in noemie_file(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let mut bytes = gzip(&write(&file));
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_inverts_write_plain_and_gzip(file in noemie_file()) {
        let bytes = write(&file);
        prop_assert_eq!(parse(&bytes), Ok(file.clone()));
        prop_assert_eq!(parse(&gzip(&bytes)), Ok(file));
    }

    #[test]
    fn status_follows_the_amounts(file in noemie_file()) {
        for (_, inv) in file.invoices() {
            let amc = inv.amc.unwrap_or_default();
            let asked = inv.amo.requested.get() + amc.requested.get();
            let paid = inv.amo.paid.get() + amc.paid.get();
            let expected = if paid == 0 && (asked > 0 || !inv.rejections.is_empty()) {
                Status::Rejected
            } else if paid >= asked && inv.rejections.is_empty() {
                Status::Paid
            } else {
                Status::PartlyPaid
            };
            prop_assert_eq!(inv.status(), expected);
        }
    }
}
