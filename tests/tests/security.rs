//! Attacks on the API through real TLS, against the real daemon (simulated readers): every
//! one is refused with a stable code, and every refusal by the checks is in the audit log,
//! whose hash chain `passerelle audit verify` checks.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::*;
use passerelle_protocol::{AuditPage, GrantList, PairingCreated, PairingState, PairingStatus};
use passerelle_tests::daemon::find_code;
use passerelle_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const APP: &str = "https://app.example";
const OTHER: &str = "https://other.example";
const EVIL: &str = "https://evil.example";

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `POST /v1/pairings` from `origin`, without a token.
async fn ask_pairing(d: &Daemon, origin: &str, scopes: &[&str]) -> PairingCreated {
    let body = serde_json::json!({"app_name": format!("App {origin}"), "scopes": scopes});
    let resp = d
        .client_without_token()
        .post(d.url("/v1/pairings"))
        .header("origin", origin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(origin)
    );
    resp.json().await.unwrap()
}

/// `GET /v1/pairings/{id}` from `origin`.
async fn poll(d: &Daemon, origin: &str, id: &str) -> PairingState {
    let resp = d
        .client_without_token()
        .get(d.url(&format!("/v1/pairings/{id}")))
        .header("origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

async fn cli_ok(d: &Daemon, args: &[&str]) -> String {
    let out = d.cli(args).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "passerelle {args:?}: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The whole web pairing: ask, approve through the CLI, receive the token once.
async fn pair_web(d: &Daemon, origin: &str, scopes: &[&str]) -> String {
    let created = ask_pairing(d, origin, scopes).await;
    cli_ok(d, &["pair", "approve", &created.code]).await;
    let state = poll(d, origin, &created.pairing_id).await;
    state.token.expect("token after approval")
}

/// `GET path` with `origin` and `token` (each optional).
async fn get(
    d: &Daemon,
    path: &str,
    origin: Option<&str>,
    token: Option<&str>,
) -> reqwest::Response {
    let mut req = d.client_without_token().get(d.url(path));
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.timeout(T15).send().await.unwrap()
}

/// An HTTP/1.1-only client trusting the daemon (so a forged `Host` header is sent as is).
fn http1_client(d: &Daemon) -> reqwest::Client {
    let pem = std::fs::read(d.ca_path()).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .http1_only()
        .no_proxy()
        .build()
        .unwrap()
}

async fn audit(d: &Daemon) -> AuditPage {
    d.get_json("/v1/audit?after=0&limit=1000").await.unwrap()
}

fn refused_codes(page: &AuditPage) -> Vec<String> {
    page.entries
        .iter()
        .filter(|e| e.action == "refused")
        .filter_map(|e| e.details["code"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_from_a_web_origin() {
    let dir = TestDir::new("pairing_from_a_web_origin");
    let mut d = Daemon::start(&dir, Backend::Simulated).await.unwrap();

    let created = ask_pairing(&d, APP, &["read_cards"]).await;
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
    assert_eq!(find_code(line).as_deref(), Some(created.code.as_str()), "{list}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_are_refused_and_audited() {
    let dir = TestDir::new("attacks_are_refused_and_audited");
    let d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let port = d.port();
    let app_token = pair_web(&d, APP, &["read_cards"]).await;
    let other_token = pair_web(&d, OTHER, &["read_cards", "admin"]).await;
    let rig = d.token();

    // An unapproved Origin, even with a valid token: no CORS header, JSON refusal.
    let resp = get(&d, "/v1/readers", Some(EVIL), Some(&rig)).await;
    assert!(header(&resp, "access-control-allow-origin").is_none());
    expect_api_error(resp, 403, "origin_not_allowed").await;
    let resp = get(&d, "/v1/status", Some(EVIL), None).await;
    expect_api_error(resp, 403, "origin_not_allowed").await;

    // DNS rebinding: another name with our port, our name with another port.
    let h1 = http1_client(&d);
    for host in [
        format!("evil.example:{port}"),
        format!("localhost:{}", port + 1),
    ] {
        let resp = h1
            .get(d.url("/v1/status"))
            .header("host", &host)
            .bearer_auth(&rig)
            .send()
            .await
            .unwrap();
        expect_api_error(resp, 403, "host_not_allowed").await;
    }
    let ok = h1.get(d.url("/v1/status")).send().await.unwrap();
    assert_eq!(ok.status(), 200, "the real Host passes over HTTP/1.1 too");

    // No token, an unknown token, another origin's token, a local token with an Origin:
    // the same answer, which never says whether the token exists.
    let none = get(&d, "/v1/readers", Some(APP), None).await;
    assert_eq!(header(&none, "www-authenticate").as_deref(), Some("Bearer"));
    let none = expect_api_error(none, 401, "unauthorized").await;
    let fake = format!("pst_{}", "0".repeat(64));
    for (origin, token) in [
        (APP, fake.as_str()),
        (APP, other_token.as_str()),
        (OTHER, app_token.as_str()),
        (APP, rig.as_str()),
    ] {
        let resp = get(&d, "/v1/readers", Some(origin), Some(token)).await;
        assert_eq!(
            header(&resp, "access-control-allow-origin").as_deref(),
            Some(origin),
            "an approved origin may read its refusal"
        );
        let err = expect_api_error(resp, 401, "unauthorized").await;
        assert_eq!(err, none, "refusals must not differ");
    }

    // A token without the scope.
    let resp = get(&d, "/v1/audit", Some(APP), Some(&app_token)).await;
    let err = expect_api_error(resp, 403, "scope_missing").await;
    assert_eq!(err.error.details.unwrap()["required"], "admin");
    let reader_only = d
        .pair_local("lecture seule", &["read_cards"])
        .await
        .unwrap();
    assert_eq!(
        get(&d, "/v1/readers", None, Some(&reader_only))
            .await
            .status(),
        200
    );
    let resp = get(&d, "/v1/grants", None, Some(&reader_only)).await;
    expect_api_error(resp, 403, "scope_missing").await;
    // Unknown paths fail closed (admin), they do not reveal 404 to others.
    expect_api_error(
        get(&d, "/v1/nope", None, Some(&reader_only)).await,
        403,
        "scope_missing",
    )
    .await;

    // EventSource: the token as ?access_token= on /v1/events only.
    let sse = d
        .client_without_token()
        .get(d.url(&format!("/v1/events?access_token={reader_only}")))
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    assert!(passerelle_tests::daemon::content_type(&sse).starts_with("text/event-stream"));
    drop(sse);
    let q = get(
        &d,
        &format!("/v1/readers?access_token={reader_only}"),
        None,
        None,
    )
    .await;
    expect_api_error(q, 401, "unauthorized").await;

    // CORS preflight: an unapproved origin gets no CORS header; an approved one gets its
    // exact origin and the allowed headers.
    let preflight = |origin: &'static str| {
        d.client_without_token()
            .request(reqwest::Method::OPTIONS, d.url("/v1/readers"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let resp = preflight(EVIL).await.unwrap();
    assert!(header(&resp, "access-control-allow-origin").is_none());
    expect_api_error(resp, 403, "origin_not_allowed").await;
    let resp = preflight(APP).await.unwrap();
    assert_eq!(resp.status(), 204);
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    let allowed = header(&resp, "access-control-allow-headers").unwrap_or_default();
    for h in [
        "Authorization",
        "Content-Type",
        "Idempotency-Key",
        "Last-Event-ID",
    ] {
        assert!(allowed.contains(h), "{allowed}");
    }

    // An oversized body (on the pairing route, reachable without a token).
    let big = serde_json::json!({"app_name": "x".repeat(100 * 1024), "scopes": ["read_cards"]});
    let resp = d
        .client_without_token()
        .post(d.url("/v1/pairings"))
        .header("origin", APP)
        .json(&big)
        .send()
        .await
        .unwrap();
    expect_api_error(resp, 413, "payload_too_large").await;

    // Plain HTTP to the TLS port: closed, nothing answered in clear.
    let mut s = net::tcp_connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), T15)
        .await
        .unwrap();
    let req = format!(
        "GET /v1/readers HTTP/1.1\r\nHost: localhost:{port}\r\nAuthorization: Bearer {rig}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(T15, s.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "a plain-HTTP connection must be closed");
    let clear = String::from_utf8_lossy(&buf);
    assert!(
        !clear.contains("HTTP/") && !clear.contains("readers"),
        "{clear:?}"
    );

    // Every refusal by the checks is in the audit log, which never holds a token.
    let page = audit(&d).await;
    let codes = refused_codes(&page);
    for code in [
        "origin_not_allowed",
        "host_not_allowed",
        "unauthorized",
        "scope_missing",
    ] {
        assert!(
            codes.iter().any(|c| c == code),
            "audit lacks {code}: {codes:?}"
        );
    }
    let hosts: Vec<&serde_json::Value> = page.entries.iter().map(|e| &e.details["host"]).collect();
    assert!(hosts
        .iter()
        .any(|h| *h == &serde_json::json!(format!("evil.example:{port}"))));
    let text = std::fs::read_to_string(d.data_dir().join("audit.jsonl")).unwrap();
    for t in [&rig, &app_token, &other_token, &reader_only] {
        assert!(
            !text.contains(t.as_str()),
            "a token leaked into the audit log"
        );
    }
    let origins: Vec<_> = page
        .entries
        .iter()
        .filter_map(|e| e.actor.origin.clone())
        .collect();
    assert!(origins.iter().any(|o| o == EVIL), "{origins:?}");

    // The chain verifies; a copy with one line altered fails, naming that line.
    let ok = d.cli(&["audit", "verify"]).await.unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let copy = tempfile::tempdir().unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    assert!(lines.len() > 5);
    lines[2] = lines[2].replacen("\"at\":\"20", "\"at\":\"19", 1);
    std::fs::write(copy.path().join("audit.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = std::process::Command::new(passerelle_bin())
        .args(["audit", "verify", "--data-dir"])
        .arg(copy.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an altered log must not verify");
    assert!(err.contains("ligne 3"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_and_rate_limit() {
    let dir = TestDir::new("expired_tokens_and_rate_limit");
    let strict =
        "[security]\ntoken_lifetime_seconds = 1\nrate_limit_per_second = 1\nrate_limit_burst = 5\n";
    let d = Daemon::start_with(&dir, Backend::Simulated, strict)
        .await
        .unwrap();
    let token = d.token();

    // The rate limit, on a route without token (keyed by the local client).
    let mut limited = None;
    for _ in 0..10 {
        let resp = get(&d, "/v1/status", None, None).await;
        if resp.status() == 429 {
            limited = Some(resp);
            break;
        }
    }
    let resp = limited.expect("at most 5 requests in a burst");
    assert!(header(&resp, "retry-after").is_some());
    expect_api_error(resp, 429, "rate_limited").await;

    // One-second tokens: refused once expired, like any unknown token.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    expect_api_error(
        get(&d, "/v1/readers", None, Some(&token)).await,
        401,
        "unauthorized",
    )
    .await;

    let text = std::fs::read_to_string(d.data_dir().join("audit.jsonl")).unwrap();
    let codes: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["action"] == "refused")
        .filter_map(|v| v["details"]["code"].as_str().map(str::to_owned))
        .collect();
    assert!(codes.contains(&"rate_limited".to_owned()), "{codes:?}");
    assert!(codes.contains(&"unauthorized".to_owned()), "{codes:?}");
    let ok = d.cli(&["audit", "verify"]).await.unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}
