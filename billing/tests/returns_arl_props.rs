//! Property tests of the ARL parser and writer. `PROPTEST_CASES` raises the case count.

#[path = "returns_common/mod.rs"]
mod common;

use common::{apply, arl, config, mutation};
use passerelle_billing::returns::arl::{parse, write};
use proptest::prelude::*;

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse(&bytes);
    }

    #[test]
    fn arbitrary_text_after_the_first_line_never_panics(text in "\\PC{0,300}") {
        let _ = parse(format!("ARL-MODELE-1\n{text}").as_bytes());
    }

    #[test]
    fn mutated_arls_never_panic(
        a in arl(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = write(&a);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = parse(&bytes);
    }

    #[test]
    fn parse_inverts_write(a in arl()) {
        prop_assert_eq!(parse(&write(&a)), Ok(a.clone()));
        let crlf = String::from_utf8(write(&a)).unwrap().replace('\n', "\r\n");
        prop_assert_eq!(parse(crlf.as_bytes()), Ok(a));
    }
}
