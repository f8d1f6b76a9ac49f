//! The online rights answers the daemon gave, kept a day by reference so an FSE can name
//! the one it is drawn up with (`rights: {"source": "online", "reference": ...}`) and the
//! daemon — never the client — fills in the rights. In memory only: after a restart the
//! client asks again (the FSE already drawn up keep their snapshot).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use passerelle_protocol::RightsAnswer;

/// How long an answer can be named.
pub const KEPT_FOR: Duration = Duration::from_secs(24 * 3600);
/// How many answers are kept at most (the oldest go first).
pub const MAX_KEPT: usize = 10_000;

/// The answers, oldest first.
#[derive(Default)]
pub struct OnlineAnswers {
    kept: Mutex<VecDeque<(Instant, RightsAnswer)>>,
}

impl OnlineAnswers {
    /// Gives `answer` a fresh reference (`{service}-{64 random bits in hex}`), keeps it and
    /// returns it.
    pub fn keep(&self, mut answer: RightsAnswer) -> RightsAnswer {
        let mut bytes = [0u8; 8];
        // The OS random source failing is not something to limp on.
        getrandom::getrandom(&mut bytes).expect("operating system random source");
        answer.reference = format!("{}-{}", answer.service, hex::encode(bytes));
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while kept
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > KEPT_FOR || kept.len() >= MAX_KEPT)
        {
            kept.pop_front();
        }
        kept.push_back((now, answer.clone()));
        answer
    }

    /// The answer of `reference`, if kept and not older than a day.
    pub fn get(&self, reference: &str) -> Option<RightsAnswer> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .rev()
            .find(|(_, a)| a.reference == reference)
            .filter(|(at, _)| at.elapsed() <= KEPT_FOR)
            .map(|(_, a)| a.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_protocol::{Beneficiary, DataSource, Nir, VitaleCard};

    fn answer() -> RightsAnswer {
        let b = Beneficiary {
            last_name: "X".into(),
            first_name: "Y".into(),
            birth_date: "2000-01-01".into(),
            birth_rank: 1,
            quality: "00".into(),
            nir: None,
        };
        RightsAnswer {
            card: VitaleCard {
                serial: "1".into(),
                valid_until: "2030-01-01".into(),
                insured: b.clone(),
                beneficiaries: vec![b],
                nir: Nir {
                    value: "292016938801232".into(),
                    key_valid: true,
                },
                rights: None,
                rights_unavailable: None,
                source: DataSource::OnlineService,
            },
            service: "adri".into(),
            reference: String::new(),
            answered_at: "2026-11-30T10:00:00Z".into(),
            modelled: true,
        }
    }

    #[test]
    fn answers_are_found_by_their_fresh_reference() {
        let kept = OnlineAnswers::default();
        let a = kept.keep(answer());
        let b = kept.keep(answer());
        assert!(a.reference.starts_with("adri-") && a.reference.len() == 21);
        assert_ne!(a.reference, b.reference);
        assert_eq!(kept.get(&a.reference), Some(a));
        assert_eq!(kept.get("adri-0000000000000000"), None);
    }
}
