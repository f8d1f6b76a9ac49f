//! Scanned attachments (SCOR): a front end uploads a PDF or an image for an FSE (the body
//! is the file itself, `?kind=` says what it is); the daemon checks it, keeps it as a PDF
//! and says what still needs one. The checks are billing's (`passerelle_billing::attachments`).
//! The PJ lots that carry them leave by themselves (the transmission watch); here they are
//! read, with the paper copy of an attachment whose PJ lot went on paper.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use passerelle_protocol::{
    Attachment, AttachmentList, AttachmentUpload, EventKind, MissingAttachmentList, PjLot,
    PjLotDetail, PjLotList,
};

use super::billing::{bad_request, blocking, file};
use super::caller::RequestCaller;
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::audit::{self, action};

/// `POST /v1/fse/{id}/attachments?kind=…&filename=…`: checks and keeps the file in the body.
pub async fn upload(
    State(state): State<AppState>,
    PathParams(fse_id): PathParams<i64>,
    RequestCaller(caller): RequestCaller,
    query: Result<Query<AttachmentUpload>, QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Attachment>), ApiFailure> {
    let Query(upload) =
        query.map_err(|e| bad_request("Paramètres (kind, filename)", e.body_text()))?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let max = state.attachment_max_bytes;
    let kind = upload.kind;
    let added = blocking(&state, move |b| {
        b.add_attachment(fse_id, &upload, &content_type, &body, max)
    })
    .await;
    let details = match &added {
        Ok(a) => serde_json::json!({
            "fse_id": fse_id, "attachment": a.id, "kind": kind, "sha256": a.sha256,
            "bytes": a.bytes, "pages": a.pages,
        }),
        Err(e) => serde_json::json!({ "fse_id": fse_id, "kind": kind, "refused": e.0.error.code }),
    };
    audit::record(action::ATTACHMENT, caller.actor, details)
        .written()
        .await;
    let added = added?;
    state.events.publish(EventKind::AttachmentAdded {
        fse_id,
        attachment_id: added.id,
        kind,
    });
    // Its FSE's lot may be acknowledged already: the watch makes the PJ lot now.
    state.transmission.nudge();
    Ok((StatusCode::CREATED, Json(added)))
}

/// `GET /v1/fse/{id}/attachments`: an FSE's attachments, oldest first.
pub async fn of_fse(
    State(state): State<AppState>,
    PathParams(fse_id): PathParams<i64>,
) -> Result<Json<AttachmentList>, ApiFailure> {
    let attachments = blocking(&state, move |b| b.attachments(fse_id)).await?;
    Ok(Json(AttachmentList { attachments }))
}

/// `GET /v1/attachments/{id}`: one attachment.
pub async fn get(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<Attachment>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.attachment(id)).await?))
}

/// `GET /v1/attachments/{id}/pdf`: the PDF kept, as the organism will receive it.
pub async fn pdf(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Response, ApiFailure> {
    let pdf = blocking(&state, move |b| b.attachment_pdf(id)).await?;
    Ok(file(
        "application/pdf",
        &format!("piece-jointe-{id}.pdf"),
        pdf,
    ))
}

/// `GET /v1/attachments/missing`: what still needs an attachment.
pub async fn missing(
    State(state): State<AppState>,
) -> Result<Json<MissingAttachmentList>, ApiFailure> {
    let missing = blocking(&state, |b| b.missing_attachments(None, None)).await?;
    Ok(Json(MissingAttachmentList { missing }))
}

/// `GET /v1/attachments/{id}/paper`: the paper copy of an attachment whose PJ lot went on
/// paper, every page stamped with the FSE, lot and PJ lot numbers.
pub async fn paper(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Response, ApiFailure> {
    let pdf = blocking(&state, move |b| b.attachment_paper(id)).await?;
    Ok(file(
        "application/pdf",
        &format!("piece-jointe-{id}-papier.pdf"),
        pdf,
    ))
}

/// `GET /v1/pj-lots`: the PJ lots, newest first.
pub async fn pj_lots(State(state): State<AppState>) -> Result<Json<PjLotList>, ApiFailure> {
    let pj_lots = blocking(&state, |b| {
        b.pj_lots(None, passerelle_billing::pj_lots::MAX_LISTED)
    })
    .await?;
    Ok(Json(PjLotList { pj_lots }))
}

/// `POST /v1/pj-lots/{id}/posted`: the attachments of a PJ lot on paper were printed and
/// posted; kept 90 days from now. An audit line either way.
pub async fn posted(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
    RequestCaller(caller): RequestCaller,
) -> Result<Json<PjLot>, ApiFailure> {
    let done = blocking(&state, move |b| b.mark_pj_lot_posted(id)).await;
    let details = match &done {
        Ok(lot) => serde_json::json!({ "pj_lot": id, "number": lot.number, "status": lot.status }),
        Err(e) => serde_json::json!({ "pj_lot": id, "refused": e.0.error.code }),
    };
    audit::record(action::PJ_LOT_POSTED, caller.actor, details)
        .written()
        .await;
    Ok(Json(done?))
}

/// `GET /v1/pj-lots/{id}`: a PJ lot and every attempt to send it.
pub async fn pj_lot(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<PjLotDetail>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.pj_lot_detail(id)).await?))
}
