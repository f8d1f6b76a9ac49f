//! The four most frequent rejections of the caisse's billing report (seed 003, « Top 4 des
//! anomalies », [S35]), as cases.

use passerelle_protocol::{ActInput, ErrorCode};

use super::harness::{act, Case, Expect, Sit, Who, METRO};

/// The four most frequent rejections of the caisse's billing report (seed 003, « Top 4
/// des anomalies »), with the wording Passerelle's refusal must carry.
pub fn rejections() -> Vec<(&'static str, Case)> {
    let base = |id, at, acts: Vec<ActInput>, sit| Case {
        id,
        source: "seed 003 [S35]; cases.md",
        who: Who::Midwife(METRO),
        at,
        acts,
        sit,
        expect: Expect::Refused(ErrorCode::Internal),
    };
    vec![
        (
            "modulation du ticket modérateur non trouvée",
            base(
                "TM",
                "2025-03-12 10:00",
                vec![act("C", &["MSF"])],
                Sit {
                    ald: true,
                    rights_rate: Some("70"),
                    ..Sit::default()
                },
            ),
        ),
        (
            "facture TPC incompatible avec le type de contrat",
            base(
                "SF44",
                "2025-03-12 17:00",
                vec![act("C", &["MSF"])],
                Sit {
                    tpc: Some(false),
                    ..Sit::default()
                },
            ),
        ),
        (
            "date de prestation = samedi non férié",
            base(
                "SF34",
                "2025-03-15 11:00",
                vec![act("C", &["MSF", "F"])],
                Sit::default(),
            ),
        ),
        (
            "taux demandé (100 %) ≠ taux calculé (70 %)",
            base(
                "SF42",
                "2025-03-12 16:30",
                vec![act("C", &["MSF"])],
                Sit {
                    rate: Some(100),
                    ..Sit::default()
                },
            ),
        ),
    ]
}
