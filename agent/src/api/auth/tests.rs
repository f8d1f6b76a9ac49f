//! The checks in process, through the whole router: their order and their answers.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use passerelle_protocol::{ClientIdentity, Scope};
use tower::ServiceExt;

use passerelle_simcard::backend::SimBackend;

use crate::api::test_support::test_api;
const APP: &str = "https://app.example";

struct Fixture {
    app: axum::Router,
    token: String,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let sim = SimBackend::new(vec![("Lecteur".into(), None)]);
    let clock = Arc::new(passerelle_billing::SystemClock);
    let api = test_api(
        dir.path(),
        sim,
        clock,
        ClientIdentity::Origin { origin: APP.into() },
        vec![Scope::ReadCards],
    )
    .await;
    Fixture {
        app: api.app,
        token: api.token,
        _dir: dir,
    }
}

/// Sends GET `path` with `host`, `origin` and `token`; status and error code.
async fn call(
    f: &Fixture,
    path: &str,
    host: &str,
    origin: Option<&str>,
    token: Option<&str>,
) -> (StatusCode, String, Option<String>) {
    let mut req = Request::get(path).header("host", host);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = f
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let acao = resp
        .headers()
        .get("access-control-allow-origin")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let code = json["error"]["code"].as_str().unwrap_or("").to_owned();
    (status, code, acao)
}

#[tokio::test]
async fn auth_checks_run_in_order() {
    let f = fixture().await;
    let good = "localhost:39443";
    let t = f.token.clone();
    // Everything wrong: the Host is judged first.
    let r = call(
        &f,
        "/v1/readers",
        "evil.example:39443",
        Some("https://evil.example"),
        None,
    )
    .await;
    assert_eq!((r.0.as_u16(), r.1.as_str()), (403, "host_not_allowed"));
    // Then the Origin, before the token.
    let r = call(
        &f,
        "/v1/readers",
        good,
        Some("https://evil.example"),
        Some(&t),
    )
    .await;
    assert_eq!(
        (r.0.as_u16(), r.1.as_str(), r.2),
        (403, "origin_not_allowed", None)
    );
    // Then the token (bound to its origin), with CORS for the approved origin.
    let r = call(&f, "/v1/readers", good, Some(APP), None).await;
    assert_eq!((r.1.as_str(), r.2.as_deref()), ("unauthorized", Some(APP)));
    let r = call(&f, "/v1/readers", good, None, Some(&t)).await;
    assert_eq!(r.1, "unauthorized", "a web token without its Origin");
    // Then the scope.
    let r = call(&f, "/v1/grants", good, Some(APP), Some(&t)).await;
    assert_eq!((r.0.as_u16(), r.1.as_str()), (403, "scope_missing"));
    // All good.
    let r = call(&f, "/v1/readers", "127.0.0.1:39443", Some(APP), Some(&t)).await;
    assert_eq!((r.0, r.2.as_deref()), (StatusCode::OK, Some(APP)));
    // Public routes need no token, but the Host and Origin checks still apply.
    assert_eq!(
        call(&f, "/v1/status", good, None, None).await.0,
        StatusCode::OK
    );
    let r = call(&f, "/v1/status", "localhost:1", None, None).await;
    assert_eq!(r.1, "host_not_allowed");
}
