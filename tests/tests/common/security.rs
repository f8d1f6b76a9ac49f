//! Helpers of the security and pairing tests: web pairing as a browser page would do it,
//! requests with a chosen Origin and token, the audit log.

use passerelle_protocol::{AuditPage, PairingCreated, PairingState};
use passerelle_tests::Daemon;

use super::T15;

/// The web application of the tests.
pub const APP: &str = "https://app.example";
/// A second, also paired, web application.
pub const OTHER: &str = "https://other.example";
/// A page the practitioner visits that was never paired.
pub const EVIL: &str = "https://evil.example";

/// A response header as text.
pub fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `POST /v1/pairings` from `origin`, without a token.
pub async fn ask_pairing(d: &Daemon, origin: &str, scopes: &[&str]) -> PairingCreated {
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
pub async fn poll(d: &Daemon, origin: &str, id: &str) -> PairingState {
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

/// Runs the CLI against `d`, expecting success; its stdout.
pub async fn cli_ok(d: &Daemon, args: &[&str]) -> String {
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
pub async fn pair_web(d: &Daemon, origin: &str, scopes: &[&str]) -> String {
    let created = ask_pairing(d, origin, scopes).await;
    cli_ok(d, &["pair", "approve", &created.code]).await;
    let state = poll(d, origin, &created.pairing_id).await;
    state.token.expect("token after approval")
}

/// `GET path` with `origin` and `token` (each optional).
pub async fn get(
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
pub fn http1_client(d: &Daemon) -> reqwest::Client {
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

/// `GET /v1/audit` with the rig's admin token.
pub async fn audit(d: &Daemon) -> AuditPage {
    d.get_json("/v1/audit?after=0&limit=1000").await.unwrap()
}

/// The codes of the refusals in an audit page.
pub fn refused_codes(page: &AuditPage) -> Vec<String> {
    page.entries
        .iter()
        .filter(|e| e.action == "refused")
        .filter_map(|e| e.details["code"].as_str().map(str::to_owned))
        .collect()
}
