//! The simulator routes (demo backend) and start-up refusals of a bad configuration.

mod common;

use common::expect_api_error;
use passerelle_protocol::{CardKind, ReaderList};
use passerelle_tests::{Backend, Daemon, TestDir};

const EMPTY_READER: &str = "Passerelle lecteur simulé 2";

#[tokio::test(flavor = "multi_thread")]
async fn simulated_default_and_its_card_routes() {
    let dir = TestDir::new("simulated_default_and_its_card_routes");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let c = daemon.client();
    let cards = daemon.url("/v1/simulator/cards");
    let post = |body: String| {
        c.post(&cards)
            .header("content-type", "application/json")
            .body(body)
    };

    // The embedded default: a Vitale, a CPS and an empty reader.
    let kinds: Vec<_> = daemon
        .readers()
        .await
        .unwrap()
        .readers
        .iter()
        .map(|r| r.card.as_ref().map(|c| c.kind))
        .collect();
    assert_eq!(kinds, [Some(CardKind::Vitale), Some(CardKind::Cps), None]);

    let unknown = format!(r#"{{"reader":"{EMPTY_READER}","card":"vitale:personne"}}"#);
    expect_api_error(
        post(unknown).send().await.unwrap(),
        400,
        "unknown_simulated_card",
    )
    .await;
    let ghost = r#"{"reader":"Lecteur fantôme","card":"vitale:nguyen"}"#.to_owned();
    expect_api_error(post(ghost).send().await.unwrap(), 404, "reader_not_found").await;
    let empty = daemon.url("/v1/simulator/cards/Passerelle%20lecteur%20simul%C3%A9%202");
    expect_api_error(c.delete(&empty).send().await.unwrap(), 409, "no_card").await;

    // Insert answers with the state that already shows the card; remove likewise.
    let cpe = format!(r#"{{"reader":"{EMPTY_READER}","card":"cpe:petit-secretaire"}}"#);
    let after: ReaderList = post(cpe).send().await.unwrap().json().await.unwrap();
    assert_eq!(
        after.readers[2].card.as_ref().map(|c| c.kind),
        Some(CardKind::Cpe)
    );
    let after: ReaderList = c.delete(&empty).send().await.unwrap().json().await.unwrap();
    assert!(after.readers[2].card.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn simulator_routes_refuse_on_real_readers() {
    let dir = TestDir::new("simulator_routes_refuse_on_real_readers");
    // The PC/SC backend (with or without pcscd running): the simulator is not there.
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let resp = daemon
        .client()
        .post(daemon.url("/v1/simulator/cards"))
        .header("content-type", "application/json")
        .body(r#"{"reader":"Virtual PCD 00 00","card":"vitale:nguyen"}"#)
        .send()
        .await
        .unwrap();
    expect_api_error(resp, 409, "simulator_only").await;
}

#[test]
fn a_bad_configuration_is_refused_naming_the_key() {
    let dir = TestDir::new("a_bad_configuration_is_refused_naming_the_key");
    let config = dir.file("bad.toml");
    let cases = [
        ("[server]\nprot = 1\n", "prot"),
        ("[readers]\nbackend = \"usb\"\n", "backend"),
        ("[server]\nport = 0\n", "server.port"),
        (
            "[simulator]\nreaders = [\"vitale:personne\"]\n",
            "simulator.readers[0]",
        ),
    ];
    for (text, key) in cases {
        std::fs::write(&config, text).unwrap();
        let out = std::process::Command::new(passerelle_tests::passerelle_bin())
            .args(["run", "--config"])
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "{text} → {err}");
    }
}
