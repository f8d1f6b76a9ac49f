//! The IVG forfaits (IV01 to IV06) and the general practitioner's cases (MG01 to MG13) of
//! `cases.md`.

use passerelle_protocol::ErrorCode::*;

use super::harness::Preg::Month;
use super::harness::*;

fn case(
    id: &'static str,
    source: &'static str,
    who: Who,
    at: &'static str,
    acts: Vec<passerelle_protocol::ActInput>,
    sit: Sit,
    expect: Expect,
) -> Case {
    Case {
        id,
        source,
        who,
        at,
        acts,
        sit,
        expect,
    }
}

fn ivg(fmv: &str) -> Vec<passerelle_protocol::ActInput> {
    vec![act("IC", &[]), act("FHV", &[]), act(fmv, &[])]
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    let sf = Who::Midwife(METRO);
    let g = || vec![act("G", &[])];
    let gp = Who::Gp("22");
    let sit = Sit::default;
    vec![
        case("IV01", "cases.md IV01 (a_verifier: date): IC, FHV, FMV 2024-03-03 [S9][S10]; R1.7 [S45]", sf, "2025-02-05 10:00", ivg("FMV"), sit(), parts([18407, 18407, 0, 0])),
        case("IV02", "cases.md IV02 (a_verifier: date): FMV martinique [S9]; R1.7", Who::Midwife(MARTINIQUE), "2025-02-05 11:00", ivg("FMV"), sit(), parts([21106, 21106, 0, 0])),
        case("IV03", "cases.md IV03 (a_verifier: date): FMV mayotte [S9]; R1.7", Who::Midwife(MAYOTTE), "2025-02-05 12:00", ivg("FMV"), sit(), parts([21416, 21416, 0, 0])),
        case("IV04", "cases.md IV04 (a_verifier: amount, date): FMV-S6 [S11][S12]; R1.7", sf, "2025-02-05 14:00", ivg("FMV-S6"), sit(), parts([19703, 19703, 0, 0])),
        case("IV05", "cases.md IV05 (a_verifier: 2019 date): IC, FHV, FMV 2019-12-18 [S8][S58]", sf, "2024-01-15 10:00", ivg("FMV"), sit(), parts([15857, 15857, 0, 0])),
        case("IV06", "cases.md IV06 (a_verifier: date): IPE 2019-12-18 [S8]", sf, "2025-02-06 10:00", vec![act("IPE", &[])], sit(), parts([3565, 3565, 0, 0])),
        case("MG01", "cases.md MG01 (source): G 2024-12-22 [S14][S15]; R1.1 [S55]", gp, "2025-03-12 09:00", g(), sit(), parts([3000, 2100, 900, 0])),
        case("MG02", "cases.md MG02 (a_verifier: date): G 2023-11-01 [S14][S16]", gp, "2024-12-21 09:00", g(), sit(), parts([2650, 1855, 795, 0])),
        case("MG03", "cases.md MG03 (source): G 2024-12-22 [S14]", gp, "2024-12-23 09:00", g(), sit(), parts([3000, 2100, 900, 0])),
        case("MG04", "cases.md MG04 (a_verifier): G 2017-05-01 [S19]", gp, "2023-10-31 09:00", g(), sit(), parts([2500, 1750, 750, 0])),
        case("MG05", "cases.md MG05 (source): R1.4 ALD [S34]", gp, "2025-03-12 10:00", g(), Sit { ald: true, ..sit() }, parts([3000, 3000, 0, 0])),
        case("MG06", "cases.md MG06 (source): R1.4 [S34]", gp, "2025-03-12 10:30", g(), sit(), parts([3000, 2100, 900, 0])),
        case("MG07", "cases.md MG07 (source): R1.5 C2S [S36]", gp, "2025-03-12 11:00", g(), Sit { c2s: true, ..sit() }, parts([3000, 2100, 0, 900])),
        case("MG08", "cases.md MG08 (source): R1.6 [modelled] TPC", gp, "2025-03-12 11:30", g(), Sit { tpc: Some(true), ..sit() }, parts([3000, 2100, 0, 900])),
        case("MG09", "cases.md MG09 (source): R1.2 [S20]", gp, "2025-03-12 14:00", g(), Sit { preg: Some(Month(7)), ..sit() }, parts([3000, 3000, 0, 0])),
        case("MG10", "cases.md MG10 (a_verifier: AT rate): R1.3 [S43]", gp, "2025-03-12 14:30", g(), Sit { work_accident: true, ..sit() }, parts([3000, 3000, 0, 0])),
        case("MG11", "cases.md MG11 (a_verifier): G drom 2024-12-22 [S17]", Who::Gp(MARTINIQUE), "2025-03-12 15:00", g(), sit(), parts([3560, 2492, 1068, 0])),
        case("MG12", "cases.md MG12 (a_verifier): VG [S48], MD [S49]", gp, "2025-03-12 16:00", vec![act("VG", &["MD"])], sit(), parts([4000, 2800, 1200, 0])),
        case("MG13", "cases.md MG13 (source): R1.4, R1.10 [S34][S35]", gp, "2025-03-12 16:30", g(), Sit { rate: Some(100), ..sit() }, Expect::Refused(CoverageRateMismatch)),
    ]
}
