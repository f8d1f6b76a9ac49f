//! A JSON body extractor whose every rejection is an [`ApiFailure`] with a stable code.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use passerelle_protocol::ErrorCode;
use serde::de::DeserializeOwned;

use super::ApiFailure;

/// Like `axum::Json`, with our errors. With `ECHO = false` ([`SECRET`]), for bodies that
/// carry a PIN or an unblock code, a rejection never quotes the body (serde's messages
/// would repeat a misplaced value).
pub struct JsonBody<T, const ECHO: bool = true>(pub T);

/// The `ECHO` parameter of [`JsonBody`] for bodies that carry a secret.
pub const SECRET: bool = false;

impl<S, T, const ECHO: bool> FromRequest<S> for JsonBody<T, ECHO>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(rejected(rejection, ECHO)),
        }
    }
}

fn rejected(rejection: JsonRejection, echo: bool) -> ApiFailure {
    let detail = match echo {
        true => serde_json::json!({ "cause": rejection.body_text() }),
        false => {
            serde_json::json!({ "cause": "(non reproduit : le corps contient un code secret)" })
        }
    };
    let failure = match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiFailure::new(
            ErrorCode::UnsupportedMediaType,
            "Le corps de la requête doit être du JSON (Content-Type: application/json).",
        ),
        JsonRejection::JsonSyntaxError(_) => ApiFailure::new(
            ErrorCode::InvalidJson,
            "Le corps de la requête n'est pas du JSON valide.",
        ),
        JsonRejection::JsonDataError(_) => ApiFailure::new(
            ErrorCode::InvalidJson,
            "Le corps de la requête ne contient pas les champs attendus.",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiFailure::new(
            ErrorCode::PayloadTooLarge,
            "Le corps de la requête est trop volumineux.",
        ),
        _ => ApiFailure::new(
            ErrorCode::BadRequest,
            "Le corps de la requête n'a pas pu être lu.",
        ),
    };
    failure.details(detail)
}
