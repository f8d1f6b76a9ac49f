//! The modelled online rights service (ADRi) and e-carte Vitale (ApCV): answers marked as
//! coming from the online service, and the card itself unchanged by a query.

mod common;

use common::expect_api_error;
use passerelle_protocol::{DataSource, RightsAnswer, VitaleCard};
use passerelle_tests::{Backend, Daemon, TestDir};
use serde_json::json;

const VITALE: &str = "/v1/readers/Passerelle%20lecteur%20simul%C3%A9%200/vitale";

#[tokio::test(flavor = "multi_thread")]
async fn online_rights_are_marked_and_never_written_to_the_card() {
    let dir = TestDir::new("online_rights_are_marked_and_never_written_to_the_card");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let card: VitaleCard = daemon.get_json(VITALE).await.unwrap();
    assert_eq!(card.source, DataSource::Card);
    assert!(card.rights.is_none(), "no verified CPS yet");

    let online: RightsAnswer = daemon
        .post_json(
            "/v1/rights",
            &json!({ "nir": card.nir.value, "birth_date": card.insured.birth_date }),
        )
        .await
        .unwrap();
    assert_eq!(online.card.source, DataSource::OnlineService);
    assert!(online.modelled, "the shipped service says it is modelled");
    assert_eq!(online.service, "adri");
    assert_eq!(online.card.nir, card.nir);
    assert!(online.card.rights.is_some());

    let apcv: RightsAnswer = daemon
        .post_json(
            "/v1/rights",
            &json!({ "apcv_token": format!("APCV-TEST-{}", card.serial) }),
        )
        .await
        .unwrap();
    assert_eq!(
        (apcv.service.as_str(), apcv.card.serial.as_str()),
        ("apcv", card.serial.as_str())
    );

    // The card and what the daemon remembers of it are untouched.
    let again: VitaleCard = daemon
        .get_json(&format!("{VITALE}?refresh=true"))
        .await
        .unwrap();
    assert_eq!(again, card);

    let unknown = daemon
        .post(
            "/v1/rights",
            &json!({ "nir": "290017512345659", "birth_date": "1990-01-01" }),
        )
        .await
        .unwrap();
    let status = unknown.status().as_u16();
    assert!(status == 404 || status == 400, "{status}");
    let bad = daemon
        .post("/v1/rights", &json!({ "nir": card.nir.value }))
        .await
        .unwrap();
    expect_api_error(bad, 400, "bad_request").await;
    let none = daemon
        .post("/v1/rights", &json!({ "apcv_token": "APCV-TEST-0000" }))
        .await
        .unwrap();
    expect_api_error(none, 404, "rights_not_found").await;
}
