//! Pairing a web application end to end: request from its origin, code shown by the CLI
//! and to admin event streams, approval, token once, use, restart, revocation.

mod common;

use std::time::Duration;

use common::security::*;
use common::*;
use passerelle_protocol::{GrantList, PairingStatus};
use passerelle_tests::pairing::find_code;
use passerelle_tests::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_from_a_web_origin() {
    let dir = TestDir::new("pairing_from_a_web_origin");
    let mut d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    // The code also reaches admin clients on the event stream, and only them.
    let mut admin_events = SseClient::connect(&d, Resume::None).await.unwrap();
    let reader_only = d
        .pair_local("lecture seule", &["read_cards"])
        .await
        .unwrap();
    let mut reader_events = d
        .client_without_token()
        .get(d.url("/v1/events?last_event_id=0"))
        .bearer_auth(&reader_only)
        .send()
        .await
        .unwrap();
    assert_eq!(reader_events.status(), 200);

    let created = ask_pairing(&d, APP, &["read_cards"]).await;
    let (ev, _) = admin_events
        .next_matching("pairing_requested", T15, |e| {
            e.event == "pairing_requested" && e.raw["client"] == APP
        })
        .await
        .unwrap();
    assert_eq!(ev.raw["code"], created.code.as_str());
    assert_eq!(ev.raw["client"], APP);
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_millis(700), async {
        while let Ok(Some(chunk)) = reader_events.chunk().await {
            seen.extend_from_slice(&chunk);
        }
    })
    .await;
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        seen.contains("card_inserted"),
        "replay reached the reader: {seen}"
    );
    assert!(!seen.contains("pairing_requested"), "{seen}");
    assert_eq!(
        poll(&d, APP, &created.pairing_id).await.status,
        PairingStatus::Pending
    );
    // Another origin cannot see (or take) this pairing.
    let other = d
        .client_without_token()
        .get(d.url(&created.poll))
        .header("origin", OTHER)
        .send()
        .await
        .unwrap();
    expect_api_error(other, 404, "pairing_not_found").await;

    // The code is shown by the CLI over the Unix socket, with the origin.
    let list = cli_ok(&d, &["pair", "list"]).await;
    assert!(list.contains(&created.code) && list.contains(APP), "{list}");
    let line = list.lines().find(|l| l.contains(APP)).unwrap_or_default();
    assert_eq!(
        find_code(line).as_deref(),
        Some(created.code.as_str()),
        "{list}"
    );
    cli_ok(&d, &["pair", "approve", &created.code]).await;

    // The token comes exactly once.
    let first = poll(&d, APP, &created.pairing_id).await;
    assert_eq!(first.status, PairingStatus::Approved);
    let token = first.token.expect("token on the first poll after approval");
    assert!(token.starts_with("pst_") && token.len() == 68, "{token}");
    let second = poll(&d, APP, &created.pairing_id).await;
    assert_eq!(second.status, PairingStatus::Delivered);
    assert!(second.token.is_none());

    // Used with its origin: OK, with CORS for exactly that origin.
    let resp = get(&d, "/v1/readers", Some(APP), Some(&token)).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    assert!(header(&resp, "vary").is_some_and(|v| v.contains("Origin")));
    // Without its origin (a local program that stole it): refused.
    expect_api_error(
        get(&d, "/v1/readers", None, Some(&token)).await,
        401,
        "unauthorized",
    )
    .await;
    // Stored hashed, never in clear; survives a restart.
    let grants_file = std::fs::read_to_string(d.data_dir().join("grants.json")).unwrap();
    assert!(!grants_file.contains(&token));
    d.restart().await.unwrap();
    assert_eq!(
        get(&d, "/v1/readers", Some(APP), Some(&token))
            .await
            .status(),
        200
    );

    // Listed, then revoked through the CLI: refused at once.
    let grants: GrantList =
        serde_json::from_str(&cli_ok(&d, &["pair", "grants", "--json"]).await).unwrap();
    let grant = grants
        .grants
        .iter()
        .find(|g| g.client.to_string() == APP)
        .expect("the app's grant");
    cli_ok(&d, &["pair", "revoke", &grant.id]).await;
    let resp = get(&d, "/v1/readers", Some(APP), Some(&token)).await;
    assert!(header(&resp, "access-control-allow-origin").is_none());
    expect_api_error(resp, 403, "origin_not_allowed").await;

    // Denied requests give no token.
    let denied = ask_pairing(&d, OTHER, &["sign"]).await;
    cli_ok(&d, &["pair", "deny", &denied.code]).await;
    let state = poll(&d, OTHER, &denied.pairing_id).await;
    assert_eq!((state.status, state.token), (PairingStatus::Denied, None));

    // An admin client may approve through the API too (the rig's token has `admin`).
    let third = "https://third.example";
    let asked = ask_pairing(&d, third, &["read_cards"]).await;
    let pending: serde_json::Value = d.get_json("/v1/pairings").await.unwrap();
    assert!(pending.to_string().contains(&asked.code), "{pending}");
    let url = d.url(&format!("/v1/pairings/{}/approve", asked.code));
    assert_eq!(d.client().post(url).send().await.unwrap().status(), 200);
    let token = poll(&d, third, &asked.pairing_id).await.token.unwrap();
    assert_eq!(
        get(&d, "/v1/readers", Some(third), Some(&token))
            .await
            .status(),
        200
    );

    // ... and revoke through the API (DELETE /v1/grants/{id}): that token stops at once;
    // an unknown id is a clean 404.
    let grants: GrantList = d.get_json("/v1/grants").await.unwrap();
    let grant = grants
        .grants
        .iter()
        .find(|g| g.client.to_string() == third)
        .expect("the third app's grant");
    let url = d.url(&format!("/v1/grants/{}", grant.id));
    let revoked: serde_json::Value = d
        .client()
        .delete(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["id"], grant.id.as_str());
    expect_api_error(
        get(&d, "/v1/readers", Some(third), Some(&token)).await,
        403,
        "origin_not_allowed",
    )
    .await;
    let unknown = d
        .client()
        .delete(d.url("/v1/grants/0000000000000000"))
        .send()
        .await
        .unwrap();
    expect_api_error(unknown, 404, "pairing_not_found").await;

    let actions: Vec<String> = audit(&d)
        .await
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "pairing_requested",
        "pairing_approved",
        "token_issued",
        "grant_revoked",
        "pairing_denied",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "audit lacks {a}: {actions:?}"
        );
    }
}
