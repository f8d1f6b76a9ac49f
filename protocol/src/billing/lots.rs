//! Grouped creation, history lists, pre-coded baskets and lots.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fse::{ActInput, FseDraft, Organism};
use super::record::Fse;
use crate::{CardKind, ErrorBody};

/// A grouped creation: each FSE is accepted or refused on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FseBatchRequest {
    /// The FSE to create, in order.
    pub fse: Vec<FseDraft>,
    /// Prepared by an assistant with their CPE in this reader: each FSE needs that CPE's
    /// grant for its practitioner, at today's date (`POST /v1/assistants`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe_reader: Option<String>,
}

/// The outcome of one FSE of a grouped creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FseOutcome {
    /// Position in the request.
    pub index: usize,
    /// The FSE, when accepted (or already created by an earlier try with the same key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fse: Option<Fse>,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

/// The answer of a grouped creation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FseBatchResponse {
    /// One outcome per requested FSE, in order.
    pub results: Vec<FseOutcome>,
}

/// A list of FSE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FseList {
    /// The FSE, oldest first.
    pub fse: Vec<Fse>,
}

/// A pre-coded FSE: a named basket of acts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Basket {
    /// Name (letters, digits, `-`, `_`); in `PUT /v1/baskets/{name}` the path gives it.
    #[serde(default)]
    pub name: String,
    /// Label for the practitioner.
    #[serde(default)]
    pub label: String,
    /// The acts (their dates are ignored: the FSE's care date applies).
    pub acts: Vec<ActInput>,
}

/// Every basket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BasketList {
    /// Baskets by name.
    pub baskets: Vec<Basket>,
}

/// Where a lot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LotStatus {
    /// Built and signed, not sent yet.
    Signed,
    /// In the outbox: an attempt is queued or being handed to the mail server.
    Sending,
    /// The last attempt was refused for good (see its error): to deal with, then send again.
    NeedsAttention,
    /// Sent to the organism (the mail server accepted it).
    Sent,
    /// Positive ARL.
    Acknowledged,
    /// Negative ARL, or no ARL in time: it is sent again.
    Rejected,
    /// Failed twice (negative ARL or no ARL, twice): a paper duplicate naming its FSE is to
    /// be posted (`GET /v1/lots/{id}/paper`).
    Paper,
}

/// A lot of signed FSE for one organism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Lot {
    /// Local id.
    pub id: i64,
    /// Lot number, 3 digits per practitioner (001..999, then 001 again).
    pub number: String,
    /// Billing number of the practitioner whose FSE it holds.
    pub practitioner: String,
    /// Destination organism.
    pub organism: Organism,
    /// Status.
    pub status: LotStatus,
    /// Number of FSE.
    pub invoice_count: u32,
    /// Sum of the FSE totals.
    pub total_cents: i64,
    /// Sum of the AMO parts.
    pub amo_cents: i64,
    /// When it was built and signed.
    pub created: String,
    /// Kind of the card that signed it.
    pub signed_by: CardKind,
    /// Hex SHA-256 of the B2 file (the modelled signature input).
    pub b2_sha256: String,
    /// Last day to send it (`YYYY-MM-DD`): 3 working days after the oldest care date, 8 with
    /// tiers payant, public holidays excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_by: Option<String>,
    /// When the practitioner said its paper duplicate was posted (`POST
    /// /v1/lots/{id}/posted`; RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper_posted: Option<String>,
}

/// A list of lots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LotList {
    /// The lots, oldest first.
    pub lots: Vec<Lot>,
}
