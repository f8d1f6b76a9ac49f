//! CORS answers, only ever for an origin that passed the Origin check.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Methods a page may use.
const METHODS: &str = "GET, POST, DELETE, OPTIONS";
/// Request headers a page may send.
const HEADERS: &str = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID";

/// Whether the request is a CORS preflight.
pub fn is_preflight(method: &axum::http::Method, headers: &HeaderMap) -> bool {
    method == axum::http::Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from `origin` (already checked): 204 with the CORS headers.
pub fn preflight(origin: &str, request_headers: &HeaderMap) -> Response {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    decorate(&mut resp, origin);
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(METHODS),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    // Chrome's Local Network Access preflight asks this for a public page calling loopback.
    if request_headers.contains_key("access-control-request-private-network") {
        h.insert(
            "access-control-allow-private-network",
            HeaderValue::from_static("true"),
        );
    }
    resp
}

/// Adds `Access-Control-Allow-Origin: origin` and `Vary: Origin` to an answer.
pub fn decorate(resp: &mut Response, origin: &str) {
    let Ok(value) = HeaderValue::from_str(origin) else {
        return;
    };
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("Retry-After"),
    );
}
