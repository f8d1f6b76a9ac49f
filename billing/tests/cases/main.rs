//! The billed cases of `billing/data/cases.md`, each drawn up by the billing layer and
//! compared with the parts the research computed by hand from the cited tariff rows and
//! rules (total, AMO, patient and AMC parts in cents), or with the refusal it must meet.
//! Every case names its source: the case id in `cases.md`, the tariff rows
//! (`billing/data/tariffs.psv`, sources `[Sx]` in `SOURCES.md`) and the rules (`RULES.md`).
//! A case marked `a_verifier` fixes what Passerelle does with the table as it is, not a
//! caisse's confirmed answer.
//!
//! Also: the four most frequent rejections of the caisse (seed 003) each refused with its
//! own code.

mod harness;
mod midwife;
mod others;
mod seed003;

use harness::{run, Expect};
use passerelle_protocol::ErrorCode;

#[test]
fn every_case_is_billed_as_its_source_says() {
    let cases: Vec<_> = midwife::cases()
        .into_iter()
        .chain(others::cases())
        .collect();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        assert!(
            case.source.contains("cases.md") && case.source.contains('['),
            "{}: cite the case and its tariff or rule sources",
            case.id
        );
        if let Err(why) = run(case) {
            failures.push(format!("{} ({}): {why}", case.id, case.source));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let accepted = cases
        .iter()
        .filter(|c| matches!(c.expect, Expect::Parts { .. }))
        .count();
    assert!(accepted >= 40, "{accepted} accepted cases with their parts");
}

#[test]
fn the_caisses_most_frequent_rejections_each_have_their_code() {
    let rejections = seed003::rejections();
    let mut codes: Vec<ErrorCode> = Vec::new();
    for (wording, case) in &rejections {
        let e = harness::draw(case).expect_err(wording);
        assert!(
            e.to_string().contains(wording),
            "{}: « {wording} » not in « {e} »",
            case.id
        );
        codes.push(e.code());
    }
    assert_eq!(
        codes,
        [
            ErrorCode::ExonerationNotFound,
            ErrorCode::TpcIncompatibleContract,
            ErrorCode::SurchargeNotSundayOrHoliday,
            ErrorCode::CoverageRateMismatch,
        ]
    );
}
