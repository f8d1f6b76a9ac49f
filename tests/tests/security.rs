//! Attacks on the API through real TLS, against the real daemon (simulated readers): every
//! one is refused with a stable code, and every refusal by the checks is in the audit log,
//! whose hash chain `passerelle audit verify` checks.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::security::*;
use common::*;
use passerelle_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    // The token is read from the Authorization header only, never from a URL (one that
    // does work elsewhere is refused there too, with a message saying where it goes).
    let sse = d
        .client_without_token()
        .get(d.url("/v1/events"))
        .bearer_auth(&reader_only)
        .send()
        .await
        .unwrap();
    assert_eq!(sse.status(), 200);
    assert!(passerelle_tests::daemon::content_type(&sse).starts_with("text/event-stream"));
    drop(sse);
    for path in ["/v1/events", "/v1/readers"] {
        let q = get(
            &d,
            &format!("{path}?access_token={reader_only}"),
            None,
            None,
        )
        .await;
        let err = expect_api_error(q, 401, "unauthorized").await;
        assert!(err.error.message.contains("Authorization"), "{err:?}");
    }

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
    // Pages of 1 to 1000 entries, after a sequence number of 0 or more.
    for query in ["limit=0", "limit=1001", "after=-1", "after=x"] {
        let resp = d
            .client()
            .get(d.url(&format!("/v1/audit?{query}")))
            .send()
            .await
            .unwrap();
        expect_api_error(resp, 400, "bad_request").await;
    }
    let one: passerelle_protocol::AuditPage =
        d.get_json("/v1/audit?after=1&limit=1").await.unwrap();
    assert_eq!(one.entries.len(), 1);
    assert_eq!(one.entries[0].seq, 2);
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
    let web_token = pair_web(&d, APP, &["read_cards"]).await;

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

    // A flood of refused requests does not flood the audit log: beyond the same rate per
    // OS user, the refusals are counted and the count goes into the next line written.
    for _ in 0..20 {
        let resp = get(&d, "/v1/readers", Some(EVIL), None).await;
        assert_eq!(resp.status(), 403);
    }

    // One-second tokens: refused once expired, like any unknown token.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let resp = get(&d, "/v1/readers", Some(EVIL), None).await;
    assert_eq!(resp.status(), 403);
    expect_api_error(
        get(&d, "/v1/readers", None, Some(&token)).await,
        401,
        "unauthorized",
    )
    .await;
    // An expired web token: the page can still read the refusal (CORS) and pair again.
    let resp = get(&d, "/v1/readers", Some(APP), Some(&web_token)).await;
    assert_eq!(
        header(&resp, "access-control-allow-origin").as_deref(),
        Some(APP)
    );
    expect_api_error(resp, 401, "unauthorized").await;

    let text = std::fs::read_to_string(d.data_dir().join("audit.jsonl")).unwrap();
    let codes: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["action"] == "refused")
        .filter_map(|v| v["details"]["code"].as_str().map(str::to_owned))
        .collect();
    assert!(codes.contains(&"rate_limited".to_owned()), "{codes:?}");
    // The refusal lines of one OS user share one budget (the rate limit), whatever the
    // origin or token: the later refusals are summed up, not all written.
    assert!(codes.len() <= 8, "{codes:?}");
    let evil: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["actor"]["origin"] == EVIL)
        .collect();
    assert!(evil.len() <= 8, "{} lines for 21 refusals", evil.len());
    let last = evil.last().expect("some refusals are written");
    assert!(
        last["details"]["suppressed_before"].as_u64() >= Some(1),
        "{last}"
    );
    let ok = d.cli(&["audit", "verify"]).await.unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

/// `passerelle pair list` as user `nobody` (needs root and setpriv; `None` when this
/// machine cannot run it).
fn pair_list_as_nobody(d: &Daemon) -> Option<std::process::Output> {
    let root = std::process::Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&root.stdout).trim() != "0" {
        return None;
    }
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(passerelle_bin())
        .args(["pair", "list", "--data-dir"])
        .arg(d.data_dir())
        .output()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_serves_only_the_daemon_user() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TestDir::new("the_socket_serves_only_the_daemon_user");
    let d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let socket = d.data_dir().join("passerelle.sock");
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "socket mode {mode:o}");
    for file in ["grants.json", "audit.jsonl"] {
        let mode = std::fs::metadata(d.data_dir().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file} mode {mode:o}");
    }
    // Loosen the modes on purpose: the peer credentials must still refuse another user.
    let set =
        |p: &std::path::Path, m| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    set(d.data_dir(), 0o711).unwrap();
    set(&socket, 0o666).unwrap();
    let Some(out) = pair_list_as_nobody(&d) else {
        eprintln!("SKIP: needs root and setpriv to run a command as another user");
        return;
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "another user was served: {err}");
    assert!(err.contains("unauthorized"), "{err}");
    let page = audit(&d).await;
    let refused = page.entries.iter().find(|e| {
        e.action == "refused"
            && e.actor.os_user.as_ref().and_then(|u| u.uid()) == Some(65534)
            && e.details["channel"] == "unix_socket"
    });
    assert!(refused.is_some(), "{:?}", page.entries);
}
