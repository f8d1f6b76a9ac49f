//! Billing routes: FSE (grouped creation with `Idempotency-Key`, the rights filled in from
//! the card read or the online answer a draft names — `billing_rights.rs` —, history with
//! strict filters and CSV, deletion; creation and deletion in the audit log), pre-coded
//! baskets, lots and their B2 file. The signing routes, which need the CPS, are in
//! `billing_sign.rs`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use passerelle_protocol::{
    Basket, BasketList, ErrorCode, Fse, FseBatchRequest, FseBatchResponse, FseList, FseOutcome,
    FseStatus, LotList, Scope,
};
use serde::Deserialize;

use super::auth;
use super::billing_rights::DaemonRights;
use super::caller::RequestCaller;
use super::json::JsonBody;
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::audit::{self, action};
use passerelle_billing::{export, Billing, BillingError, FseFilter};

impl From<BillingError> for ApiFailure {
    fn from(e: BillingError) -> Self {
        if let BillingError::Storage(cause) = &e {
            tracing::error!(cause, "billing store failure");
        }
        ApiFailure(passerelle_protocol::ApiError { error: e.to_body() })
    }
}

/// Runs a blocking billing call off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Billing) -> Result<T, BillingError> + Send + 'static,
) -> Result<T, ApiFailure> {
    let billing: Arc<Billing> = state.billing.clone();
    tokio::task::spawn_blocking(move || f(&billing))
        .await
        .map_err(|_| ApiFailure::new(ErrorCode::Internal, "Erreur interne de Passerelle."))?
        .map_err(ApiFailure::from)
}

pub(super) fn bad_request(what: &str, cause: String) -> ApiFailure {
    ApiFailure::new(ErrorCode::BadRequest, format!("{what} illisible."))
        .details(serde_json::json!({ "cause": cause }))
}

/// The request's `Idempotency-Key` header, if any (its shape is checked by billing).
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiFailure> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(v) => Ok(Some(
            v.to_str()
                .map_err(|e| bad_request("En-tête Idempotency-Key", e.to_string()))?
                .to_owned(),
        )),
    }
}

/// One outcome of a grouped call, as the API renders it.
pub(super) fn outcome(index: usize, r: Result<Fse, ApiFailure>) -> FseOutcome {
    match r {
        Ok(fse) => FseOutcome {
            index,
            fse: Some(fse),
            error: None,
        },
        Err(e) => FseOutcome {
            index,
            fse: None,
            error: Some(e.0.error),
        },
    }
}

/// What the audit log says of an FSE (never patient data).
fn audit_details(fse: &Fse) -> serde_json::Value {
    serde_json::json!({
        "fse_id": fse.id,
        "number": fse.number,
        "practitioner": fse.practitioner.billing_number,
        "mode": fse.mode,
        "nature": fse.nature,
        "rights": fse.rights.origin,
        "total_cents": fse.amounts.total_cents,
    })
}

/// `POST /v1/fse`: each FSE accepted or refused on its own, the rights a draft names filled
/// in by the daemon; each FSE made goes to the audit log before the answer.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    RequestCaller(caller): RequestCaller,
    JsonBody(request): JsonBody<FseBatchRequest>,
) -> Result<Json<FseBatchResponse>, ApiFailure> {
    let key = idempotency_key(&headers)?;
    let rights = DaemonRights {
        hub: state.hub.clone(),
        online: state.online_rights.clone(),
    };
    let assistant =
        super::assistants::preparer(&state, &caller, request.cpe_reader.as_deref()).await?;
    let preparer = assistant.clone();
    let outcomes = blocking(&state, move |b| {
        b.create_batch_as(&request.fse, &rights, key.as_deref(), preparer.as_ref())
    })
    .await?;
    for created in outcomes.iter().flatten().filter(|c| c.new) {
        let mut details = audit_details(&created.fse);
        if let Some(a) = &assistant {
            details["assistant"] = serde_json::json!(a);
        }
        audit::record(action::FSE_CREATED, caller.actor.clone(), details)
            .written()
            .await;
    }
    // The replacement and assistant refusals, each its own audit line.
    for (index, e) in outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.as_ref().err()?)))
    {
        if acting_for_another(e.code()) {
            let details =
                serde_json::json!({ "code": e.code(), "index": index, "assistant": assistant });
            audit::record(action::REFUSED, caller.actor.clone(), details)
                .written()
                .await;
        }
    }
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, r)| outcome(index, r.map(|c| c.fse).map_err(ApiFailure::from)))
        .collect();
    Ok(Json(FseBatchResponse { results }))
}

/// A refusal of the rules of replacements and assistants.
pub(super) fn acting_for_another(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::ReplacementOwnCard
            | ErrorCode::ReplacementSubstituteMismatch
            | ErrorCode::ReplacementOutsidePeriod
            | ErrorCode::ReplacementNotFound
            | ErrorCode::AssistantNotGranted
            | ErrorCode::AssistantOutsideDates
    )
}

/// The query of the history: its filters and `format`, nothing else (an unknown parameter,
/// `mode=degradee` say, is refused rather than ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    from: Option<String>,
    to: Option<String>,
    patient: Option<String>,
    status: Option<String>,
    lot: Option<i64>,
    organism: Option<String>,
    practitioner: Option<String>,
    limit: Option<u32>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// `GET /v1/fse`: history, filtered; `?format=csv` for the CSV export.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    let Query(q) = query.map_err(|e| {
        ApiFailure::new(
            ErrorCode::BadRequest,
            "Filtre de l'historique refusé : paramètre inconnu ou illisible (from, to, patient, \
             status, lot, organism, practitioner, limit, format).",
        )
        .details(serde_json::json!({ "cause": e.body_text() }))
    })?;
    let filter = FseFilter {
        from: q.from,
        to: q.to,
        patient: q.patient,
        status: q.status,
        lot: q.lot,
        organism: q.organism,
        practitioner: q.practitioner,
        limit: q.limit,
    };
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(bad_request("Format", format!("{other:?}: json ou csv"))),
    };
    let fse = blocking(&state, move |b| b.list(&filter)).await?;
    if !csv {
        return Ok(Json(FseList { fse }).into_response());
    }
    let bytes = export::to_csv(&fse)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"fse.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /v1/fse.csv`: the same as `GET /v1/fse?format=csv`.
pub async fn list_csv(
    state: State<AppState>,
    query: Result<Query<HistoryQuery>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    let query = query.map(|Query(mut q)| {
        q.format = Some("csv".into());
        Query(q)
    });
    list(state, query).await
}

/// `GET /v1/fse/{id}`
pub async fn get(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<Fse>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.fse(id)).await?))
}

/// `DELETE /v1/fse/{id}`: only before the FSE is in a lot; a signed one only by a client
/// that may sign (`prepare` deletes drafts). Recorded in the audit log before the answer.
pub async fn delete(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
    RequestCaller(caller): RequestCaller,
    checked: Option<Extension<auth::Caller>>,
) -> Result<Json<Fse>, ApiFailure> {
    let may_sign = checked.is_some_and(|Extension(c)| c.has(Scope::Sign));
    let current = blocking(&state, move |b| b.fse(id)).await?;
    if current.status == FseStatus::Signed {
        // A signed FSE is the practitioner's: never an assistant's to delete.
        if let Some(a) = super::assistants::preparer(&state, &caller, None).await? {
            let code = ErrorCode::AssistantCannotSign;
            let details = serde_json::json!({ "code": code, "fse_id": id, "assistant": a });
            audit::record(action::REFUSED, caller.actor.clone(), details)
                .written()
                .await;
            return Err(ApiFailure::new(
                code,
                "Cette feuille est signée : un assistant ne la supprime pas, le praticien si.",
            ));
        }
    }
    if current.status == FseStatus::Signed && !may_sign {
        return Err(ApiFailure::new(
            ErrorCode::ScopeMissing,
            "Cette feuille est signée : seule une application autorisée à signer (sign) peut \
             la supprimer.",
        ));
    }
    let deleted = blocking(&state, move |b| b.delete(id)).await?;
    audit::record(action::FSE_DELETED, caller.actor, audit_details(&deleted))
        .written()
        .await;
    Ok(Json(deleted))
}

/// `GET /v1/baskets`
pub async fn baskets(State(state): State<AppState>) -> Result<Json<BasketList>, ApiFailure> {
    let baskets = blocking(&state, |b| b.baskets()).await?;
    Ok(Json(BasketList { baskets }))
}

/// `GET /v1/baskets/{name}`
pub async fn basket(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<Json<Basket>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.basket(&name)).await?))
}

/// `PUT /v1/baskets/{name}`: creates or replaces.
pub async fn put_basket(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    JsonBody(mut basket): JsonBody<Basket>,
) -> Result<Json<Basket>, ApiFailure> {
    basket.name = name;
    Ok(Json(
        blocking(&state, move |b| b.put_basket(&basket)).await?,
    ))
}

/// `DELETE /v1/baskets/{name}`
pub async fn delete_basket(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<StatusCode, ApiFailure> {
    blocking(&state, move |b| b.delete_basket(&name)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `?practitioner=` on the lots.
#[derive(Debug, Deserialize)]
pub struct LotQuery {
    practitioner: Option<String>,
}

/// `GET /v1/lots`
pub async fn lots(
    State(state): State<AppState>,
    query: Result<Query<LotQuery>, QueryRejection>,
) -> Result<Json<LotList>, ApiFailure> {
    let Query(q) = query.map_err(|e| bad_request("Filtre", e.body_text()))?;
    let lots = blocking(&state, move |b| b.lots(q.practitioner.as_deref())).await?;
    Ok(Json(LotList { lots }))
}

/// `GET /v1/lots/{id}/b2`: the B2 file as signed.
pub async fn lot_b2(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Response, ApiFailure> {
    let bytes = blocking(&state, move |b| b.lot_b2(id)).await?;
    Ok(file(
        "application/octet-stream",
        &format!("lot-{id}.b2"),
        bytes,
    ))
}

/// A file to download: its type, the name it is saved under, its bytes.
pub(super) fn file(content_type: &str, filename: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
#[path = "billing_tests.rs"]
pub(crate) mod tests;
