//! Who is calling, from the OS (issue 12, findings 1 and 7): over loopback TCP the daemon
//! knows the OS user that owns the peer socket; a user outside `security.allowed_os_users`
//! is refused before anything else (even with a pre-approved `Origin`) and audited;
//! pre-approval never covers `sign`, `transmit` or `admin`; pending pairings are counted
//! per OS user and the local CLI keeps a reserve of its own.

mod common;

use common::other_user::{curl_as_nobody, NOBODY};
use common::security::*;
use common::*;
use passerelle_tests::*;
use serde_json::json;

const PREAPPROVED: &str = "[security]\npreapproved_origins = [\"https://app.example\"]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_os_user_is_refused_and_audited() {
    let dir = TestDir::new("another_os_user_is_refused_and_audited");
    let d = Daemon::start_with(&dir, Backend::Simulated, PREAPPROVED)
        .await
        .unwrap();
    // The daemon's own user (the test's) is served, and named in the audit log.
    assert_eq!(get(&d, "/v1/status", None, None).await.status(), 200);

    let Some((status, body)) = curl_as_nobody(&d, "GET", "/v1/status", &[], None).await else {
        eprintln!("SKIP: needs root and setpriv to connect as another user");
        return;
    };
    assert_eq!(status, 403, "{body}");
    let err: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(err["error"]["code"], "os_user_not_allowed", "{body}");

    // The pre-approved origin, asked for by that user: refused before pairing.
    let ask = json!({"app_name": "Intrus", "scopes": ["read_cards", "sign"]});
    let (status, body) = curl_as_nobody(&d, "POST", "/v1/pairings", &[("origin", APP)], Some(&ask))
        .await
        .unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("os_user_not_allowed"), "{body}");
    assert!(
        d.cli(&["pair", "list"]).await.unwrap().stdout.is_empty()
            || !String::from_utf8_lossy(&d.cli(&["pair", "list"]).await.unwrap().stdout)
                .contains("Intrus"),
        "no pairing request was made"
    );

    // Audited, naming the OS user (not what the request claimed).
    let page = audit(&d).await;
    let refused: Vec<_> = page
        .entries
        .iter()
        .filter(|e| e.action == "refused" && e.details["code"] == "os_user_not_allowed")
        .collect();
    assert!(!refused.is_empty(), "{:?}", page.entries);
    assert!(refused
        .iter()
        .all(|e| e.actor.os_user.as_ref().and_then(|u| u.uid()) == Some(NOBODY)));
    // Every line about a TCP request carries its OS user, too.
    let own = page
        .entries
        .iter()
        .find(|e| e.action == "pairing_requested")
        .expect("the rig's own pairing");
    assert!(own.actor.os_user.is_some(), "{own:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preapproval_never_covers_sign_transmit_or_admin() {
    let dir = TestDir::new("preapproval_never_covers_sign_transmit_or_admin");
    let d = Daemon::start_with(&dir, Backend::Simulated, PREAPPROVED)
        .await
        .unwrap();
    // Reading only: approved at once, no code to compare.
    let created = ask_pairing(&d, APP, &["read_cards"]).await;
    let state = poll(&d, APP, &created.pairing_id).await;
    assert!(state.token.is_some(), "{state:?}");
    // Anything that signs, sends or administers waits for the practitioner.
    for scopes in [
        &["read_cards", "sign"][..],
        &["transmit"][..],
        &["admin"][..],
    ] {
        let created = ask_pairing(&d, APP, scopes).await;
        let state = poll(&d, APP, &created.pairing_id).await;
        assert!(
            state.token.is_none(),
            "{scopes:?} approved without the code"
        );
        assert_eq!(
            serde_json::to_value(state.status).unwrap(),
            json!("pending"),
            "{scopes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_pairings_are_counted_per_os_user_and_the_cli_keeps_a_reserve() {
    let dir = TestDir::new("pending_pairings_counted_per_os_user");
    let d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    // Made-up origins from one OS user fill that user's share, not everyone's.
    let mut refused = 0;
    for i in 0..40 {
        let origin = format!("https://made-up-{i}.example");
        let body = json!({"app_name": "Flood", "scopes": ["read_cards"]});
        let resp = d
            .client_without_token()
            .post(d.url("/v1/pairings"))
            .header("origin", &origin)
            .json(&body)
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            expect_api_error(resp, 429, "too_many_pairings").await;
            refused += 1;
        } else {
            assert_eq!(resp.status(), 200);
        }
    }
    assert!(refused > 0, "a flood of pairing requests must be bounded");
    // The local CLI still pairs (its own reserve, on the local socket).
    let token = d.pair_local("CLI après le flot", &["read_cards"]).await;
    assert!(token.is_ok(), "{token:?}");
}
