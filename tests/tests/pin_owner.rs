//! The PIN belongs to the client that verified it (issue 12, finding 2), the cards behind
//! the real pcscd: once one application verified the CPS PIN, another paired application
//! with `sign` gets `pin_required` and the card sees no command for it (its VERIFY and PSO
//! counts stay the same); `security.pin_per_signature` asks for the PIN again before each
//! signature.

mod common;

use common::{expect_api_error, route};
use passerelle_tests::{Backend, Daemon, PcscdRig, Simcard, TestDir, READER_1, VPCD_PORT_1};
use serde_json::json;

const DURAND_PIN: &str = "4729";
/// The VERIFY and PSO (compute digital signature) headers as the simulated card logs them.
const VERIFY: &str = "00 20 00 81 [PIN masqué]";
const PSO: &str = "00 2A 9E 9A";
const DIGEST: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

async fn post(d: &Daemon, token: &str, path: &str, body: serde_json::Value) -> reqwest::Response {
    d.client_without_token()
        .post(d.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn start(dir: &TestDir, extra: &str) -> (PcscdRig, Daemon, Simcard) {
    let pcscd = PcscdRig::start(dir).unwrap();
    let d = Daemon::start_with(dir, Backend::Pcsc, extra).await.unwrap();
    let mut cps = Simcard::start(dir, VPCD_PORT_1, "cps:durand-sage-femme", &[]).unwrap();
    cps.wait_line("inserted", std::time::Duration::from_secs(15))
        .await
        .unwrap();
    common::wait_card(&d, READER_1, true).await;
    (pcscd, d, cps)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_application_cannot_sign_with_the_first_ones_pin() {
    let dir = TestDir::new("a_second_application_cannot_sign_with_the_first_ones_pin");
    let (_pcscd, d, cps) = start(&dir, "").await;
    let first = d.token();
    let second = d
        .pair_local("seconde", &["read_cards", "sign"])
        .await
        .unwrap();
    let resp = post(
        &d,
        &first,
        &route(READER_1, "pin/verify"),
        json!({"pin": DURAND_PIN}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let ok = post(
        &d,
        &first,
        &route(READER_1, "signature"),
        json!({"digest_sha256": DIGEST}),
    )
    .await;
    assert_eq!(ok.status(), 200, "the verifier signs");
    let (verifies, psos) = (cps.commands_seen(VERIFY), cps.commands_seen(PSO));

    let refused = post(
        &d,
        &second,
        &route(READER_1, "signature"),
        json!({"digest_sha256": DIGEST}),
    )
    .await;
    expect_api_error(refused, 403, "pin_required").await;
    for (path, body) in [
        (
            "/v1/fse/sign",
            json!({"reader": READER_1, "situation": 0, "fse": [1]}),
        ),
        ("/v1/lots", json!({"reader": READER_1, "situation": 0})),
    ] {
        let resp = post(&d, &second, path, body).await;
        let err = resp.text().await.unwrap();
        assert!(err.contains("pin_required"), "{path}: {err}");
    }
    // Its PIN state says it is not verified for it, and asking cost nothing.
    let status: serde_json::Value = d
        .client_without_token()
        .get(d.url(&route(READER_1, "pin")))
        .bearer_auth(&second)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["verified"], false, "{status}");
    assert_eq!(
        cps.commands_seen(VERIFY),
        verifies,
        "VERIFY sent for a refusal"
    );
    assert_eq!(cps.commands_seen(PSO), psos, "PSO sent for a refusal");
    // The first application still signs.
    let ok = post(
        &d,
        &first,
        &route(READER_1, "signature"),
        json!({"digest_sha256": DIGEST}),
    )
    .await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn pin_per_signature_consumes_the_verification() {
    let dir = TestDir::new("pin_per_signature_consumes_the_verification");
    let (_pcscd, d, cps) = start(&dir, "[security]\npin_per_signature = true\n").await;
    let token = d.token();
    let resp = post(
        &d,
        &token,
        &route(READER_1, "pin/verify"),
        json!({"pin": DURAND_PIN}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let signature = route(READER_1, "signature");
    let sign = || post(&d, &token, &signature, json!({"digest_sha256": DIGEST}));
    assert_eq!(sign().await.status(), 200);
    let psos = cps.commands_seen(PSO);
    expect_api_error(sign().await, 403, "pin_required").await;
    assert_eq!(cps.commands_seen(PSO), psos);
    let resp = post(
        &d,
        &token,
        &route(READER_1, "pin/verify"),
        json!({"pin": DURAND_PIN}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(sign().await.status(), 200);
}
