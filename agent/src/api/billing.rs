//! Billing routes: FSE (grouped creation with `Idempotency-Key`, history with filters and
//! CSV, deletion), pre-coded baskets, lots and their B2 file. The signing routes, which
//! need the CPS, are in `billing_sign.rs`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use passerelle_protocol::{
    Basket, BasketList, ErrorCode, Fse, FseBatchRequest, FseBatchResponse, FseList, FseOutcome,
    LotList,
};
use serde::Deserialize;

use super::json::JsonBody;
use super::path::PathParams;
use super::{ApiFailure, AppState};
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

/// `POST /v1/fse`: each FSE accepted or refused on its own.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<FseBatchRequest>,
) -> Result<Json<FseBatchResponse>, ApiFailure> {
    let key = idempotency_key(&headers)?;
    let outcomes = blocking(&state, move |b| {
        b.create_batch(&request.fse, key.as_deref())
    })
    .await?;
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, r)| outcome(index, r.map_err(ApiFailure::from)))
        .collect();
    Ok(Json(FseBatchResponse { results }))
}

/// `?format=csv` on the history.
#[derive(Debug, Deserialize)]
pub struct Format {
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// `GET /v1/fse`: history, filtered; `?format=csv` for the CSV export.
pub async fn list(
    State(state): State<AppState>,
    filter: Result<Query<FseFilter>, QueryRejection>,
    format: Result<Query<Format>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    let Query(filter) = filter.map_err(|e| bad_request("Filtre", e.body_text()))?;
    let csv = match format.ok().and_then(|Query(f)| f.format).as_deref() {
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
    filter: Result<Query<FseFilter>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    list(
        state,
        filter,
        Ok(Query(Format {
            format: Some("csv".into()),
        })),
    )
    .await
}

/// `GET /v1/fse/{id}`
pub async fn get(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<Fse>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.fse(id)).await?))
}

/// `DELETE /v1/fse/{id}`: only before the FSE is in a lot.
pub async fn delete(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<Fse>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.delete(id)).await?))
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
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lot-{id}.b2\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
#[path = "billing_tests.rs"]
mod tests;
