//! Scanned attachments (SCOR pièces justificatives) on the wire: a PDF linked to an FSE
//! (a prescription, the signed paper copy of a degraded FSE, or another supporting
//! document), checked when it is uploaded (a PDF page of at least A5, images of at least
//! 200 dpi, within 30 days of the FSE's care date, a size limit) and kept as the PDF the
//! organism will receive.
//!
//! Images (JPEG, PNG, TIFF) are converted to a one-page PDF on upload; the stored PDF's
//! SHA-256 is what the organism's copy is checked against.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    /// The prescription the acts rest on.
    Prescription,
    /// The paper care sheet of a degraded FSE, signed by the patient and scanned.
    DegradedCopy,
    /// Another supporting document.
    Other,
}

/// Where an attachment stands.
///
/// ```text
/// waiting ──FSE lot acknowledged──> in_pj_lot ──server took it──> sent ──ARL PJ +──> acknowledged ──90 days──> purged
///                                      └──────── 5 working days without ARL PJ + ─────────> paper ──> posted ──90 days──> purged
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// Kept, waiting for the FSE's lot to be acknowledged before it can leave in a PJ lot.
    Waiting,
    /// In a PJ lot that is on its way (queued, sending, or sent again after a negative ARL
    /// PJ or a failure).
    InPjLot,
    /// Its PJ lot was taken by the mail server; waiting for the ARL PJ.
    Sent,
    /// Its PJ lot has a positive ARL PJ: the organism has it. Kept 90 days, then purged.
    Acknowledged,
    /// Its PJ lot could not be delivered within 5 working days: print it (with the FSE and
    /// lot numbers, `GET /v1/attachments/{id}/paper`) and post it to the caisse.
    Paper,
    /// Printed and posted to the caisse (its PJ lot went on paper): kept 90 days from the
    /// posting, then purged.
    Posted,
    /// Acknowledged (or posted) more than 90 days ago: the PDF is gone, its checksum and
    /// history kept.
    Purged,
}

/// `POST /v1/fse/{id}/attachments` query: what the uploaded file is. The body is the file
/// itself, `Content-Type` `application/pdf`, `image/jpeg`, `image/png` or `image/tiff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachmentUpload {
    /// What it is.
    pub kind: AttachmentKind,
    /// The file's name as the practitioner knows it (kept for display, 1 to 128 characters).
    #[serde(default)]
    pub filename: Option<String>,
}

/// One attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Attachment {
    /// Attachment id.
    pub id: i64,
    /// The FSE it supports.
    pub fse_id: i64,
    /// That FSE's number.
    pub fse_number: String,
    /// What it is.
    pub kind: AttachmentKind,
    /// Where it stands.
    pub state: AttachmentState,
    /// The file's name, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// The uploaded file's type (`application/pdf`, `image/jpeg`...): images were
    /// converted to PDF.
    pub uploaded_type: String,
    /// Pages of the stored PDF.
    pub pages: u32,
    /// Size of the stored PDF, in bytes.
    pub bytes: u64,
    /// Hex SHA-256 of the stored PDF (what the organism receives).
    pub sha256: String,
    /// The lowest resolution found, in dots per inch (scanned pages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpi: Option<u32>,
    /// When it was added (RFC 3339).
    pub created: String,
    /// The PJ lot it left in, once in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pj_lot_id: Option<i64>,
    /// The day its PDF will be purged (`YYYY-MM-DD`: 90 days after the positive ARL PJ).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_on: Option<String>,
    /// When its PDF was purged (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purged: Option<String>,
}

/// `GET /v1/fse/{id}/attachments`: an FSE's attachments, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentList {
    /// The attachments.
    pub attachments: Vec<Attachment>,
}

/// An FSE that still needs an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MissingAttachment {
    /// FSE id.
    pub fse_id: i64,
    /// FSE number.
    pub number: String,
    /// Practitioner's billing number.
    pub practitioner: String,
    /// Care date.
    pub care_date: String,
    /// What it needs.
    pub kind: AttachmentKind,
    /// The last day it can be attached (`YYYY-MM-DD`: 30 days after the care date).
    pub attach_by: String,
}

/// `GET /v1/attachments/missing`: what still needs an attachment (a degraded FSE without
/// its scanned copy), oldest care first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MissingAttachmentList {
    /// The FSE.
    pub missing: Vec<MissingAttachment>,
}
