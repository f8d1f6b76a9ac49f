use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use time::macros::datetime;
use tower::ServiceExt;

use crate::api::test_support::{test_api, PORT};
use passerelle_billing::samples::varied;
use passerelle_billing::{Billing, FixedClock, KeySigner, SignError, SignerIdentity};
use passerelle_protocol::{ClientIdentity, Scope};
use passerelle_simcard::backend::SimBackend;
use Scope::Sign;

/// A [`KeySigner`] over the signature key of simulated card `key_id`'s test keys.
pub(crate) fn fixture_signer(
    key_id: &str,
    identity: SignerIdentity,
) -> Result<KeySigner, SignError> {
    let keys = passerelle_simcard::fixtures::keys(key_id)
        .ok_or_else(|| SignError(format!("clé de test inconnue {key_id:?}")))?;
    KeySigner::new(identity, keys.sig_key_pem, keys.sig_cert)
}

async fn app(dir: &std::path::Path) -> axum::Router {
    app_and_billing(dir).await.0
}

/// The router with the headers of a paired local client (scopes `prepare` and `sign`) added
/// to every request, and the billing layer behind it.
async fn app_and_billing(dir: &std::path::Path) -> (axum::Router, Arc<Billing>) {
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 10:00 UTC)));
    client(
        dir,
        SimBackend::new(vec![]),
        clock,
        vec![Scope::Prepare, Sign],
    )
    .await
}

/// The router over `sim` for a local client paired with `scopes`, its headers added to
/// every request, and the billing layer behind it.
pub(crate) async fn client(
    dir: &std::path::Path,
    sim: SimBackend,
    clock: Arc<FixedClock>,
    scopes: Vec<Scope>,
) -> (axum::Router, Arc<Billing>) {
    let api = test_api(
        dir,
        sim,
        clock,
        ClientIdentity::Local {
            os_user: passerelle_protocol::OsUser::unix(1000),
        },
        scopes,
    )
    .await;
    let bearer = format!("Bearer {}", api.token);
    let app = api.app.layer(axum::middleware::map_request(
        move |mut req: Request<Body>| {
            let bearer = bearer.clone();
            async move {
                let headers = req.headers_mut();
                headers.insert("host", format!("localhost:{PORT}").parse().unwrap());
                headers.insert("authorization", bearer.parse().unwrap());
                req
            }
        },
    ));
    (app, api.billing)
}

pub(crate) async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let body = match body {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    (
        status,
        to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec(),
    )
}

pub(crate) fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn grouped_creation_is_idempotent_and_refusals_carry_codes() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let mut bad = serde_json::to_value(varied(1, "2026-03-01")).unwrap();
    bad["acts"][0]["coefficient"] = json!("0");
    bad["acts"][0]["key"] = json!("SF");
    bad["acts"][0]["nomenclature"] = json!("ngap");
    let body = json!({ "fse": [varied(0, "2026-03-01"), bad] });
    let (status, first) = call(&app, "POST", "/v1/fse", Some("k1"), Some(body.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let first = json_of(&first);
    assert_eq!(first["results"][0]["fse"]["number"], "000000001");
    assert_eq!(first["results"][1]["error"]["code"], "invalid_coefficient");
    assert_eq!(
        first["results"][1]["error"]["details"]["field"],
        "acts[0].coefficient"
    );
    let (_, again) = call(&app, "POST", "/v1/fse", Some("k1"), Some(body)).await;
    assert_eq!(json_of(&again)["results"][0], first["results"][0]);
    let (_, list) = call(&app, "GET", "/v1/fse", None, None).await;
    assert_eq!(json_of(&list)["fse"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn history_csv_delete_baskets_and_lots() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let body = json!({ "fse": [varied(0, "2026-03-01"), varied(1, "2026-02-01")] });
    call(&app, "POST", "/v1/fse", None, Some(body)).await;
    let (_, list) = call(
        &app,
        "GET",
        "/v1/fse?from=2026-02-15&status=draft",
        None,
        None,
    )
    .await;
    assert_eq!(json_of(&list)["fse"].as_array().unwrap().len(), 1);
    let (status, csv) = call(&app, "GET", "/v1/fse?format=csv", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(String::from_utf8(csv.clone()).unwrap().lines().count(), 3);
    let (_, csv2) = call(&app, "GET", "/v1/fse.csv", None, None).await;
    assert_eq!(csv, csv2);
    // A malformed or unknown filter is refused, never ignored.
    for query in ["lot=abc", "mode=degradee", "format=xml", "statut=draft"] {
        let (status, bad) = call(&app, "GET", &format!("/v1/fse?{query}"), None, None).await;
        assert_eq!(
            (status, json_of(&bad)["error"]["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("bad_request")),
            "{query}"
        );
    }
    let (status, _) = call(&app, "GET", "/v1/fse.csv?mode=degradee", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // `limit` within the documented 1 to 10,000.
    for (limit, ok) in [("0", false), ("1", true), ("10000", true), ("10001", false)] {
        let (status, body) = call(&app, "GET", &format!("/v1/fse?limit={limit}"), None, None).await;
        assert_eq!(status.is_success(), ok, "limit={limit}: {}", json_of(&body));
        if !ok {
            assert_eq!(json_of(&body)["error"]["details"]["field"], json!("limit"));
        }
    }

    let (status, deleted) = call(&app, "DELETE", "/v1/fse/1", None, None).await;
    assert_eq!(
        (status, json_of(&deleted)["status"].clone()),
        (StatusCode::OK, json!("deleted"))
    );
    let (status, again) = call(&app, "DELETE", "/v1/fse/1", None, None).await;
    assert_eq!(
        (status, json_of(&again)["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
    let (status, _) = call(&app, "DELETE", "/v1/fse/99", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let basket = json!({ "label": "Préparation", "acts": [{ "nomenclature": "ngap", "key": "SF", "coefficient": "12" }] });
    let (status, _) = call(&app, "PUT", "/v1/baskets/prep", None, Some(basket)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = call(&app, "GET", "/v1/baskets", None, None).await;
    assert_eq!(json_of(&list)["baskets"][0]["name"], "prep");
    let bad = json!({ "acts": [{ "nomenclature": "ccam", "code": "NOPE000" }] });
    let (status, e) = call(&app, "PUT", "/v1/baskets/x", None, Some(bad)).await;
    assert_eq!(
        (status.as_u16(), json_of(&e)["error"]["code"].clone()),
        (422, json!("unknown_act_code"))
    );
    let (status, _) = call(&app, "DELETE", "/v1/baskets/prep", None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&app, "GET", "/v1/baskets/prep", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, lots) = call(&app, "GET", "/v1/lots", None, None).await;
    assert_eq!(json_of(&lots)["lots"], json!([]));
    let (status, e) = call(&app, "GET", "/v1/lots/7/b2", None, None).await;
    assert_eq!(
        (status, json_of(&e)["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!("lot_not_found"))
    );
}

#[tokio::test]
async fn a_signed_lot_is_served_as_its_b2_file() {
    let dir = tempfile::tempdir().unwrap();
    let (app, billing) = app_and_billing(dir.path()).await;
    let identity = SignerIdentity::of(
        passerelle_protocol::CardKind::Cps,
        &passerelle_billing::samples::durand(),
        true,
        true,
    );
    let signer = fixture_signer("durand-sage-femme", identity).unwrap();
    let lots = tokio::task::spawn_blocking(move || {
        let created = billing
            .create_batch(
                &[varied(0, "2026-03-01")],
                &passerelle_billing::NoRights,
                None,
            )
            .unwrap();
        let id = created[0].as_ref().unwrap().id;
        billing.sign_fse_batch(&signer, &[id]).unwrap();
        billing.build_and_sign_lots(&signer).unwrap()
    })
    .await
    .unwrap();
    let (_, list) = call(&app, "GET", "/v1/lots", None, None).await;
    assert_eq!(json_of(&list)["lots"][0]["number"], "001");
    let (status, b2) = call(
        &app,
        "GET",
        &format!("/v1/lots/{}/b2", lots[0].id),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(passerelle_billing::b2::check(&b2).unwrap().invoices, 1);
    let (status, e) = call(&app, "DELETE", "/v1/fse/1", None, None).await;
    assert_eq!(
        (status, json_of(&e)["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("fse_in_lot"))
    );
}

#[tokio::test]
async fn signing_routes_refuse_cleanly_without_a_card() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path()).await;
    let cases = [
        (
            "/v1/fse/sign",
            json!({ "reader": "absent", "fse": [1] }),
            404,
            "reader_not_found",
        ),
        (
            "/v1/lots",
            json!({ "reader": "absent" }),
            404,
            "reader_not_found",
        ),
        (
            "/v1/fse/sign",
            json!({ "reader": "absent", "fse": "1" }),
            400,
            "invalid_json",
        ),
        ("/v1/lots", json!({ "situation": 0 }), 400, "invalid_json"),
    ];
    for (uri, body, status, code) in cases {
        let (got, e) = call(&app, "POST", uri, Some("k"), Some(body)).await;
        assert_eq!(
            (got.as_u16(), json_of(&e)["error"]["code"].clone()),
            (status, json!(code)),
            "{uri}"
        );
    }
    let (status, e) = call(&app, "GET", "/v1/lots/7/signature", None, None).await;
    assert_eq!(
        (status, json_of(&e)["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!("lot_not_found"))
    );
}

#[tokio::test]
async fn malformed_path_parameters_are_refused_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 10:00 UTC)));
    let api = test_api(
        dir.path(),
        SimBackend::new(vec![]),
        clock,
        ClientIdentity::Local {
            os_user: passerelle_protocol::OsUser::unix(1000),
        },
        vec![Scope::ReadCards, Scope::Prepare, Sign],
    )
    .await;
    let uris = [
        ("GET", "/v1/fse/abc"),
        ("GET", "/v1/lots/null%2Cnull/signature"),
        ("DELETE", "/v1/readers/0/jobs/null%2Cnull"),
        ("GET", "/v1/readers/%FF%FE/pin"),
    ];
    for (method, uri) in uris {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", format!("localhost:{PORT}"))
            .header("authorization", format!("Bearer {}", api.token))
            .body(Body::empty())
            .unwrap();
        let resp = api.app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{method} {uri}");
        let body = to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        let body: Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{method} {uri}: not JSON ({e}): {body:?}"));
        assert_eq!(body["error"]["code"], "bad_request", "{uri}: {body}");
    }
}
