//! The simulated reader's PIN pad (PC/SC part 10 secure PIN entry) and the reader queue:
//! while the practitioner types on the pad, the CPS reader is held; another request waits,
//! is visible in the reader's status and can be cancelled. Simulated backend, real TLS.

mod common;

use std::time::Duration;

use common::expect_api_error;
use passerelle_protocol::{PinStatus, PinVerified, Reader};
use passerelle_tests::{Backend, Daemon, TestDir};
use serde_json::json;

/// The default simulated readers: 0 holds a Vitale, 1 the midwife's CPS on a PIN pad.
const CPS_READER: &str = "Passerelle lecteur simulé 1";
const PAD: &str = "/v1/simulator/pin-pad/Passerelle%20lecteur%20simul%C3%A9%201";

fn route(what: &str) -> String {
    format!("/v1/readers/Passerelle%20lecteur%20simul%C3%A9%201/{what}")
}

async fn cps_reader(daemon: &Daemon) -> Reader {
    let list = daemon.readers().await.unwrap();
    list.readers
        .into_iter()
        .find(|r| r.name == CPS_READER)
        .unwrap()
}

/// Starts a PIN verification on the reader's pad; it waits until keys are typed.
fn pad_entry(daemon: &Daemon) -> tokio::task::JoinHandle<reqwest::Response> {
    let (client, url) = (daemon.client(), daemon.url(&route("pin/verify")));
    tokio::spawn(async move {
        client
            .post(url)
            .json(&json!({ "secure_pin_entry": true }))
            .send()
            .await
            .unwrap()
    })
}

/// Polls the reader until `pred` holds.
async fn wait_queue(daemon: &Daemon, pred: impl Fn(&Reader) -> bool) -> Reader {
    for _ in 0..200 {
        let reader = cps_reader(daemon).await;
        if pred(&reader) {
            return reader;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "queue never reached the expected state: {:?}",
        cps_reader(daemon).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pin_typed_on_the_pad_and_a_visible_cancellable_queue() {
    let dir = TestDir::new("the_pin_typed_on_the_pad_and_a_visible_cancellable_queue");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let status: PinStatus = daemon.get_json(&route("pin")).await.unwrap();
    assert!(
        status.secure_pin_entry,
        "the simulated reader advertises its pad"
    );

    // The practitioner is asked to type on the pad: the request holds the reader.
    let entry = pad_entry(&daemon);
    let held = wait_queue(&daemon, |r| r.queue.holder.is_some()).await;
    let holder = held.queue.holder.unwrap();
    assert_eq!(holder.operation, "verify_pin");
    // The application's name, from its grant (the rig pairs as `passerelle-tests`).
    assert_eq!(holder.client.as_deref(), Some("passerelle-tests"));

    // Meanwhile another application asks for the CPS: it waits, visibly.
    let waiting = {
        let (client, url) = (daemon.client(), daemon.url(&route("cpx")));
        tokio::spawn(async move { client.get(url).send().await.unwrap() })
    };
    let reader = wait_queue(&daemon, |r| r.queue.waiting.len() == 1).await;
    let job = &reader.queue.waiting[0];
    assert_eq!(job.operation, "read_cpx");
    // Another application (read_cards only) may not cancel it; its owner may.
    let other = daemon
        .pair_local("autre-application", &["read_cards"])
        .await
        .unwrap();
    let refused = daemon
        .client_without_token()
        .delete(daemon.url(&route(&format!("jobs/{}", job.id))))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    expect_api_error(refused, 403, "scope_missing").await;
    let cancel = daemon
        .client()
        .delete(daemon.url(&route(&format!("jobs/{}", job.id))))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 200);
    expect_api_error(waiting.await.unwrap(), 409, "job_cancelled").await;
    let again = daemon
        .client()
        .delete(daemon.url(&route(&format!("jobs/{}", job.id))))
        .send()
        .await
        .unwrap();
    expect_api_error(again, 404, "job_not_found").await;
    // The operation holding the reader may be cancelled too (see misbehaving_cards.rs),
    // but, as a waiting one, only by the application that asked for it or an admin.
    let running = daemon
        .client_without_token()
        .delete(daemon.url(&route(&format!("jobs/{}", holder.id))))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    expect_api_error(running, 403, "scope_missing").await;

    // A wrong PIN typed on the pad, then the right one.
    let typed: serde_json::Value = daemon
        .post_json(PAD, &json!({ "keys": "0000" }))
        .await
        .unwrap();
    assert!(typed["readers"].is_array());
    let e = expect_api_error(entry.await.unwrap(), 403, "pin_incorrect").await;
    assert_eq!(e.error.details.unwrap()["tries_left"], 2);

    let entry = pad_entry(&daemon);
    wait_queue(&daemon, |r| r.queue.holder.is_some()).await;
    let _: serde_json::Value = daemon
        .post_json(PAD, &json!({ "cancel": true }))
        .await
        .unwrap();
    expect_api_error(entry.await.unwrap(), 409, "pin_entry_cancelled").await;
    let status: PinStatus = daemon.get_json(&route("pin")).await.unwrap();
    assert_eq!(status.tries_left, 2, "a cancelled entry costs no try");

    // Typed before the request: the pad keeps the keys for the next entry.
    let _: serde_json::Value = daemon
        .post_json(PAD, &json!({ "keys": "4729" }))
        .await
        .unwrap();
    let ok: PinVerified = daemon
        .post_json(&route("pin/verify"), &json!({ "secure_pin_entry": true }))
        .await
        .unwrap();
    assert!(ok.secure_pin_entry);
    assert_eq!((ok.tries_before, ok.tries_left), (2, 3));
    let reader = cps_reader(&daemon).await;
    assert!(reader.queue.holder.is_none() && reader.queue.waiting.is_empty());

    // Both, or neither: refused before anything reaches the card.
    let both = daemon
        .post(
            &route("pin/verify"),
            &json!({ "pin": "4729", "secure_pin_entry": true }),
        )
        .await
        .unwrap();
    expect_api_error(both, 400, "bad_request").await;
    // A PIN in a malformed body is never quoted back.
    let resp = daemon
        .post(&route("pin/verify"), &json!({ "pin": 4729 }))
        .await
        .unwrap();
    let body = resp.text().await.unwrap();
    assert!(
        body.contains("invalid_json") && !body.contains("4729"),
        "{body}"
    );
}
