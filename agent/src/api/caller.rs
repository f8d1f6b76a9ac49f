//! Who is calling, as the reader queue and the logs show it.

use axum::extract::FromRequestParts;
use axum::http::header::ORIGIN;
use axum::http::request::Parts;

use crate::service::Caller;

/// Extracts the [`Caller`]: the request's `Origin` (browser applications), when it is
/// printable ASCII of a sane length.
pub struct RequestCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for RequestCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let client = parts
            .headers
            .get(ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 200)
            .map(str::to_owned);
        Ok(RequestCaller(Caller { client }))
    }
}
