//! A path-parameter extractor whose every rejection is an [`ApiFailure`] (400,
//! `bad_request`, JSON), as [`super::json::JsonBody`] is for bodies: axum's own `Path`
//! answers a malformed id (`/v1/fse/abc`) or a name that is not UTF-8 in plain text.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use passerelle_protocol::ErrorCode;
use serde::de::DeserializeOwned;

use super::ApiFailure;

/// Like `axum::extract::Path`, with our errors.
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(PathParams(value)),
            Err(rejection) => Err(ApiFailure::new(
                ErrorCode::BadRequest,
                "Un identifiant ou un nom de l'adresse est illisible.",
            )
            .details(serde_json::json!({ "cause": rejection.body_text() }))),
        }
    }
}
