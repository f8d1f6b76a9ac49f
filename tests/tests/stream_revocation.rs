//! Revocation and expiry reach open event streams (issue 12, finding 4): the stream of a
//! revoked or expired grant gets a last `unauthorized` event, then ends.

mod common;

use std::time::Duration;

use common::security::*;
use passerelle_tests::*;

/// Opens `GET /v1/events` with `token`, from `origin` when given.
async fn stream(d: &Daemon, token: &str, origin: Option<&str>) -> SseClient {
    let mut req = d
        .client_without_token()
        .get(d.url("/v1/events"))
        .bearer_auth(token)
        .header("accept", "text/event-stream");
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    SseClient::from_response(req.send().await.unwrap())
        .await
        .unwrap()
}

/// Reads until the `unauthorized` event, then expects the end of the stream.
async fn ends_with_unauthorized(events: &mut SseClient, what: &str) {
    let (last, _) = events
        .next_matching("the unauthorized event", Duration::from_secs(10), |e| {
            e.event == "unauthorized"
        })
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(last.raw["message"].is_string(), "{}", last.raw);
    let after = events.next_event(Duration::from_secs(5)).await;
    assert_eq!(
        after.err().as_deref(),
        Some("event stream closed by the daemon"),
        "{what}: the stream must end after the unauthorized event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_grant_loses_its_open_stream() {
    let dir = TestDir::new("a_revoked_grant_loses_its_open_stream");
    let d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let token = pair_web(&d, APP, &["read_cards"]).await;
    let kept = pair_web(&d, OTHER, &["read_cards"]).await;
    let mut revoked = stream(&d, &token, Some(APP)).await;
    let mut other = stream(&d, &kept, Some(OTHER)).await;
    let list: passerelle_protocol::GrantList = d.get_json("/v1/grants").await.unwrap();
    let id = &list
        .grants
        .iter()
        .find(|g| g.client.to_string() == APP)
        .expect("the grant of APP")
        .id;
    let resp = d
        .client()
        .delete(d.url(&format!("/v1/grants/{id}")))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    ends_with_unauthorized(&mut revoked, "revoked").await;
    // Another grant's stream goes on: it sees the next card event.
    d.post(
        "/v1/simulator/cards",
        &serde_json::json!({"reader": "Passerelle lecteur simulé 2", "card": "vitale:martin-famille"}),
    )
    .await
    .unwrap();
    other
        .next_matching("card_inserted", Duration::from_secs(10), |e| {
            e.event == "card_inserted"
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_grant_loses_its_open_stream() {
    let dir = TestDir::new("an_expired_grant_loses_its_open_stream");
    let d = Daemon::start_with(
        &dir,
        Backend::Simulated,
        "[security]\ntoken_lifetime_seconds = 6\n",
    )
    .await
    .unwrap();
    let token = pair_web(&d, APP, &["read_cards"]).await;
    let mut events = stream(&d, &token, Some(APP)).await;
    ends_with_unauthorized(&mut events, "expired").await;
}
