//! A workstation without a screen: `passerelle status` and `passerelle lots` through the
//! daemon's socket give what `GET /v1/status` and `GET /v1/lots` give, without pairing.

mod common;

use common::billing::{accepted, from_vitale, json_of, post_keyed};
use common::route;
use common::security::{ask_pairing, cli_ok};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{LotList, ServiceStatus, VitaleCard};
use passerelle_tests::{Backend, Daemon, TestDir};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread")]
async fn status_and_lots_without_a_screen() {
    let dir = TestDir::new("status_and_lots_without_a_screen");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let readers = daemon.readers().await.unwrap().readers;
    let (vitale_reader, cps_reader, empty_reader) =
        (&readers[0].name, &readers[1].name, &readers[2].name);

    // Status: the readers and their cards, and a pairing request waiting.
    ask_pairing(&daemon, "https://facturation.example", &["read_cards"]).await;
    let text = cli_ok(&daemon, &["status"]).await;
    assert!(text.contains("lecteurs simulés, disponibles"), "{text}");
    assert!(
        text.contains(&format!("{vitale_reader} : Carte Vitale")),
        "{text}"
    );
    assert!(text.contains(&format!("{cps_reader} : CPS")), "{text}");
    assert!(text.contains(&format!("{empty_reader} : vide")), "{text}");
    assert!(text.contains("Jumelages en attente : 1"), "{text}");
    let from_socket: ServiceStatus =
        serde_json::from_str(&cli_ok(&daemon, &["status", "--json"]).await).unwrap();
    let from_api = daemon.status().await.unwrap();
    assert_eq!(from_socket.readers, from_api.readers);
    assert_eq!(from_socket.version, from_api.version);

    // Lots: none, then the one a midwife builds through the API.
    assert_eq!(cli_ok(&daemon, &["lots"]).await.trim(), "Aucun lot.");
    let _: Value = daemon
        .post_json(&route(cps_reader, "pin/verify"), &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let card: VitaleCard = daemon
        .get_json(&route(vitale_reader, "vitale"))
        .await
        .unwrap();
    let day = format_date(paris_date(SystemClock.now()));
    let mut fse = from_vitale(&card, &day);
    fse.deferred_signature = true;
    let created = accepted(
        &json_of(post_keyed(&daemon, "/v1/fse", "c1", &json!({ "fse": [fse] })).await).await,
    );
    let ids: Vec<i64> = created.iter().map(|f| f.id).collect();
    let sign = json!({ "reader": cps_reader, "fse": ids });
    let _: Value = json_of(post_keyed(&daemon, "/v1/fse/sign", "s1", &sign).await).await;
    let lot = json!({ "reader": cps_reader, "situation": 0 });
    let built: LotList = json_of(post_keyed(&daemon, "/v1/lots", "l1", &lot).await).await;
    assert_eq!(built.lots.len(), 1);

    let from_socket: LotList =
        serde_json::from_str(&cli_ok(&daemon, &["lots", "--json"]).await).unwrap();
    let from_api: LotList = daemon.get_json("/v1/lots").await.unwrap();
    assert_eq!(from_socket, from_api);
    let text = cli_ok(&daemon, &["lots"]).await;
    let lot = &from_api.lots[0];
    assert!(
        text.contains(&format!("lot {} (id {})", lot.number, lot.id)),
        "{text}"
    );
    assert!(text.contains("1 FSE"), "{text}");
    assert!(text.contains("signé, à envoyer"), "{text}");
    let other = cli_ok(&daemon, &["lots", "--practitioner", "00000000"]).await;
    assert_eq!(other.trim(), "Aucun lot.");
}
