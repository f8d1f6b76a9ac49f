//! Acting for another practitioner: replacement sessions (a substitute bills under the
//! replaced practitioner's billing identity) and assistants' grants (an assistant prepares
//! FSE for a practitioner, within dates, and never signs nor sends).
//!
//! Dates are `YYYY-MM-DD`, both ends included, in the practice's civil calendar (Paris).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::CardKind;

/// The situation being replaced, copied from the replaced practitioner's card at opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplacedSituation {
    /// Billing number (8 digits): every FSE of the session is billed under it.
    pub billing_number: String,
    /// Its key, as on the card.
    pub billing_key: String,
    /// Index of the situation on the replaced practitioner's card.
    pub situation: u8,
    /// Profession code of the replaced practitioner (`50` sage-femme, `10` médecin).
    pub profession: String,
    /// Speciality code of the situation.
    pub speciality: String,
    /// Tariff zone code of the situation: the session's tariffs are the replaced
    /// practitioner's.
    pub tariff_zone: String,
    /// Conventional sector (the situation's agreement code).
    pub sector: String,
    /// The mailbox lots leave from (the replaced practitioner's mail settings when set at
    /// opening; lots always go through the mail settings of this billing number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// Replaced practitioner's last name.
    pub last_name: String,
    /// Replaced practitioner's first name.
    pub first_name: String,
    /// Serial of the card that opened the session.
    pub card_serial: String,
}

/// The substitute (remplaçant), as read from their CPS or CPF or as typed and checked.
/// Emptied (but the billing number) when the session is purged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Substitute {
    /// Billing number (8 digits) of the substitute's replacement situation.
    pub billing_number: String,
    /// Its key.
    pub billing_key: String,
    /// Holder identifier (RPPS or ADELI).
    pub holder_id: String,
    /// Last name.
    pub last_name: String,
    /// First name.
    pub first_name: String,
    /// The card it was read from (`cps`, `cpf`), when read from a card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_kind: Option<CardKind>,
    /// That card's serial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_serial: Option<String>,
}

/// Where a replacement session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementState {
    /// The substitute may bill in it, within its period.
    Open,
    /// Closed early by the replaced practitioner, or ended at the end of its period.
    Closed,
    /// Closed, and what was stored of the substitute purged (one-time replacement).
    Purged,
}

/// A replacement session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplacementSession {
    /// Local id.
    pub id: i64,
    /// The replaced situation.
    pub replaced: ReplacedSituation,
    /// The substitute.
    pub substitute: Substitute,
    /// First day.
    pub start: String,
    /// Last day (included): the session ends by itself after it.
    pub end: String,
    /// A one-time replacement: the substitute's data may be purged once every lot of the
    /// session has its positive ARL.
    pub one_time: bool,
    /// State.
    pub state: ReplacementState,
    /// When it was opened (RFC 3339).
    pub opened_at: String,
    /// When it was closed, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// `early` (closed by the replaced practitioner) or `period_end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_because: Option<String>,
    /// When the substitute's data was purged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged_at: Option<String>,
    /// Hex SHA-256 of the opening statement the replaced practitioner's CPS signed
    /// (modelled input: see the README).
    pub opening_sha256: String,
    /// That signature, base64 (PKCS#1 v1.5, SHA-256).
    pub opening_signature: String,
    /// The signer's certificate, base64 DER.
    pub opening_certificate: String,
}

/// The substitute when opening: read from a card in a reader, or typed (checked: lengths,
/// the billing number's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum SubstituteInput {
    /// The substitute's CPS or CPF, in a reader: its replacement situation.
    Card {
        /// Reader holding it.
        reader: String,
        /// Index of its replacement situation (default 0).
        #[serde(default)]
        situation: u8,
    },
    /// Typed by hand.
    Typed {
        /// Billing number, 8 digits.
        billing_number: String,
        /// Its key, 1 digit.
        billing_key: String,
        /// Holder identifier (RPPS 11 digits, or ADELI/modelled 9 to 12 characters).
        holder_id: String,
        /// Last name.
        last_name: String,
        /// First name.
        first_name: String,
    },
}

/// `POST /v1/replacements`: the replaced practitioner opens a session with their own CPS in
/// `reader`, its PIN verified by this application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplacementOpenRequest {
    /// Reader holding the replaced practitioner's CPS.
    pub reader: String,
    /// The situation being replaced (index on that card; default 0).
    #[serde(default)]
    pub situation: u8,
    /// The substitute.
    pub substitute: SubstituteInput,
    /// First day, today or later.
    pub start: String,
    /// Last day (included).
    pub end: String,
    /// A one-time replacement (its substitute's data may be purged after the ARL).
    #[serde(default)]
    pub one_time: bool,
}

/// `POST /v1/replacements/{id}/close` and `…/purge`: the replaced practitioner's CPS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplacementCardRequest {
    /// Reader holding the replaced practitioner's CPS, its PIN verified.
    pub reader: String,
    /// The replaced situation's index on that card (default 0).
    #[serde(default)]
    pub situation: u8,
}

/// `GET /v1/replacements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplacementList {
    /// Every session, newest first.
    pub sessions: Vec<ReplacementSession>,
}

/// The replacement part of an FSE drawn in a session: who really gave the care. The FSE's
/// `practitioner` is the replaced practitioner's billing identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplacementPart {
    /// The session.
    pub session_id: i64,
    /// The substitute's billing number.
    pub substitute_billing_number: String,
    /// The substitute's holder identifier (emptied by a purge).
    pub substitute_holder_id: String,
    /// The substitute's last name (emptied by a purge).
    pub substitute_last_name: String,
    /// The substitute's first name (emptied by a purge).
    pub substitute_first_name: String,
}

/// An assistant (who prepares FSE for a practitioner).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Assistant {
    /// An employee's card (CPE), by its serial.
    Cpe {
        /// CPE serial.
        serial: String,
        /// Holder's last name.
        last_name: String,
        /// Holder's first name.
        first_name: String,
    },
    /// A paired application acting for a named assistant: every request of that
    /// application is the assistant's.
    Application {
        /// The application's grant id (`GET /v1/grants`).
        grant_id: String,
        /// The assistant's name.
        name: String,
    },
}

/// An assistant's grant: may prepare FSE for `practitioner` from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssistantGrant {
    /// Local id.
    pub id: i64,
    /// The practitioner's billing number.
    pub practitioner: String,
    /// The assistant.
    pub assistant: Assistant,
    /// First day.
    pub start: String,
    /// Last day (included).
    pub end: String,
    /// When it was granted (RFC 3339).
    pub granted_at: String,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// The assistant when granting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AssistantInput {
    /// The assistant's CPE, in a reader.
    Cpe {
        /// Reader holding it.
        reader: String,
    },
    /// A paired application acting for a named assistant.
    Application {
        /// The application's grant id.
        grant_id: String,
        /// The assistant's name (1 to 64 characters).
        name: String,
    },
}

/// `POST /v1/assistants`: the practitioner (CPS + PIN) grants an assistant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssistantGrantRequest {
    /// Reader holding the practitioner's CPS, its PIN verified.
    pub reader: String,
    /// The situation (index) the assistant prepares FSE for (default 0).
    #[serde(default)]
    pub situation: u8,
    /// Who.
    pub assistant: AssistantInput,
    /// First day.
    pub start: String,
    /// Last day (included): refused the day after.
    pub end: String,
}

/// `GET /v1/assistants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AssistantGrantList {
    /// Every grant, newest first.
    pub grants: Vec<AssistantGrant>,
}
