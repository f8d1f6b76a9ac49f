//! The online rights query (ADRi) and the e-carte Vitale (ApCV): the insured person's
//! rights from the insurance's service rather than from the card. Querying never changes
//! what the card holds, and the answer says where it came from.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::VitaleCard;

/// Body of `POST /v1/rights`: either the NIR and birth date (ADRi), or the token of an
/// e-carte Vitale (ApCV: the QR code or NFC exchange of the insured person's phone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightsRequest {
    /// NIR of the beneficiary (15 characters), with `birth_date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nir: Option<String>,
    /// Birth date `YYYY-MM-DD`, with `nir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    /// Birth rank (twins), default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_rank: Option<u8>,
    /// Token read from an e-carte Vitale, instead of `nir`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apcv_token: Option<String>,
}

/// The answer of the rights service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RightsAnswer {
    /// The insured person and beneficiaries with their rights; `source` is
    /// `online_service`.
    pub card: VitaleCard,
    /// Which service answered (`adri`, `apcv`).
    pub service: String,
    /// Reference of this answer: an FSE names it (`rights: {"source": "online",
    /// "reference": ...}`) to be drawn up with these rights. Kept by the daemon for a day.
    pub reference: String,
    /// When the service answered (RFC 3339, UTC).
    pub answered_at: String,
    /// True while the service is the modelled one shipped with Passerelle (fixtures), not a
    /// licensed connection to the insurance.
    pub modelled: bool,
}
