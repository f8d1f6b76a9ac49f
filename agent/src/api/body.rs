//! Request bodies are read whole before the handler runs.
//!
//! A handler that answers before reading the body (an unsupported `Content-Type`, a body
//! over the limit) makes the server close a connection whose client is still sending;
//! the client then gets a reset instead of the JSON answer. So the body (every JSON body
//! here is small) is read first, up to `server.max_body_bytes`; a larger one is read on
//! and thrown away up to [`DRAIN_LIMIT`] so its client can read `payload_too_large`
//! (beyond that the connection is closed). It runs outside the security checks, so a
//! refused request's body is read as well and the client's keep-alive connection survives
//! the refusal (`tests/tests/keep_alive.rs`). The whole body must arrive within
//! `server.body_read_timeout_ms`, else `request_timeout` (408) and the connection closes
//! (a body shorter than its `Content-Length` never ends).

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use passerelle_protocol::ErrorCode;

use super::error::ApiFailure;

/// How many bytes of a refused body are read and thrown away before the answer.
pub const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// What bodies may be.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body kept, in bytes (`server.max_body_bytes`).
    pub max: usize,
    /// The whole body within this (`server.body_read_timeout_ms`).
    pub timeout: std::time::Duration,
}

/// The middleware: buffers the body up to `max` bytes, else answers `payload_too_large`.
/// A scanned attachment (`POST /v1/fse/{id}/attachments`) is read up to [`DRAIN_LIMIT`]:
/// billing refuses one over `attachments.max_bytes` with its own code.
pub async fn buffer(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let max = if is_attachment_upload(&request) {
        DRAIN_LIMIT
    } else {
        limits.max
    };
    let (parts, body) = request.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let mut stream = body.into_data_stream();
    let mut kept: Vec<u8> = Vec::new();
    let mut seen: usize = 0;
    let read = tokio::time::timeout(limits.timeout, async {
        while let Some(chunk) = stream.next().await {
            let Ok(chunk) = chunk else {
                return Err(ApiFailure::new(
                    ErrorCode::BadRequest,
                    "Le corps de la requête n'a pas pu être lu.",
                ));
            };
            seen = seen.saturating_add(chunk.len());
            if seen <= max {
                kept.extend_from_slice(&chunk);
            } else if seen > DRAIN_LIMIT {
                break;
            }
        }
        Ok(())
    })
    .await;
    match read {
        Ok(Ok(())) => {}
        Ok(Err(failure)) => return failure.into_response(),
        Err(_) => {
            let mut resp = ApiFailure::new(
                ErrorCode::RequestTimeout,
                "Le corps de la requête est arrivé trop lentement : la connexion est fermée.",
            )
            .details(serde_json::json!({ "timeout_ms": limits.timeout.as_millis() as u64 }))
            .into_response();
            resp.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
            return resp;
        }
    }
    if seen > max {
        return ApiFailure::new(
            ErrorCode::PayloadTooLarge,
            "Le corps de la requête est trop volumineux.",
        )
        .details(serde_json::json!({ "max_bytes": max }))
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(kept))).await
}

/// `POST /v1/fse/{id}/attachments`.
fn is_attachment_upload(request: &Request) -> bool {
    let segments: Vec<&str> = request.uri().path().trim_matches('/').split('/').collect();
    request.method() == axum::http::Method::POST
        && matches!(segments.as_slice(), ["v1", "fse", _, "attachments"])
}
