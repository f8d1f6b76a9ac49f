//! Reading the cards: `GET /v1/readers/{reader}/vitale` and `/cpx`, and cancelling a card
//! operation (waiting for a reader, or holding the card).
//!
//! A read runs as one job on the reader's worker (queued behind other jobs on that reader,
//! never interleaved) and is kept until the card leaves: reading the same card again costs
//! no APDU (`?refresh=true` reads it again). A read that fails caches nothing.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::{Extension, Json};
use passerelle_protocol::{CpxCard, ErrorCode, ReaderList, Scope, VitaleCard};
use serde::Deserialize;

use super::auth;
use super::caller::RequestCaller;
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::service;

/// Query of the read routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadQuery {
    /// Read the card again even if this insertion was already read.
    #[serde(default)]
    pub refresh: bool,
}

/// `GET /v1/readers/{reader}/vitale`
pub async fn vitale(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    RequestCaller(caller): RequestCaller,
    query: Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Json<VitaleCard>, ApiFailure> {
    let refresh = refresh(query)?;
    let card = service::cards::vitale(&state.hub, &reader, &caller, refresh).await?;
    Ok(Json(card.as_ref().clone()))
}

/// `GET /v1/readers/{reader}/cpx`
pub async fn cpx(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    RequestCaller(caller): RequestCaller,
    query: Result<Query<ReadQuery>, QueryRejection>,
) -> Result<Json<CpxCard>, ApiFailure> {
    let refresh = refresh(query)?;
    let card = service::cards::cpx(&state.hub, &reader, &caller, refresh).await?;
    Ok(Json(card.as_ref().clone()))
}

/// `DELETE /v1/readers/{reader}/jobs/{id}`: cancels a card operation waiting for the
/// reader (it never runs), or the one holding the card (its caller gets `job_cancelled` at
/// once; it stops before its next command and the connection to the card is reset). An
/// application cancels its own operations; an `admin` client any. Answers the readers.
pub async fn cancel_job(
    State(state): State<AppState>,
    PathParams((reader, id)): PathParams<(String, u64)>,
    RequestCaller(caller): RequestCaller,
    checked: Option<Extension<auth::Caller>>,
) -> Result<Json<ReaderList>, ApiFailure> {
    let worker = state.hub.worker(&reader)?;
    let not_found = || {
        ApiFailure::new(
            ErrorCode::JobNotFound,
            "Aucune opération avec ce numéro sur ce lecteur (elle est peut-être déjà terminée).",
        )
    };
    let queue = worker.queue();
    let job = queue
        .holder
        .into_iter()
        .chain(queue.waiting)
        .find(|j| j.id == id)
        .ok_or_else(not_found)?;
    let admin = checked.is_some_and(|Extension(c)| c.has(Scope::Admin));
    if !admin && job.client != caller.client {
        return Err(ApiFailure::new(
            ErrorCode::ScopeMissing,
            "Cette opération a été demandée par une autre application : seule elle, ou un poste d'administration, peut l'annuler.",
        ));
    }
    if !worker.cancel(id) {
        return Err(not_found());
    }
    Ok(Json(ReaderList {
        readers: state.hub.readers(),
    }))
}

/// The `refresh` flag; a malformed query string is a clean 400.
fn refresh(query: Result<Query<ReadQuery>, QueryRejection>) -> Result<bool, ApiFailure> {
    match query {
        Ok(Query(q)) => Ok(q.refresh),
        Err(rejection) => Err(ApiFailure::new(
            ErrorCode::BadRequest,
            "Paramètres d'adresse invalides : seul « refresh=true » ou « refresh=false » est accepté.",
        )
        .details(serde_json::json!({ "cause": rejection.body_text() }))),
    }
}
