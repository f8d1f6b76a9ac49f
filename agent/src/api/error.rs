//! The one place where layer errors become API errors: status, stable code, French message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use passerelle_protocol::{ApiError, ErrorCode};

use passerelle_cards::transport::TransportError;
use passerelle_cards::CardError;

/// An API refusal, rendered as `{"error": {...}}` with the code's HTTP status.
#[derive(Debug)]
pub struct ApiFailure(pub ApiError);

impl ApiFailure {
    /// A failure with a code and a French message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiFailure(ApiError::new(code, message))
    }

    /// The same failure with structured details.
    pub fn details(self, details: serde_json::Value) -> Self {
        ApiFailure(self.0.with_details(details))
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.error.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0)).into_response()
    }
}

impl From<TransportError> for ApiFailure {
    fn from(e: TransportError) -> Self {
        let (code, message) = match &e {
            TransportError::NoCard => (
                ErrorCode::NoCard,
                "Aucune carte dans ce lecteur.".to_owned(),
            ),
            TransportError::CardRemoved => (
                ErrorCode::CardError,
                "La carte a été retirée pendant l'opération. Réinsérez-la et recommencez."
                    .to_owned(),
            ),
            TransportError::ReaderNotFound => (
                ErrorCode::ReaderNotFound,
                "Ce lecteur de cartes n'est pas connecté.".to_owned(),
            ),
            TransportError::ServiceUnavailable(_) => (
                ErrorCode::BackendUnavailable,
                "Le service des lecteurs de cartes ne répond pas. Vérifiez qu'il est démarré."
                    .to_owned(),
            ),
            TransportError::Busy(_) => (
                ErrorCode::CardError,
                "La carte est utilisée par une autre application. Réessayez dans un instant."
                    .to_owned(),
            ),
            TransportError::Failure(_) => (
                ErrorCode::CardError,
                "Le lecteur de cartes a signalé une erreur.".to_owned(),
            ),
            TransportError::Cancelled => (
                ErrorCode::JobCancelled,
                "L'opération a été annulée pendant qu'elle attendait le lecteur ; la carte n'a pas été utilisée."
                    .to_owned(),
            ),
            TransportError::Interrupted => (
                ErrorCode::JobCancelled,
                "L'opération a été annulée pendant qu'elle utilisait la carte ; la connexion à la carte a été réinitialisée : si le code PIN avait été saisi, saisissez-le de nouveau."
                    .to_owned(),
            ),
            TransportError::Timeout => (
                ErrorCode::CardTimeout,
                "La carte de ce lecteur ne répond pas dans le délai prévu : retirez-la et réinsérez-la ; si cela se reproduit, la carte est peut-être défectueuse."
                    .to_owned(),
            ),
        };
        ApiFailure::new(code, message).details(serde_json::json!({ "cause": e.to_string() }))
    }
}

impl From<CardError> for ApiFailure {
    fn from(e: CardError) -> Self {
        let message = e.to_string();
        match e {
            CardError::Transport(t) => ApiFailure::from(t),
            CardError::Status { command, sw } => ApiFailure::new(ErrorCode::CardRefused, message)
                .details(serde_json::json!({ "command": command, "status_word": sw.to_string() })),
            CardError::Malformed { what } => ApiFailure::new(ErrorCode::InvalidCardData, message)
                .details(serde_json::json!({ "what": what })),
            // The NIR itself stays out of the answer: it would end up in a client's logs.
            CardError::InvalidNir { .. } => ApiFailure::new(ErrorCode::InvalidCardData, message)
                .details(serde_json::json!({ "what": "nir" })),
            CardError::WrongCard { expected, found } => {
                ApiFailure::new(ErrorCode::WrongCard, message)
                    .details(serde_json::json!({ "expected": expected, "found": found }))
            }
            CardError::PinIncorrect {
                tries_before,
                tries_left,
            } => ApiFailure::new(ErrorCode::PinIncorrect, message).details(
                serde_json::json!({ "tries_before": tries_before, "tries_left": tries_left }),
            ),
            CardError::PinBlocked => ApiFailure::new(ErrorCode::PinBlocked, message).details(
                serde_json::json!({ "tries_left": 0, "unblock": "POST /v1/readers/{reader}/pin/unblock" }),
            ),
            CardError::PinRequired => ApiFailure::new(ErrorCode::PinRequired, message),
            CardError::InvalidPinFormat {
                what,
                expected_digits,
            } => ApiFailure::new(ErrorCode::InvalidPinFormat, message)
                .details(serde_json::json!({ "what": what, "expected_digits": expected_digits })),
            CardError::SecurePinEntryUnavailable => {
                ApiFailure::new(ErrorCode::SecurePinEntryUnavailable, message)
            }
            CardError::PinEntryCancelled => ApiFailure::new(ErrorCode::PinEntryCancelled, message),
            CardError::UnblockCodeIncorrect { tries_left } => {
                ApiFailure::new(ErrorCode::UnblockCodeIncorrect, message)
                    .details(serde_json::json!({ "tries_left": tries_left }))
            }
            CardError::SignatureNotVerified => {
                ApiFailure::new(ErrorCode::SignatureNotVerified, message)
            }
            CardError::SigningNotAllowed { kind } => {
                ApiFailure::new(ErrorCode::SigningNotAllowed, message)
                    .details(serde_json::json!({ "card_kind": kind }))
            }
        }
    }
}

/// Fallback for unknown routes.
pub async fn not_found() -> ApiFailure {
    ApiFailure::new(
        ErrorCode::NotFound,
        "Cette adresse n'existe pas dans l'API Passerelle.",
    )
}

/// Fallback for known routes with another method.
pub async fn method_not_allowed() -> ApiFailure {
    ApiFailure::new(
        ErrorCode::MethodNotAllowed,
        "Cette opération n'est pas permise à cette adresse.",
    )
}

/// Turns a panic inside a handler into a JSON error (the panic itself is logged).
pub fn panicked(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiFailure::new(
        ErrorCode::Internal,
        "Erreur interne de Passerelle. L'incident a été journalisé.",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_cards::apdu::StatusWord;
    use passerelle_protocol::CardKind;

    fn answer(e: impl Into<ApiFailure>) -> (u16, &'static str) {
        let code = e.into().0.error.code;
        (code.http_status(), code.as_str())
    }

    /// The card's refusals are the client's business (4xx); 502/503 are kept for the reader
    /// and the reader service, which monitoring rightly counts as faults.
    #[test]
    fn card_refusals_are_4xx_reader_failures_5xx() {
        let refused = CardError::Status {
            command: "READ BINARY",
            sw: StatusWord::FileNotFound,
        };
        assert_eq!(answer(refused), (422, "card_refused"));
        let wrong = CardError::WrongCard {
            expected: CardKind::Vitale,
            found: CardKind::Cps,
        };
        assert_eq!(answer(wrong), (409, "wrong_card"));
        assert_eq!(
            answer(TransportError::Failure("driver".into())),
            (502, "card_error")
        );
        assert_eq!(
            answer(TransportError::ServiceUnavailable("pcscd".into())),
            (503, "backend_unavailable")
        );
        assert_eq!(answer(TransportError::Timeout), (504, "card_timeout"));
        assert_eq!(answer(TransportError::Interrupted), (409, "job_cancelled"));
    }
}
