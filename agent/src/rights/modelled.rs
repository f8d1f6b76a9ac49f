//! The modelled rights service: answers from the Vitale fixtures of the simulator (the
//! same people as the simulated cards), read with the card profile itself so the answer
//! has exactly the card's shape, then marked `online_service` and `modelled`.
//!
//! Modelled e-carte Vitale token: `APCV-TEST-<card serial>` (the real ApCV exchange is
//! restricted).

use passerelle_protocol::{DataSource, RightsAnswer, RightsRequest, VitaleCard};

use super::{Identifiers, RightsError, RightsService};
use passerelle_cards::read_vitale;
use passerelle_simcard::fixtures::{self, Fixture};
use passerelle_simcard::{DirectTransaction, SimVitale};

/// Prefix of the modelled e-carte Vitale tokens.
pub const APCV_PREFIX: &str = "APCV-TEST-";

/// The rights service of the demonstration and the tests.
pub struct ModelledRightsService {
    people: Vec<VitaleCard>,
}

impl ModelledRightsService {
    /// The service over every embedded Vitale fixture.
    pub fn from_fixtures() -> Self {
        let people = fixtures::list()
            .into_iter()
            .filter_map(|spec| match fixtures::fixture(spec) {
                Ok(Fixture::Vitale(v)) => {
                    let mut card = SimVitale::new(v);
                    card.unlock_protected_zone();
                    read_vitale(&mut DirectTransaction::new(Box::new(card))).ok()
                }
                _ => None,
            })
            .collect();
        ModelledRightsService { people }
    }
}

impl RightsService for ModelledRightsService {
    fn query(&self, request: &RightsRequest) -> Result<RightsAnswer, RightsError> {
        let (found, service) = match Identifiers::of(request)? {
            Identifiers::Adri {
                nir,
                birth_date,
                birth_rank,
            } => (
                self.people.iter().find(|card| {
                    card.beneficiaries.iter().any(|b| {
                        b.nir.as_deref().unwrap_or(&card.nir.value) == nir
                            && b.birth_date == birth_date
                            && b.birth_rank == birth_rank
                    })
                }),
                "adri",
            ),
            Identifiers::Apcv(token) => (
                token
                    .strip_prefix(APCV_PREFIX)
                    .and_then(|serial| self.people.iter().find(|c| c.serial == serial)),
                "apcv",
            ),
        };
        let mut card = found.cloned().ok_or(RightsError::NotFound)?;
        card.source = DataSource::OnlineService;
        card.rights_unavailable = None;
        Ok(RightsAnswer {
            card,
            service: service.into(),
            reference: String::new(),
            answered_at: crate::audit::now_rfc3339(),
            modelled: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> ModelledRightsService {
        ModelledRightsService::from_fixtures()
    }

    #[test]
    fn adri_finds_the_insured_and_a_child_with_rights_marked_online() {
        let s = service();
        assert!(s.people.len() >= 3);
        let answer = s
            .query(&RightsRequest {
                nir: Some("178067511223315".into()),
                birth_date: Some("1978-06-14".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(answer.card.source, DataSource::OnlineService);
        assert!(answer.modelled && answer.service == "adri");
        assert!(answer.card.rights.is_some());
        let wrong_date = s.query(&RightsRequest {
            nir: Some("178067511223315".into()),
            birth_date: Some("1978-06-15".into()),
            ..Default::default()
        });
        assert_eq!(wrong_date, Err(RightsError::NotFound));
    }

    #[test]
    fn apcv_tokens_and_refusals() {
        let s = service();
        let serial = s.people[0].serial.clone();
        let answer = s
            .query(&RightsRequest {
                apcv_token: Some(format!("{APCV_PREFIX}{serial}")),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(answer.card.serial, serial);
        assert_eq!(answer.service, "apcv");
        for bad in [
            RightsRequest::default(),
            RightsRequest {
                nir: Some("178067511223399".into()),
                birth_date: Some("1978-06-14".into()),
                ..Default::default()
            },
            RightsRequest {
                nir: Some("178067511223315".into()),
                birth_date: Some("14/06/1978".into()),
                ..Default::default()
            },
            RightsRequest {
                nir: Some("178067511223315".into()),
                birth_date: Some("1978-06-14".into()),
                apcv_token: Some("x".into()),
                ..Default::default()
            },
        ] {
            assert!(
                matches!(s.query(&bad), Err(RightsError::Invalid(_))),
                "{bad:?}"
            );
        }
        assert_eq!(
            s.query(&RightsRequest {
                apcv_token: Some("APCV-TEST-000".into()),
                ..Default::default()
            }),
            Err(RightsError::NotFound)
        );
    }
}
