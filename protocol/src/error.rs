//! The JSON error body and the stable machine codes.
//!
//! Every refusal of the API is `{"error": {"code", "message", "details"}}`: `code` is
//! stable and documented here, `message` is French for the practitioner, `details` is data.
//! Each code is written once, in the table of [`error_codes!`]: its variant, its wire name
//! and its HTTP status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Defines [`ErrorCode`] from one table: `Variant = ("wire_name", http_status),`.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = ($wire:literal, $status:literal),)+) => {
        /// Stable machine code of an API error. Never renamed once released.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The HTTP status that goes with this code.
            pub fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }

            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)+
                }
            }
        }
    };
}

error_codes! {
    /// No route at this path.
    NotFound = ("not_found", 404),
    /// The route exists but not with this HTTP method.
    MethodNotAllowed = ("method_not_allowed", 405),
    /// The request is malformed (query string, headers, path parameters).
    BadRequest = ("bad_request", 400),
    /// The body is not valid JSON or does not match the expected shape.
    InvalidJson = ("invalid_json", 400),
    /// The body is not `application/json`.
    UnsupportedMediaType = ("unsupported_media_type", 415),
    /// The body is larger than the limit.
    PayloadTooLarge = ("payload_too_large", 413),
    /// No reader with this name.
    ReaderNotFound = ("reader_not_found", 404),
    /// The reader exists but holds no card.
    NoCard = ("no_card", 409),
    /// The card reader service (pcscd) cannot be reached right now.
    BackendUnavailable = ("backend_unavailable", 503),
    /// The reader failed, or the card was pulled out (or taken by another application)
    /// during the operation: the reader's side, not the card's answer.
    CardError = ("card_error", 502),
    /// The card refused a command (its status word is not `90 00`, and means no more
    /// than "refused"): a blank, damaged or unexpected card, the card's doing, not the
    /// daemon's. `details.command`, `details.status_word`.
    CardRefused = ("card_refused", 422),
    /// The card did not answer within the deadline (`readers.apdu_timeout_ms` for one
    /// command, `readers.job_timeout_ms` for the operation), or still holds the reader
    /// without answering: the reader shows `unresponsive` until the card is pulled out.
    /// 504: the card, behind the daemon, did not answer in time.
    CardTimeout = ("card_timeout", 504),
    /// `Last-Event-ID` is not a number.
    InvalidEventId = ("invalid_event_id", 400),
    /// The route drives the in-process simulator; the daemon runs on real readers.
    SimulatorOnly = ("simulator_only", 409),
    /// No simulated card with this name (see `passerelle simcard --list`).
    UnknownSimulatedCard = ("unknown_simulated_card", 400),
    /// The card in the reader is not the kind this route reads (a CPS where a Vitale is
    /// expected...). `details.expected`, `details.found`.
    WrongCard = ("wrong_card", 409),
    /// The card answered data that cannot be used: unreadable layout, or a NIR whose key
    /// is wrong. Nothing is cached from it.
    InvalidCardData = ("invalid_card_data", 422),
    /// The PIN is wrong. `details.tries_before`, `details.tries_left`. Never retried by
    /// the daemon.
    PinIncorrect = ("pin_incorrect", 403),
    /// The card is blocked (no try left): unblock it with its unblock code
    /// (`POST /v1/readers/{reader}/pin/unblock`) or ask for a new card.
    PinBlocked = ("pin_blocked", 423),
    /// The operation needs the PIN verified first (`POST /v1/readers/{reader}/pin/verify`).
    PinRequired = ("pin_required", 403),
    /// The PIN (4 digits) or unblock code (8 digits) is not made of the right number of
    /// digits; nothing was sent to the card, no try was used.
    InvalidPinFormat = ("invalid_pin_format", 400),
    /// `secure_pin_entry` was asked but the reader has no PIN pad.
    SecurePinEntryUnavailable = ("secure_pin_entry_unavailable", 409),
    /// The PIN entry on the reader's pad was cancelled or timed out; no try was used.
    PinEntryCancelled = ("pin_entry_cancelled", 409),
    /// The unblock code is wrong. `details.tries_left` of the unblock code.
    UnblockCodeIncorrect = ("unblock_code_incorrect", 403),
    /// The digest to sign is not 64 hexadecimal characters (SHA-256).
    InvalidDigest = ("invalid_digest", 400),
    /// This card may not sign (a CPE prepares, the practitioner's CPS signs).
    SigningNotAllowed = ("signing_not_allowed", 403),
    /// The card's signature does not verify against its own certificate; nothing is
    /// returned.
    SignatureNotVerified = ("signature_not_verified", 422),
    /// No card operation with this id waiting or running on this reader (finished, or
    /// never queued).
    JobNotFound = ("job_not_found", 404),
    /// The card operation was cancelled: while it waited for the reader (the card was not
    /// used), or while it ran (the connection to the card was then reset: a verified PIN
    /// must be entered again).
    JobCancelled = ("job_cancelled", 409),
    /// The online rights service knows no insured person with these identifiers
    /// (modelled service).
    RightsNotFound = ("rights_not_found", 404),
    /// No online rights service (ADRi, ApCV) in this build: both are licensed to approved
    /// vendors, and the modelled one comes with the simulator only.
    RightsServiceUnavailable = ("rights_service_unavailable", 503),
    /// An unexpected fault inside the daemon; logged with details.
    Internal = ("internal", 500),
    /// An act code (NGAP key letter, CCAM code) is not in the tariff table. `details.field`.
    UnknownActCode = ("unknown_act_code", 422),
    /// The act is known but has no tariff at the date of the act. `details.field`, `details.date`.
    TariffNotApplicable = ("tariff_not_applicable", 422),
    /// An NGAP coefficient is impossible for this key letter (zero, too many decimals, out of range). `details.field`.
    InvalidCoefficient = ("invalid_coefficient", 422),
    /// A modifier (majoration) is not in the tariff table. `details.field`.
    UnknownModifier = ("unknown_modifier", 422),
    /// Amounts sent by the client differ from the priced ones. `details.field`, `details.expected`, `details.received`.
    IncoherentAmount = ("incoherent_amount", 422),
    /// An act (or the care) is dated after today. `details.field`.
    ActInFuture = ("act_in_future", 422),
    /// A field of an FSE is malformed (NIR, billing number, organism, date, rate...). `details.field`.
    InvalidFseField = ("invalid_fse_field", 422),
    /// The act has no tariff for the practice's zone at its date (a DROM value unknown: never
    /// the métropole one instead). `details.field`, `details.zone`, `details.date`.
    TariffUnknownForZone = ("tariff_unknown_for_zone", 422),
    /// The AMO rate the client states differs from the rate Passerelle computes from the
    /// nature and the rights ("taux demandé ≠ taux calculé"). `details.requested`, `details.computed`.
    CoverageRateMismatch = ("coverage_rate_mismatch", 422),
    /// The declared exoneration is not in the patient's rights at the care date ("modulation
    /// du ticket modérateur non trouvée"): an ALD without an ALD in force. `details.field`.
    ExonerationNotFound = ("exoneration_not_found", 422),
    /// Tiers payant complémentaire asked while the AMC contract does not allow it ("facture
    /// TPC incompatible avec le type de contrat"). `details.field`.
    TpcIncompatibleContract = ("tpc_incompatible_contract", 422),
    /// Tiers payant complémentaire asked with no complementary insurer covering the care
    /// date. `details.field`.
    AmcNotCovered = ("amc_not_covered", 422),
    /// A Sunday and public holiday surcharge (F, MDD) on another day ("date de prestation =
    /// samedi non férié"). `details.field`.
    SurchargeNotSundayOrHoliday = ("surcharge_not_sunday_or_holiday", 422),
    /// A night surcharge (N, MM, MDN, MDI) outside its hours, or without the act's time.
    /// `details.field`.
    SurchargeNotAtNight = ("surcharge_not_at_night", 422),
    /// A modifier on an act it does not apply to (MSF on other acts than C and V), out of
    /// its cases (MD), or with one it excludes (MD and IFD). `details.field`.
    ModifierNotApplicable = ("modifier_not_applicable", 422),
    /// Acts that cannot be billed together in one session (a third act, a consultation with
    /// a CCAM act...). `details.field`.
    ActsNotCumulative = ("acts_not_cumulative", 422),
    /// A sécurisée FSE without rights (`rights`: the Carte Vitale read or an online answer).
    /// `details.field`.
    RightsRequired = ("rights_required", 422),
    /// The rights named by the draft are not known: the Carte Vitale is not (or no longer) in
    /// a reader with its rights read, or the online answer is unknown or expired. `details.field`.
    RightsReferenceUnknown = ("rights_reference_unknown", 422),
    /// The rights do not cover the care date (no AMO period of the patient then).
    /// `details.field`.
    RightsNotCovering = ("rights_not_covering", 422),
    /// The FSE's organism is not the one of the rights (the message names it).
    /// `details.field`.
    RightsOrganismMismatch = ("rights_organism_mismatch", 422),
    /// The FSE's patient is not among the beneficiaries the rights name. `details.field`.
    RightsBeneficiaryUnknown = ("rights_beneficiary_unknown", 422),
    /// Nature `maternite` outside a maternity period (rights, or the stated pregnancy).
    /// `details.field`.
    MaternityNotCovered = ("maternity_not_covered", 422),
    /// No FSE with this id.
    FseNotFound = ("fse_not_found", 404),
    /// The FSE is already in a lot: it cannot be deleted any more; the caisse must be contacted.
    FseInLot = ("fse_in_lot", 409),
    /// The FSE or lot is not in a state that allows this operation. `details.from`, `details.to`.
    InvalidTransition = ("invalid_transition", 409),
    /// The `Idempotency-Key` was already used for a different request.
    IdempotencyKeyReused = ("idempotency_key_reused", 409),
    /// No pre-coded basket with this name.
    BasketNotFound = ("basket_not_found", 404),
    /// No lot with this id.
    LotNotFound = ("lot_not_found", 404),
    /// The card or situation may not sign this (a CPE never signs; a situation without the right to sign lots).
    SignerNotAllowed = ("signer_not_allowed", 403),
    /// The card could not sign.
    SigningFailed = ("signing_failed", 502),
    /// The local billing store is unavailable (disk full, file locked or damaged); logged
    /// with details. 503: nothing was recorded, the same request can be sent again.
    StorageError = ("storage_error", 503),
    /// The lot cannot be sent in its state (already sent, acknowledged...). `details.status`.
    LotNotSendable = ("lot_not_sendable", 409),
    /// No outbox attempt with this id.
    AttemptNotFound = ("attempt_not_found", 404),
    /// Only a queued attempt can be cancelled. `details.state`.
    AttemptNotCancellable = ("attempt_not_cancellable", 409),
    /// The mail settings are invalid (address, server, port). `details.field`.
    InvalidMailSettings = ("invalid_mail_settings", 422),
    /// No mail settings for this practitioner situation.
    MailSettingsNotFound = ("mail_settings_not_found", 404),
    /// The daily emission cannot be turned on: not configured, or the application lacks a
    /// scope.
    ScheduleUnavailable = ("schedule_unavailable", 409),
    /// A return (ARL, NOEMIE) that cannot be applied; the message says why.
    ReturnRefused = ("return_refused", 422),
    /// A paper duplicate asked for a lot that does not need one. `details.status`.
    PaperNotNeeded = ("paper_not_needed", 409),
    /// A replacement session opened, closed or purged without the replaced practitioner's
    /// CPS PIN verified by this very application.
    ReplacementPinRequired = ("replacement_pin_required", 403),
    /// The substitute's card or situation does not match the session (another billing
    /// number, a session for another substitute, a CPE). `details.field`.
    ReplacementSubstituteMismatch = ("replacement_substitute_mismatch", 403),
    /// The replaced practitioner's own card used as the substitute's (or to bill as the
    /// substitute). `details.field`.
    ReplacementOwnCard = ("replacement_own_card", 403),
    /// A session for this situation already covers some of these days. `details.session`.
    ReplacementOverlap = ("replacement_overlap", 409),
    /// Billing before the session's first day, after its last day, or in a closed session.
    /// `details.field`.
    ReplacementOutsidePeriod = ("replacement_outside_period", 422),
    /// No replacement session with this id.
    ReplacementNotFound = ("replacement_not_found", 404),
    /// Only the replaced practitioner, with the card of the replaced situation, may do this.
    ReplacementNotReplacedPractitioner = ("replacement_not_replaced_practitioner", 403),
    /// The session cannot be purged: not a one-time replacement, still open, or some of its
    /// FSE have no positive ARL yet (nothing billed may be lost). `details.reason`.
    ReplacementNotPurgeable = ("replacement_not_purgeable", 409),
    /// The session cannot be closed: already closed or purged.
    ReplacementNotOpen = ("replacement_not_open", 409),
    /// A replacement session or assistant grant is malformed (dates, typed substitute,
    /// billing key, name). `details.field`.
    InvalidReplacement = ("invalid_replacement", 422),
    /// The assistant has no grant for this practitioner. `details.practitioner`.
    AssistantNotGranted = ("assistant_not_granted", 403),
    /// The assistant's grant does not cover today (before its first day, after its last
    /// day) or was revoked. `details.grant`.
    AssistantOutsideDates = ("assistant_outside_dates", 403),
    /// An assistant prepares FSE; signing and sending are the practitioner's.
    AssistantCannotSign = ("assistant_cannot_sign", 403),
    /// No assistant grant with this id.
    AssistantGrantNotFound = ("assistant_grant_not_found", 404),
    /// Only the practitioner who granted it revokes an assistant's grant, with their card.
    AssistantGrantNotYours = ("assistant_grant_not_yours", 403),
    /// The attachment is not a PDF, JPEG, PNG or TIFF file (or cannot be read as one).
    /// `details.content_type`.
    AttachmentNotSupported = ("attachment_not_supported", 415),
    /// The attachment is larger than `attachments.max_bytes`. `details.bytes`, `details.max`.
    AttachmentTooLarge = ("attachment_too_large", 413),
    /// A page of the attachment is smaller than A5 (148 × 210 mm). `details.page`,
    /// `details.width_mm`, `details.height_mm`.
    AttachmentTooSmall = ("attachment_too_small", 422),
    /// A scanned page is below 200 dpi. `details.page`, `details.dpi`.
    AttachmentResolutionTooLow = ("attachment_resolution_too_low", 422),
    /// The FSE's care date is more than 30 days ago: too late to attach. `details.care_date`,
    /// `details.attach_by`.
    AttachmentTooLate = ("attachment_too_late", 422),
    /// The FSE cannot take an attachment in its state (deleted). `details.status`.
    AttachmentNotAllowed = ("attachment_not_allowed", 409),
    /// No attachment with this id.
    AttachmentNotFound = ("attachment_not_found", 404),
    /// No PJ lot with this id.
    PjLotNotFound = ("pj_lot_not_found", 404),
    /// The attachment has no paper copy to print: it is not on the paper path (its PJ lot
    /// is still being tried, or was acknowledged). `details.state`.
    AttachmentNotOnPaper = ("attachment_not_on_paper", 409),
    /// The PJ lot is not on paper: only a PJ lot on paper is posted. `details.status`.
    PjLotNotOnPaper = ("pj_lot_not_on_paper", 409),
    /// The attachment's PDF was purged (90 days after its positive ARL PJ).
    AttachmentPurged = ("attachment_purged", 410),
    /// The `Host` header is not a loopback name or address with the daemon's port (DNS
    /// rebinding protection).
    HostNotAllowed = ("host_not_allowed", 403),
    /// The `Origin` header names an application that is not paired.
    OriginNotAllowed = ("origin_not_allowed", 403),
    /// No valid token for this origin: missing, unknown, expired, revoked or issued to
    /// another client. The answer never says which.
    Unauthorized = ("unauthorized", 401),
    /// The token is valid but lacks the scope this route needs. `details.required`.
    ScopeMissing = ("scope_missing", 403),
    /// Too many requests from this token or client; retry after `details.retry_after_ms`.
    RateLimited = ("rate_limited", 429),
    /// No pairing request with this id (unknown, expired, or asked from another origin).
    PairingNotFound = ("pairing_not_found", 404),
    /// The pairing request is malformed (no scope, bad name) or too many are pending.
    PairingInvalid = ("pairing_invalid", 400),
    /// The OS user that owns the calling program's connection is not in
    /// `security.allowed_os_users`: refused before anything else (pairing included),
    /// whatever the request says. `details.os_user`.
    OsUserNotAllowed = ("os_user_not_allowed", 403),
    /// Too many pairing requests of this OS user are waiting for the practitioner; retry
    /// once they are decided or expired.
    TooManyPairings = ("too_many_pairings", 429),
    /// The request was not received (or not answered) within the connection's time limits
    /// (`server.body_read_timeout_ms`, `server.request_timeout_ms`); the connection is
    /// closed.
    RequestTimeout = ("request_timeout", 408),
    /// The request could not be read as HTTP/1.1 (bytes not allowed in the path, headers
    /// too large, a malformed `Content-Length`...); answered for the HTTP server, which
    /// then closes the connection.
    MalformedRequest = ("malformed_request", 400),
    /// The request headers are larger than the server accepts.
    HeadersTooLarge = ("headers_too_large", 431),
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
        for &code in ErrorCode::ALL {
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
