//! OpenAPI descriptions of the attachment routes (stubs carrying `#[utoipa::path]` only).
#![allow(dead_code)]

use crate::{ApiError, Attachment, AttachmentList, MissingAttachmentList};

/// A file's bytes (the body of an upload).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(Vec<u8>);

/// Attaches a scanned document to an FSE (SCOR). The body is the file itself: a PDF (its
/// pages at least A5, scanned pages at least 200 dpi) or a JPEG, PNG or TIFF image (made
/// into a one-page PDF of its printed size); within 30 days of the care date; at most
/// `attachments.max_bytes`. Each refusal has its own code.
#[utoipa::path(post, path = "/v1/fse/{id}/attachments", tag = "attachments",
    params(("id" = i64, Path, description = "FSE id"), crate::AttachmentUpload),
    request_body(content(
        (FileBytes = "application/pdf"), (FileBytes = "image/jpeg"), (FileBytes = "image/png"),
        (FileBytes = "image/tiff"))),
    responses((status = 201, body = Attachment), (status = "default", body = ApiError)))]
fn upload() {}

/// An FSE's attachments, oldest first.
#[utoipa::path(get, path = "/v1/fse/{id}/attachments", tag = "attachments",
    params(("id" = i64, Path, description = "FSE id")),
    responses((status = 200, body = AttachmentList), (status = "default", body = ApiError)))]
fn of_fse() {}

/// What still needs an attachment: degraded FSE without their scanned copy, with the last
/// day it can be attached.
#[utoipa::path(get, path = "/v1/attachments/missing", tag = "attachments",
    responses((status = 200, body = MissingAttachmentList), (status = "default", body = ApiError)))]
fn missing() {}

/// One attachment.
#[utoipa::path(get, path = "/v1/attachments/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, body = Attachment), (status = "default", body = ApiError)))]
fn get() {}

/// The attachment's PDF, as the organism will receive it (its SHA-256 is the attachment's
/// `sha256`).
#[utoipa::path(get, path = "/v1/attachments/{id}/pdf", tag = "attachments",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = "default", body = ApiError)))]
fn pdf() {}

/// The paper copy of an attachment whose PJ lot was not delivered within 5 working days:
/// its PDF with every page stamped with the FSE number, the FSE's lot number and the PJ lot
/// number, to print and post to the caisse.
#[utoipa::path(get, path = "/v1/attachments/{id}/paper", tag = "attachments",
    params(("id" = i64, Path, description = "attachment id")),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = "default", body = ApiError)))]
fn paper() {}

/// The PJ lots (SCOR), newest first. They are made by the daemon itself once the lots of
/// their FSE are acknowledged, and leave through the outbox (`kind` `pj`).
#[utoipa::path(get, path = "/v1/pj-lots", tag = "attachments",
    responses((status = 200, body = crate::PjLotList), (status = "default", body = ApiError)))]
fn pj_lots() {}

/// Says that the attachments of a PJ lot on paper were printed (`GET
/// /v1/attachments/{id}/paper`) and posted to the caisse: the PJ lot and its attachments are
/// `posted`, kept 90 days from today, then purged. Posting it again changes nothing.
#[utoipa::path(post, path = "/v1/pj-lots/{id}/posted", tag = "attachments",
    params(("id" = i64, Path, description = "PJ lot id")),
    responses((status = 200, body = crate::PjLot), (status = "default", body = ApiError)))]
fn posted() {}

/// A PJ lot and every attempt to send it.
#[utoipa::path(get, path = "/v1/pj-lots/{id}", tag = "attachments",
    params(("id" = i64, Path, description = "PJ lot id")),
    responses((status = 200, body = crate::PjLotDetail), (status = "default", body = ApiError)))]
fn pj_lot() {}
