//! PJ lots (SCOR) on the wire: the attachments of one practitioner for one organism, sent
//! together through the outbox once the lots of their FSE are acknowledged, and followed by
//! their own acknowledgement (ARL PJ).
//!
//! ```text
//! sending ──server took it──> sent ──ARL PJ +──> acknowledged
//!    ^  └──failed for good──> needs_attention ──next working day──┐
//!    └──── ARL PJ − or none in 2 working days: sent again ─────────┘
//! any of these, 5 working days after the first attempt ──> paper ──posted by the practitioner──> posted
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fse::Organism;
use super::transmission::OutboxAttempt;
use super::AttachmentKind;

/// What an outbox attempt carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LotKind {
    /// A lot of FSE (`GET /v1/lots/{lot_id}`).
    #[default]
    Fse,
    /// A PJ lot of scanned attachments (`GET /v1/pj-lots/{lot_id}`).
    Pj,
}

/// Where a PJ lot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PjLotStatus {
    /// An attempt is open in the outbox.
    Sending,
    /// The mail server took it; waiting for the ARL PJ.
    Sent,
    /// Positive ARL PJ.
    Acknowledged,
    /// Sending failed for good; tried again the next working day (within the 5 days).
    NeedsAttention,
    /// Not delivered within 5 working days of the first attempt: its attachments go on
    /// paper.
    Paper,
    /// Its attachments were printed and posted to the caisse (`POST /v1/pj-lots/{id}/posted`):
    /// kept 90 days from then.
    Posted,
}

/// One attachment of a PJ lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PjLotItem {
    /// Its position in the lot, from 1.
    pub position: u32,
    /// The attachment.
    pub attachment_id: i64,
    /// What it is.
    pub kind: AttachmentKind,
    /// The FSE it supports.
    pub fse_id: i64,
    /// That FSE's number (9 digits).
    pub fse_number: String,
    /// The number of the lot that carried that FSE (3 digits).
    pub lot_number: String,
    /// Size of its PDF, in bytes.
    pub bytes: u64,
    /// Hex SHA-256 of its PDF.
    pub sha256: String,
}

/// A PJ lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PjLot {
    /// Local id.
    pub id: i64,
    /// PJ lot number (3 digits, its own sequence per practitioner).
    pub number: String,
    /// The practitioner whose mailbox sends it (the sender of the FSE lots).
    pub practitioner: String,
    /// Destination organism.
    pub organism: Organism,
    /// Where it stands.
    pub status: PjLotStatus,
    /// Its attachments, in order.
    pub attachments: Vec<PjLotItem>,
    /// When it was made (RFC 3339).
    pub created: String,
    /// The last working day it is tried electronically (`YYYY-MM-DD`): 5 working days
    /// after its first attempt; then its attachments go on paper.
    pub retry_until: String,
    /// Failed deliveries so far (negative ARL PJ, none in time, refused for good).
    pub failures: u32,
    /// When its positive ARL PJ came (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged: Option<String>,
    /// Why it went on paper, in French.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_reason: Option<String>,
    /// When the practitioner said its attachments were posted (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted: Option<String>,
}

/// `GET /v1/pj-lots`: PJ lots, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PjLotList {
    /// The PJ lots.
    pub pj_lots: Vec<PjLot>,
}

/// `GET /v1/pj-lots/{id}`: a PJ lot and every attempt to send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PjLotDetail {
    /// The PJ lot.
    pub pj_lot: PjLot,
    /// Its attempts, oldest first.
    pub attempts: Vec<OutboxAttempt>,
}
