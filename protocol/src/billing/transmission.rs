//! Lot transmission on the wire: the outbox (one attempt per sending of a lot), a lot's
//! detail with its transmission history, the mail settings of a practitioner situation and
//! the daily emission.
//!
//! Sending a lot creates an attempt in the outbox, in the same transaction as the lot's
//! move to `sending`; a worker sends attempts in order, per practitioner mailbox, retries
//! temporary failures with backoff and stops on permanent ones (the lot then needs
//! attention). An attempt whose outcome a crash left unknown is sent again with the same
//! Message-ID and the same bytes, never as a new lot.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lots::Lot;
use crate::secret::Secret;

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptState {
    /// Waiting for its turn (or for `next_try` after a temporary failure).
    Queued,
    /// Its message is built and stored; being handed to the mail server (or a crash
    /// interrupted that: it will go again with the same Message-ID).
    Sending,
    /// The mail server accepted it.
    Sent,
    /// Refused for good (the server's answer, or settings that cannot work): the lot needs
    /// attention; nothing is retried.
    Failed,
    /// Cancelled while queued: the lot went back to `signed`.
    Cancelled,
}

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptReason {
    /// The lot's first sending.
    First,
    /// Sent again after a permanent failure was dealt with.
    Retry,
    /// Sent again after a negative ARL or no ARL in time (returns).
    Resend,
    /// Sent by the daily emission.
    Daily,
}

/// One sending of one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutboxAttempt {
    /// Attempt id.
    pub id: i64,
    /// What it carries: a lot of FSE, or a PJ lot.
    #[serde(default)]
    pub kind: super::LotKind,
    /// The lot's local id (of a PJ lot when `kind` is `pj`).
    pub lot_id: i64,
    /// The lot number (3 digits).
    pub lot_number: String,
    /// The practitioner's billing number: the mailbox the lot leaves from.
    pub practitioner: String,
    /// 1 for the lot's first attempt, then 2, 3...
    pub attempt: u32,
    /// Why.
    pub reason: AttemptReason,
    /// The Message-ID (with its angle brackets): the same for every SMTP try of this
    /// attempt, so the organism can recognise a repeat.
    pub message_id: String,
    /// Where it stands.
    pub state: AttemptState,
    /// When it was created (RFC 3339).
    pub created: String,
    /// When the next SMTP try is due (queued attempts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_try: Option<String>,
    /// SMTP tries so far.
    pub tries: u32,
    /// The organism mailbox (or OCT) it goes to, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The last failure, in French, with the server's own answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The mail server's reply when it accepted the message (its queue id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_reply: Option<String>,
    /// When the server accepted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
}

/// `GET /v1/outbox`: attempts, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OutboxList {
    /// The attempts.
    pub attempts: Vec<OutboxAttempt>,
}

/// `GET /v1/lots/{id}`: a lot and its transmission history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LotDetail {
    /// The lot.
    pub lot: Lot,
    /// Every attempt to send it, oldest first.
    pub attempts: Vec<OutboxAttempt>,
}

/// `POST /v1/lots/send`: which lots to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendLotsRequest {
    /// Only this practitioner's lots (billing number); every practitioner's otherwise.
    #[serde(default)]
    pub practitioner: Option<String>,
}

/// The attempts a send request queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SendLotsResponse {
    /// One attempt per lot now in the outbox (an attempt already queued for a lot is
    /// returned as it is: sending twice never queues twice).
    pub attempts: Vec<OutboxAttempt>,
}

/// How a mail connection is secured (there is no plaintext mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MailSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (submission 587, IMAP 143).
    Starttls,
    /// TLS from the first byte (submissions 465, IMAPS 993).
    Tls,
}

/// A mail server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailServer {
    /// Host name (checked against its certificate) or IP address.
    pub host: String,
    /// Port.
    #[schema(minimum = 1, maximum = 65535)]
    pub port: u16,
    /// STARTTLS or implicit TLS.
    pub security: MailSecurity,
    /// Login name.
    pub username: String,
}

/// A concentrator (OCT) that receives every lot of this situation instead of the organisms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OctSettings {
    /// The OCT's mailbox.
    pub address: String,
    /// Its encryption certificate (PEM).
    pub certificate_pem: String,
}

/// The mail settings of one practitioner situation, as stored (never the password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MailSettings {
    /// The situation's billing number (8 digits).
    pub practitioner: String,
    /// The practitioner's address: lots leave from it, returns come to it.
    pub from: String,
    /// SMTP submission.
    pub smtp: MailServer,
    /// IMAP, where the returns (ARL, NOEMIE) arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<MailServer>,
    /// A concentrator instead of the organisms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oct: Option<OctSettings>,
    /// Whether a password is stored (in a file of its own, 0600; never shown).
    pub password_set: bool,
}

/// `PUT /v1/mail/{practitioner}`: mail settings, with the password when it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettingsInput {
    /// The practitioner's address.
    pub from: String,
    /// SMTP submission.
    pub smtp: MailServer,
    /// IMAP for the returns.
    #[serde(default)]
    pub imap: Option<MailServer>,
    /// A concentrator instead of the organisms.
    #[serde(default)]
    pub oct: Option<OctSettings>,
    /// The mailbox password (SMTP and IMAP); omitted: the stored one is kept. Never echoed,
    /// never logged.
    #[serde(default)]
    pub password: Option<Secret>,
}

/// Every situation's mail settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MailSettingsList {
    /// By billing number.
    pub settings: Vec<MailSettings>,
}

/// `GET /v1/transmission/schedule`: the daily emission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DailySchedule {
    /// The configured time (`transmission.daily_at`, Paris time `HH:MM`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_at: Option<String>,
    /// The grant that turned it on: it runs for that application only, signing with the
    /// CPS while that application's PIN verification holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// When it next runs (RFC 3339), when it is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_run: Option<String>,
    /// What the last run did, in French.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_report: Option<String>,
}

/// `PUT /v1/transmission/schedule`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// Turn the daily emission on (for the calling application) or off.
    pub enabled: bool,
}
