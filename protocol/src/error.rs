//! The JSON error body and the stable machine codes.
//!
//! Every refusal of the API is `{"error": {"code", "message", "details"}}`: `code` is
//! stable and documented here, `message` is French for the practitioner, `details` is data.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Stable machine code of an API error. Never renamed once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No route at this path.
    NotFound,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// The request is malformed (query string, headers, path parameters).
    BadRequest,
    /// The body is not valid JSON or does not match the expected shape.
    InvalidJson,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// The body is larger than the limit.
    PayloadTooLarge,
    /// No reader with this name.
    ReaderNotFound,
    /// The reader exists but holds no card.
    NoCard,
    /// The card reader service (pcscd) cannot be reached right now.
    BackendUnavailable,
    /// The card did not answer as expected, or was pulled out during the operation.
    CardError,
    /// `Last-Event-ID` is not a number.
    InvalidEventId,
    /// The route drives the in-process simulator; the daemon runs on real readers.
    SimulatorOnly,
    /// No simulated card with this name (see `passerelle simcard --list`).
    UnknownSimulatedCard,
    /// The card in the reader is not the kind this route reads (a CPS where a Vitale is
    /// expected...). `details.expected`, `details.found`.
    WrongCard,
    /// The card answered data that cannot be used: unreadable layout, or a NIR whose key
    /// is wrong. Nothing is cached from it.
    InvalidCardData,
    /// The PIN is wrong. `details.tries_before`, `details.tries_left`. Never retried by
    /// the daemon.
    PinIncorrect,
    /// The card is blocked (no try left): unblock it with its unblock code
    /// (`POST /v1/readers/{reader}/pin/unblock`) or ask for a new card.
    PinBlocked,
    /// The operation needs the PIN verified first (`POST /v1/readers/{reader}/pin/verify`).
    PinRequired,
    /// The PIN (4 digits) or unblock code (8 digits) is not made of the right number of
    /// digits; nothing was sent to the card, no try was used.
    InvalidPinFormat,
    /// `secure_pin_entry` was asked but the reader has no PIN pad.
    SecurePinEntryUnavailable,
    /// The PIN entry on the reader's pad was cancelled or timed out; no try was used.
    PinEntryCancelled,
    /// The unblock code is wrong. `details.tries_left` of the unblock code.
    UnblockCodeIncorrect,
    /// The digest to sign is not 64 hexadecimal characters (SHA-256).
    InvalidDigest,
    /// This card may not sign (a CPE prepares, the practitioner's CPS signs).
    SigningNotAllowed,
    /// The card's signature does not verify against its own certificate; nothing is
    /// returned.
    SignatureNotVerified,
    /// No waiting card operation with this id on this reader (finished, running, or
    /// never queued).
    JobNotFound,
    /// The card operation was cancelled while it waited for the reader.
    JobCancelled,
    /// The online rights service knows no insured person with these identifiers
    /// (modelled service).
    RightsNotFound,
    /// An unexpected fault inside the daemon; logged with details.
    Internal,
    /// An act code (NGAP key letter, CCAM code) is not in the tariff table. `details.field`.
    UnknownActCode,
    /// The act is known but has no tariff at the date of the act. `details.field`, `details.date`.
    TariffNotApplicable,
    /// An NGAP coefficient is impossible for this key letter (zero, too many decimals, out of range). `details.field`.
    InvalidCoefficient,
    /// A modifier (majoration) is not in the tariff table. `details.field`.
    UnknownModifier,
    /// Amounts sent by the client differ from the priced ones. `details.field`, `details.expected`, `details.received`.
    IncoherentAmount,
    /// An act (or the care) is dated after today. `details.field`.
    ActInFuture,
    /// A field of an FSE is malformed (NIR, billing number, organism, date, rate...). `details.field`.
    InvalidFseField,
    /// No FSE with this id.
    FseNotFound,
    /// The FSE is already in a lot: it cannot be deleted any more; the caisse must be contacted.
    FseInLot,
    /// The FSE or lot is not in a state that allows this operation. `details.from`, `details.to`.
    InvalidTransition,
    /// The `Idempotency-Key` was already used for a different request.
    IdempotencyKeyReused,
    /// No pre-coded basket with this name.
    BasketNotFound,
    /// No lot with this id.
    LotNotFound,
    /// The card or situation may not sign this (a CPE never signs; a situation without the right to sign lots).
    SignerNotAllowed,
    /// The card could not sign.
    SigningFailed,
    /// The local billing store is unavailable (disk full, file locked or damaged); logged
    /// with details. 503: nothing was recorded, the same request can be sent again.
    StorageError,
    /// The `Host` header is not a loopback name or address with the daemon's port (DNS
    /// rebinding protection).
    HostNotAllowed,
    /// The `Origin` header names an application that is not paired.
    OriginNotAllowed,
    /// No valid token for this origin: missing, unknown, expired, revoked or issued to
    /// another client. The answer never says which.
    Unauthorized,
    /// The token is valid but lacks the scope this route needs. `details.required`.
    ScopeMissing,
    /// Too many requests from this token or client; retry after `details.retry_after_ms`.
    RateLimited,
    /// No pairing request with this id (unknown, expired, or asked from another origin).
    PairingNotFound,
    /// The pairing request is malformed (no scope, bad name) or too many are pending.
    PairingInvalid,
}

impl ErrorCode {
    /// The HTTP status that goes with this code.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::NotFound | ErrorCode::ReaderNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::BadRequest
            | ErrorCode::InvalidJson
            | ErrorCode::InvalidEventId
            | ErrorCode::UnknownSimulatedCard => 400,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::NoCard | ErrorCode::SimulatorOnly | ErrorCode::WrongCard => 409,
            ErrorCode::InvalidCardData => 422,
            ErrorCode::BackendUnavailable => 503,
            ErrorCode::CardError => 502,
            ErrorCode::PinIncorrect
            | ErrorCode::PinRequired
            | ErrorCode::UnblockCodeIncorrect
            | ErrorCode::SigningNotAllowed => 403,
            ErrorCode::PinBlocked => 423,
            ErrorCode::InvalidPinFormat | ErrorCode::InvalidDigest => 400,
            ErrorCode::SecurePinEntryUnavailable
            | ErrorCode::PinEntryCancelled
            | ErrorCode::JobCancelled => 409,
            ErrorCode::SignatureNotVerified => 422,
            ErrorCode::JobNotFound | ErrorCode::RightsNotFound => 404,
            ErrorCode::Internal => 500,
            ErrorCode::UnknownActCode => 422,
            ErrorCode::TariffNotApplicable => 422,
            ErrorCode::InvalidCoefficient => 422,
            ErrorCode::UnknownModifier => 422,
            ErrorCode::IncoherentAmount => 422,
            ErrorCode::ActInFuture => 422,
            ErrorCode::InvalidFseField => 422,
            ErrorCode::FseNotFound => 404,
            ErrorCode::FseInLot => 409,
            ErrorCode::InvalidTransition => 409,
            ErrorCode::IdempotencyKeyReused => 409,
            ErrorCode::BasketNotFound => 404,
            ErrorCode::LotNotFound => 404,
            ErrorCode::SignerNotAllowed => 403,
            ErrorCode::SigningFailed => 502,
            ErrorCode::StorageError => 503,
            ErrorCode::HostNotAllowed | ErrorCode::OriginNotAllowed | ErrorCode::ScopeMissing => {
                403
            }
            ErrorCode::Unauthorized => 401,
            ErrorCode::RateLimited => 429,
            ErrorCode::PairingNotFound => 404,
            ErrorCode::PairingInvalid => 400,
        }
    }

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::ReaderNotFound => "reader_not_found",
            ErrorCode::NoCard => "no_card",
            ErrorCode::BackendUnavailable => "backend_unavailable",
            ErrorCode::CardError => "card_error",
            ErrorCode::InvalidEventId => "invalid_event_id",
            ErrorCode::SimulatorOnly => "simulator_only",
            ErrorCode::UnknownSimulatedCard => "unknown_simulated_card",
            ErrorCode::WrongCard => "wrong_card",
            ErrorCode::InvalidCardData => "invalid_card_data",
            ErrorCode::PinIncorrect => "pin_incorrect",
            ErrorCode::PinBlocked => "pin_blocked",
            ErrorCode::PinRequired => "pin_required",
            ErrorCode::InvalidPinFormat => "invalid_pin_format",
            ErrorCode::SecurePinEntryUnavailable => "secure_pin_entry_unavailable",
            ErrorCode::PinEntryCancelled => "pin_entry_cancelled",
            ErrorCode::UnblockCodeIncorrect => "unblock_code_incorrect",
            ErrorCode::InvalidDigest => "invalid_digest",
            ErrorCode::SigningNotAllowed => "signing_not_allowed",
            ErrorCode::SignatureNotVerified => "signature_not_verified",
            ErrorCode::JobNotFound => "job_not_found",
            ErrorCode::JobCancelled => "job_cancelled",
            ErrorCode::RightsNotFound => "rights_not_found",
            ErrorCode::Internal => "internal",
            ErrorCode::UnknownActCode => "unknown_act_code",
            ErrorCode::TariffNotApplicable => "tariff_not_applicable",
            ErrorCode::InvalidCoefficient => "invalid_coefficient",
            ErrorCode::UnknownModifier => "unknown_modifier",
            ErrorCode::IncoherentAmount => "incoherent_amount",
            ErrorCode::ActInFuture => "act_in_future",
            ErrorCode::InvalidFseField => "invalid_fse_field",
            ErrorCode::FseNotFound => "fse_not_found",
            ErrorCode::FseInLot => "fse_in_lot",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::BasketNotFound => "basket_not_found",
            ErrorCode::LotNotFound => "lot_not_found",
            ErrorCode::SignerNotAllowed => "signer_not_allowed",
            ErrorCode::SigningFailed => "signing_failed",
            ErrorCode::StorageError => "storage_error",
            ErrorCode::HostNotAllowed => "host_not_allowed",
            ErrorCode::OriginNotAllowed => "origin_not_allowed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::ScopeMissing => "scope_missing",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::PairingNotFound => "pairing_not_found",
            ErrorCode::PairingInvalid => "pairing_invalid",
        }
    }
}

/// The content of an error response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code.
    pub code: ErrorCode,
    /// Message for the practitioner, in French.
    pub message: String,
    /// Structured data about the error (which field, how many tries left...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// An error response: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    /// The error.
    pub error: ErrorBody,
}

impl ApiError {
    /// An error with a code and a French message, without details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            error: ErrorBody {
                code,
                message: message.into(),
                details: None,
            },
        }
    }

    /// The same error with structured details.
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.error.details = Some(details);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_code_matches_serde_name() {
        for code in [
            ErrorCode::NotFound,
            ErrorCode::MethodNotAllowed,
            ErrorCode::BadRequest,
            ErrorCode::InvalidJson,
            ErrorCode::UnsupportedMediaType,
            ErrorCode::PayloadTooLarge,
            ErrorCode::ReaderNotFound,
            ErrorCode::NoCard,
            ErrorCode::BackendUnavailable,
            ErrorCode::CardError,
            ErrorCode::InvalidEventId,
            ErrorCode::SimulatorOnly,
            ErrorCode::UnknownSimulatedCard,
            ErrorCode::WrongCard,
            ErrorCode::InvalidCardData,
            ErrorCode::PinIncorrect,
            ErrorCode::PinBlocked,
            ErrorCode::PinRequired,
            ErrorCode::InvalidPinFormat,
            ErrorCode::SecurePinEntryUnavailable,
            ErrorCode::PinEntryCancelled,
            ErrorCode::UnblockCodeIncorrect,
            ErrorCode::InvalidDigest,
            ErrorCode::SigningNotAllowed,
            ErrorCode::SignatureNotVerified,
            ErrorCode::JobNotFound,
            ErrorCode::JobCancelled,
            ErrorCode::RightsNotFound,
            ErrorCode::Internal,
            ErrorCode::UnknownActCode,
            ErrorCode::TariffNotApplicable,
            ErrorCode::InvalidCoefficient,
            ErrorCode::UnknownModifier,
            ErrorCode::IncoherentAmount,
            ErrorCode::ActInFuture,
            ErrorCode::InvalidFseField,
            ErrorCode::FseNotFound,
            ErrorCode::FseInLot,
            ErrorCode::InvalidTransition,
            ErrorCode::IdempotencyKeyReused,
            ErrorCode::BasketNotFound,
            ErrorCode::LotNotFound,
            ErrorCode::SignerNotAllowed,
            ErrorCode::SigningFailed,
            ErrorCode::StorageError,
            ErrorCode::HostNotAllowed,
            ErrorCode::OriginNotAllowed,
            ErrorCode::Unauthorized,
            ErrorCode::ScopeMissing,
            ErrorCode::RateLimited,
            ErrorCode::PairingNotFound,
            ErrorCode::PairingInvalid,
        ] {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, serde_json::Value::String(code.as_str().to_owned()));
        }
    }

    #[test]
    fn error_body_shape() {
        let e = ApiError::new(ErrorCode::NotFound, "Adresse inconnue.");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["error"]["code"], "not_found");
        assert!(v["error"].get("details").is_none());
    }
}
