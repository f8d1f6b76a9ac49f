//! Signing with the practitioner's CPS: FSE in one go (signature désynchronisée) and lots.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lots::FseOutcome;

/// `POST /v1/fse/sign`: the CPS in `reader` signs the draft FSE `fse` in one go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FseSignRequest {
    /// The reader holding the practitioner's CPS (PIN verified).
    pub reader: String,
    /// The practice situation of the card to sign as (index on the card, default 0).
    #[serde(default)]
    pub situation: u8,
    /// Ids of the draft FSE to sign, in order.
    pub fse: Vec<i64>,
}

/// The answer of `POST /v1/fse/sign`: one outcome per requested FSE, in order (`index`
/// is the position in `fse`); an FSE already signed under the same `Idempotency-Key` is
/// answered as it is now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FseSignResponse {
    /// One outcome per requested FSE.
    pub results: Vec<FseOutcome>,
}

/// `POST /v1/lots`: the CPS in `reader` builds and signs the lots of every signed FSE of
/// the situation's billing number, one or more per organism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LotBuildRequest {
    /// The reader holding the practitioner's CPS (PIN verified).
    pub reader: String,
    /// The practice situation of the card (index on the card, default 0).
    #[serde(default)]
    pub situation: u8,
}

/// `GET /v1/lots/{id}/signature`: the signature of a lot's B2 file and the certificate of
/// the card that made it, so anyone can check it (e.g. `openssl dgst -sha256 -verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LotSignature {
    /// `RSASSA-PKCS1-v1_5-SHA256` (modelled input: SHA-256 of the B2 bytes).
    pub algorithm: String,
    /// The signature, base64.
    pub signature: String,
    /// The signer's certificate, DER, base64.
    pub certificate: String,
    /// Hex SHA-256 of the B2 file that was signed.
    pub b2_sha256: String,
}
