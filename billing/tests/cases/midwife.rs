//! The midwife's cases of `cases.md` (SF01 to SF61).

use passerelle_billing::samples::ccam;
use passerelle_protocol::ErrorCode::*;

use super::harness::Preg::{DaysAfter, Month, PostnatalMaladie};
use super::harness::*;

fn sit() -> Sit {
    Sit::default()
}

fn preg(p: Preg) -> Sit {
    Sit {
        preg: Some(p),
        ..Sit::default()
    }
}

fn case(
    id: &'static str,
    source: &'static str,
    zone: &'static str,
    at: &'static str,
    acts: Vec<passerelle_protocol::ActInput>,
    sit: Sit,
    expect: Expect,
) -> Case {
    Case {
        id,
        source,
        who: Who::Midwife(zone),
        at,
        acts,
        sit,
        expect,
    }
}

/// C + MSF, the midwife's consultation.
fn c() -> Vec<passerelle_protocol::ActInput> {
    vec![act("C", &["MSF"])]
}

#[rustfmt::skip]
pub fn cases() -> Vec<Case> {
    let m = METRO;
    let tpc = Sit {
        tpc: Some(true),
        ..sit()
    };
    let c2s = Sit { c2s: true, ..sit() };
    vec![
        case("SF01", "cases.md SF01 (source): C 2019-02-10 [S3][S1], MSF 2024-02-22 [S1]; R1.1 [S23]", m, "2025-03-12 10:00", c(), sit(), parts([2650, 1855, 795, 0])),
        case("SF02", "cases.md SF02 (source): idem SF01; R1.6 tiers payant complémentaire [modelled]", m, "2025-03-12 10:30", c(), tpc.clone(), parts([2650, 1855, 0, 795])),
        case("SF03", "cases.md SF03 (source): MSF 2019-02-10 (2 €) [S4][S3]", m, "2024-01-10 09:00", c(), sit(), parts([2500, 1750, 750, 0])),
        case("SF04", "cases.md SF04 (source): MSF 2024-02-22 [S1]", m, "2024-02-22 09:00", c(), sit(), parts([2650, 1855, 795, 0])),
        case("SF05", "cases.md SF05 (source): MSF 2019-02-10 [S4]", m, "2024-02-21 17:00", c(), sit(), parts([2500, 1750, 750, 0])),
        case("SF06", "cases.md SF06 (source): C drom, MSF drom 2024-02-22 [S1]", GUADELOUPE, "2025-03-12 10:00", c(), sit(), parts([3140, 2198, 942, 0])),
        case("SF07", "cases.md SF07 (source): V drom, MSF drom [S1]; R1.2 [S20]", REUNION, "2025-03-12 11:00", vec![act("V", &["MSF"])], preg(Month(7)), parts([3140, 3140, 0, 0])),
        case("SF08", "cases.md SF08 (source): V drom, MSF drom [S1]", GUYANE, "2025-03-12 14:00", vec![act("V", &["MSF"])], sit(), parts([3140, 2198, 942, 0])),
        case("SF09", "cases.md SF09 (source): C drom, MSF drom [S1]; R1.2 [S20]", MAYOTTE, "2025-03-12 15:00", c(), preg(Month(8)), parts([3140, 3140, 0, 0])),
        case("SF10", "cases.md SF10 (source): C drom from 2024-02-22 [S1], no fallback (tariffs.psv header)", MARTINIQUE, "2024-01-10 10:00", c(), sit(), Expect::Refused(TariffUnknownForZone)),
        case("SF11", "cases.md SF11 (source): R1.2 [S20]", m, "2025-04-02 09:00", c(), preg(Month(7)), parts([2650, 2650, 0, 0])),
        case("SF12", "cases.md SF12 (source): R1.2 obligatory exams [S20][S21]", m, "2025-04-02 10:00", c(), preg(Month(4)), parts([2650, 2650, 0, 0])),
        case("SF13", "cases.md SF13 (source): SF 2025-01-01 [S2][S3]; R1.2 PNP [S21b]", m, "2025-04-02 11:00", vec![act("SF 12", &[])], preg(Month(4)), parts([3840, 3840, 0, 0])),
        case("SF14", "cases.md SF14 (source): SF 2024-02-22 3.10 € [S1]; R1.2 [S20]", m, "2024-12-20 11:00", vec![act("SF 12", &[])], preg(Month(7)), parts([3720, 3720, 0, 0])),
        case("SF15", "cases.md SF15 (source): SF 2025-01-01 3.20 € [S2]; R1.2 [S20]", m, "2025-01-03 11:00", vec![act("SF 12", &[])], preg(Month(7)), parts([3840, 3840, 0, 0])),
        case("SF16", "cases.md SF16 (source): SF 2025-01-01 [S2]; R1.1 [S23]", m, "2025-05-06 09:00", vec![act("SF 7.5", &[])], sit(), parts([2400, 1680, 720, 0])),
        case("SF17", "cases.md SF17 (source): SF [S2]; R1.1, R1.6 [modelled]", m, "2025-05-06 09:30", vec![act("SF 7.5", &[])], tpc.clone(), parts([2400, 1680, 0, 720])),
        case("SF18", "cases.md SF18 (source): SP 2025-01-01 [S2][S3]; R1.2 [S20]", m, "2025-06-20 10:00", vec![act("SP 9", &[])], preg(DaysAfter(10)), parts([2880, 2880, 0, 0])),
        case("SF19", "cases.md SF19 (source): V, MSF, MD 2024-02-22 [S1]; R2.4 [S1]", m, "2025-06-10 10:00", vec![act("V", &["MSF", "MD"])], preg(PostnatalMaladie(20)), parts([3650, 2555, 1095, 0])),
        case("SF20", "cases.md SF20 (a_verifier: abatement): IK 2024-02-22 [S1][S2]; R4.1 [S33][S33b]", m, "2025-06-10 11:00", vec![act("V", &["MSF", "MD"]), ik("IK", 7)], preg(PostnatalMaladie(20)), parts([4260, 2982, 1278, 0])),
        case("SF21", "cases.md SF21 (a_verifier: abatement): IKM 2024-02-22 [S2]; R4.1 [S33]", m, "2025-06-10 14:00", vec![act("V", &["MSF", "MD"]), ik("IKM", 7)], preg(PostnatalMaladie(20)), parts([4742, 3319, 1423, 0])),
        case("SF22", "cases.md SF22 (a_verifier): R4.1 [S33b] (1 km: 2d - 4 < 0)", m, "2025-06-10 15:00", vec![act("V", &["MSF", "MD"]), ik("IK", 1)], preg(PostnatalMaladie(20)), Expect::Refused(InvalidFseField)),
        case("SF23", "cases.md SF23 (source): SF [S2], MD [S1]; R1.2 [S20], R2.4 [S1]", m, "2025-06-11 10:00", vec![act("SF 16.5", &["MD"])], preg(DaysAfter(5)), parts([6280, 6280, 0, 0])),
        case("SF24", "cases.md SF24 (source): SF [S2], MD [S1]; R1.2", m, "2025-06-14 10:00", vec![act("SF 12", &["MD"])], preg(DaysAfter(8)), parts([4840, 4840, 0, 0])),
        case("SF25", "cases.md SF25 (a_verifier: MDN [S38]); R2.2, R2.5", m, "2025-06-17 22:30", vec![act("V", &["MSF", "MDN"])], preg(DaysAfter(10)), parts([6500, 6500, 0, 0])),
        case("SF26", "cases.md SF26 (a_verifier: MDI [S38][S6]); R2.5", m, "2025-06-18 02:15", vec![act("V", &["MSF", "MDI"])], preg(DaysAfter(11)), parts([7000, 7000, 0, 0])),
        case("SF27", "cases.md SF27 (a_verifier: MDD [S38]); R2.1, R2.5", m, "2025-06-15 14:00", vec![act("V", &["MSF", "MDD"])], preg(DaysAfter(8)), parts([4910, 4910, 0, 0])),
        case("SF28", "cases.md SF28 (source): MD instead of IFD [S3]; R2.4", m, "2025-06-10 16:00", vec![act("V", &["MSF", "MD", "IFD"])], preg(PostnatalMaladie(20)), Expect::Refused(ModifierNotApplicable)),
        case("SF29", "cases.md SF29 (source): MD cases [S1]; R2.4", m, "2025-03-12 16:00", vec![act("V", &["MSF", "MD"])], preg(Month(3)), Expect::Refused(ModifierNotApplicable)),
        case("SF30", "cases.md SF30 (a_verifier: F [S37][S38]); R2.1", m, "2025-06-15 11:00", vec![act("C", &["MSF", "F"])], sit(), parts([4750, 3325, 1425, 0])),
        case("SF31", "cases.md SF31 (a_verifier: F [S37][S38]); R1.2, R2.1", m, "2025-07-14 11:00", vec![act("C", &["MSF", "F"])], preg(Month(7)), parts([4750, 4750, 0, 0])),
        case("SF32", "cases.md SF32 (a_verifier: N [S37][S38]); R2.2", m, "2025-03-12 21:00", vec![act("C", &["MSF", "N"])], sit(), parts([6150, 4305, 1845, 0])),
        case("SF33", "cases.md SF33 (a_verifier: MM [S38]); R2.2", m, "2025-03-13 03:00", vec![act("C", &["MSF", "MM"])], preg(Month(8)), parts([6650, 6650, 0, 0])),
        case("SF34", "cases.md SF34 (source): seed 003 [S35]; R2.1", m, "2025-03-15 11:00", vec![act("C", &["MSF", "F"])], sit(), Expect::Refused(SurchargeNotSundayOrHoliday)),
        case("SF35", "cases.md SF35 (a_verifier): R2.2 [S50]", m, "2025-03-12 19:30", vec![act("C", &["MSF", "N"])], sit(), Expect::Refused(SurchargeNotAtNight)),
        case("SF36", "cases.md SF36 (a_verifier): R2.2 [S50]", m, "2025-03-12 23:00", vec![act("C", &["MSF", "MM"])], sit(), Expect::Refused(SurchargeNotAtNight)),
        case("SF37", "cases.md SF37 (a_verifier): no F row for the DROM [S37][S38]; R2.6", GUADELOUPE, "2025-05-27 11:00", vec![act("C", &["MSF", "F"])], sit(), Expect::Refused(TariffUnknownForZone)),
        case("SF38", "cases.md SF38 (a_verifier): R2.1, R2.6 [S35]", m, "2025-05-27 11:00", vec![act("C", &["MSF", "F"])], sit(), Expect::Refused(SurchargeNotSundayOrHoliday)),
        case("SF39", "cases.md SF39 (source): MSF on C and V only [S1]", m, "2025-04-02 14:00", vec![act("SF 12", &["MSF"])], preg(Month(7)), Expect::Refused(ModifierNotApplicable)),
        case("SF40", "cases.md SF40 (source): SF coefficients [S38]", m, "2025-04-02 14:30", vec![act("SF 13", &[])], preg(Month(7)), Expect::Refused(InvalidCoefficient)),
        case("SF41", "cases.md SF41 (source): C coefficient 1 [S1]", m, "2025-04-02 15:00", vec![act("C 2", &[])], sit(), Expect::Refused(InvalidCoefficient)),
        case("SF42", "cases.md SF42 (source): R1.1, R1.10 [S35]", m, "2025-03-12 16:30", c(), Sit { rate: Some(100), ..sit() }, Expect::Refused(CoverageRateMismatch)),
        case("SF43", "cases.md SF43 (source): R1.2, R1.10 [S35]", m, "2025-04-02 16:00", c(), Sit { rate: Some(70), ..preg(Month(7)) }, Expect::Refused(CoverageRateMismatch)),
        case("SF44", "cases.md SF44 (modelled R1.6): seed 003 [S35]", m, "2025-03-12 17:00", c(), Sit { tpc: Some(false), ..sit() }, Expect::Refused(TpcIncompatibleContract)),
        case("SF45", "cases.md SF45 (source): SFR 1.12 for C2S only [S1]", m, "2025-06-12 10:00", vec![act("SFR 1.12", &[])], preg(DaysAfter(7)), Expect::Refused(InvalidCoefficient)),
        case("SF46", "cases.md SF46 (a_verifier: SFR 45 € [S35]): SFR 1.12 [S1]; R1.2, R1.5 [S36]", m, "2025-06-12 11:00", vec![act("SFR 1.12", &[])], Sit { c2s: true, ..preg(DaysAfter(7)) }, parts([5040, 5040, 0, 0])),
        case("SF47", "cases.md SF47 (a_verifier: SFR 45 € [S35]); R1.2", m, "2025-06-12 12:00", vec![act("SFR", &[])], preg(DaysAfter(7)), parts([4500, 4500, 0, 0])),
        case("SF48", "cases.md SF48 (a_verifier: CCAM [S37][S38]); R3.2 [S29]", m, "2025-03-12 09:00", vec![act("C", &["MSF"]), ccam("JKHD001")], sit(), parts([3896, 2727, 1169, 0])),
        case("SF49", "cases.md SF49 (a_verifier: CCAM): R1.5 [S36][S46]", m, "2025-03-12 09:30", vec![act("C", &["MSF"]), ccam("JKHD001")], c2s.clone(), parts([3896, 2727, 0, 1169])),
        case("SF50", "cases.md SF50 (a_verifier: CCAM [S37][S38][S39])", m, "2025-03-12 10:00", vec![ccam("JKLD001")], sit(), parts([3840, 2688, 1152, 0])),
        case("SF51", "cases.md SF51 (source): CCAM III-3 A [S28]", m, "2025-03-12 10:30", vec![act("C", &["MSF"]), ccam("JKLD001")], sit(), Expect::Refused(ActsNotCumulative)),
        case("SF52", "cases.md SF52 (a_verifier): CCAM III-3 B [S27][S53b]", m, "2025-03-12 11:00", vec![ccam("JKLD001"), ccam("JKHD001")], sit(), parts([4463, 3124, 1339, 0])),
        case("SF53", "cases.md SF53 (a_verifier: CCAM [S37][S38])", m, "2025-03-12 11:30", vec![ccam("QZLA004")], sit(), parts([1799, 1259, 540, 0])),
        case("SF54", "cases.md SF54 (a_verifier: CCAM): R1.2 ultrasound at 70 % before the 6th month [S21]", m, "2025-03-04 09:00", vec![ccam("JQQM018")], preg(Month(5)), parts([10020, 7014, 3006, 0])),
        case("SF55", "cases.md SF55 (a_verifier: CCAM): R1.2 [S21]", m, "2025-05-20 09:00", vec![ccam("JQQM016")], preg(Month(8)), parts([10020, 10020, 0, 0])),
        case("SF56", "cases.md SF56 (a_verifier: CCAM): R1.2 [S21]", m, "2025-01-15 09:00", vec![ccam("JQQM010")], preg(Month(3)), parts([6147, 4303, 1844, 0])),
        case("SF57", "cases.md SF57 (source): R3.1 exception for birth preparation [S32]", m, "2025-04-02 09:00", vec![at_time(act("SF 12", &[]), "10:00"), at_time(act("SF 12", &[]), "16:00")], preg(Month(5)), parts([7680, 7680, 0, 0])),
        case("SF58", "cases.md SF58 (a_verifier): NGAP art. 11 B [S31][S30]", m, "2025-04-02 17:00", vec![act("SF 15.6", &[]), act("SF 12", &[])], preg(Month(8)), parts([6912, 6912, 0, 0])),
        case("SF59", "cases.md SF59 (source): NGAP art. 11 B [S31]", m, "2025-04-02 17:30", vec![act("SF 15.6", &[]), act("SF 12", &[]), act("SF 7.5", &[])], preg(Month(8)), Expect::Refused(ActsNotCumulative)),
        case("SF60", "cases.md SF60 (a_verifier: régime local rate): R1.1 [S35], the rights' maladie rate", m, "2025-03-12 10:00", c(), Sit { rights_rate: Some("90"), ..sit() }, parts([2650, 2385, 265, 0])),
        case("SF61", "cases.md SF61 (a_verifier): V, MSF, IK drom [S1]; R4.1", REUNION, "2025-03-12 11:00", vec![act("V", &["MSF"]), ik("IK", 10)], sit(), parts([4308, 3016, 1292, 0])),
    ]
}
