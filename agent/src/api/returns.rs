//! Returns routes: the return mails as kept, a lot's paper duplicate (PDF) and the
//! reconciliation (JSON or CSV). Fetching and applying the mails is the inbox's work
//! (`passerelle_transmission::returns`); these routes only read.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use passerelle_billing::reconcile::{self, ReconcileFilter};
use passerelle_protocol::{Lot, Reconciliation, ReturnMailList};
use serde::Deserialize;

use super::billing::{bad_request, blocking, file};
use super::caller::RequestCaller;
use super::path::PathParams;
use super::{ApiFailure, AppState};

/// `?limit=` on the return mails.
#[derive(Debug, Deserialize)]
pub struct ReturnsQuery {
    /// At most this many (default 100, at most 1000).
    limit: Option<u32>,
}

/// `GET /v1/returns`: the return mails, newest first.
pub async fn list(
    State(state): State<AppState>,
    query: Result<Query<ReturnsQuery>, QueryRejection>,
) -> Result<Json<ReturnMailList>, ApiFailure> {
    let Query(q) = query.map_err(|e| bad_request("Paramètres", e.body_text()))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(bad_request("limit", "de 1 à 1000".to_owned()));
    }
    let returns = blocking(&state, move |b| b.returns(limit)).await?;
    Ok(Json(ReturnMailList { returns }))
}

/// `GET /v1/lots/{id}/paper`: the paper duplicate of a lot that failed twice.
pub async fn paper(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Response, ApiFailure> {
    let pdf = blocking(&state, move |b| b.paper_duplicate(id)).await?;
    Ok(file(
        "application/pdf",
        &format!("duplicata-lot-{id}.pdf"),
        pdf,
    ))
}

/// `POST /v1/lots/{id}/posted`: the lot's paper duplicate was posted. An audit line either
/// way.
pub async fn paper_posted(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
    RequestCaller(caller): RequestCaller,
) -> Result<Json<Lot>, ApiFailure> {
    let done = blocking(&state, move |b| b.mark_paper_posted(id)).await;
    let details = match &done {
        Ok(lot) => serde_json::json!({ "lot": id, "number": lot.number }),
        Err(e) => serde_json::json!({ "lot": id, "refused": e.0.error.code }),
    };
    crate::audit::record(
        crate::audit::action::LOT_PAPER_POSTED,
        caller.actor,
        details,
    )
    .written()
    .await;
    Ok(Json(done?))
}

/// The reconciliation's filter and format.
#[derive(Debug, Default, Deserialize)]
pub struct ReconciliationQuery {
    /// First care date, `YYYY-MM-DD`.
    from: Option<String>,
    /// Last care date.
    to: Option<String>,
    /// Organism, 9 digits.
    organism: Option<String>,
    /// Insured person's NIR.
    patient: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// `GET /v1/reconciliation`: where every euro billed over a period stands;
/// `?format=csv` for the CSV export (one line per FSE).
pub async fn reconciliation(
    State(state): State<AppState>,
    query: Result<Query<ReconciliationQuery>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    let Query(q) = query.map_err(|e| bad_request("Filtre", e.body_text()))?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => return Err(bad_request("Format", format!("{other:?}: json ou csv"))),
    };
    for (name, date) in [("from", &q.from), ("to", &q.to)] {
        if let Some(d) = date {
            if passerelle_billing::clock::parse_date(d).is_none() {
                return Err(bad_request(
                    name,
                    format!("{d:?} n'est pas une date AAAA-MM-JJ"),
                ));
            }
        }
    }
    let filter = ReconcileFilter {
        from: q.from,
        to: q.to,
        organism: q.organism,
        patient: q.patient,
    };
    let overdue = i64::from(state.transmission.config.payment_overdue_days);
    let report: Reconciliation =
        blocking(&state, move |b| b.reconciliation(&filter, overdue)).await?;
    if !csv {
        return Ok(Json(report).into_response());
    }
    let bytes = reconcile::to_csv(&report)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"rapprochement.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET /v1/reconciliation.csv`: the same as `?format=csv`.
pub async fn reconciliation_csv(
    state: State<AppState>,
    query: Result<Query<ReconciliationQuery>, QueryRejection>,
) -> Result<Response, ApiFailure> {
    let mut q = match query {
        Ok(Query(q)) => q,
        Err(e) => return Err(bad_request("Filtre", e.body_text())),
    };
    q.format = Some("csv".into());
    reconciliation(state, Ok(Query(q))).await
}
