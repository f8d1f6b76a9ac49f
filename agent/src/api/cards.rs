//! Reading the cards: `GET /v1/readers/{reader}/vitale` and `/cpx`.
//!
//! A read runs as one job on the reader's worker (queued behind other jobs on that reader,
//! never interleaved) and is kept until the card leaves: reading the same card again costs
//! no APDU. A read that fails (card pulled out, unreadable data) caches nothing.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use passerelle_protocol::{CpxCard, VitaleCard};

use super::{ApiFailure, AppState};
use crate::cards::{read_cpx, read_vitale, CardError};
use crate::hub::CardData;
use crate::transport::CardTransaction;

/// `GET /v1/readers/{reader}/vitale`
pub async fn vitale(
    State(state): State<AppState>,
    Path(reader): Path<String>,
) -> Result<Json<VitaleCard>, ApiFailure> {
    let card = read(
        &state,
        &reader,
        read_vitale,
        CardData::Vitale,
        |data| match data {
            CardData::Vitale(card) => Some(card.clone()),
            CardData::Cpx(_) => None,
        },
    )
    .await?;
    Ok(Json(card.as_ref().clone()))
}

/// `GET /v1/readers/{reader}/cpx`
pub async fn cpx(
    State(state): State<AppState>,
    Path(reader): Path<String>,
) -> Result<Json<CpxCard>, ApiFailure> {
    let card = read(
        &state,
        &reader,
        read_cpx,
        CardData::Cpx,
        |data| match data {
            CardData::Cpx(card) => Some(card.clone()),
            CardData::Vitale(_) => None,
        },
    )
    .await?;
    Ok(Json(card.as_ref().clone()))
}

/// The card of `reader` as `T`: from what was already read from this insertion (`cached`),
/// else read by `profile` on the reader's worker and remembered (`wrap`).
async fn read<T: Send + Sync + 'static>(
    state: &AppState,
    reader: &str,
    profile: fn(&mut dyn CardTransaction) -> Result<T, CardError>,
    wrap: fn(Arc<T>) -> CardData,
    cached: fn(&CardData) -> Option<Arc<T>>,
) -> Result<Arc<T>, ApiFailure> {
    let slot = state.hub.card_slot(reader)?;
    if let Some(card) = slot.read.as_ref().and_then(cached) {
        return Ok(card);
    }
    match slot.worker.run(move |tx| profile(tx).map(Arc::new)).await? {
        Ok(card) => {
            state
                .hub
                .remember(reader, slot.insertion, wrap(card.clone()));
            Ok(card)
        }
        Err(e) => {
            tracing::info!(reader, error = %e, "card read failed");
            Err(e.into())
        }
    }
}

impl From<CardError> for ApiFailure {
    fn from(e: CardError) -> Self {
        use passerelle_protocol::ErrorCode;
        let message = e.to_string();
        match e {
            CardError::Transport(t) => ApiFailure::from(t),
            CardError::Status { command, sw } => ApiFailure::new(ErrorCode::CardError, message)
                .details(serde_json::json!({ "command": command, "status_word": sw.to_string() })),
            CardError::Malformed { what } => ApiFailure::new(ErrorCode::InvalidCardData, message)
                .details(serde_json::json!({ "what": what })),
            // The NIR itself stays out of the answer: it would end up in a client's logs.
            CardError::InvalidNir { .. } => ApiFailure::new(ErrorCode::InvalidCardData, message)
                .details(serde_json::json!({ "what": "nir" })),
            CardError::WrongCard { expected, found } => {
                ApiFailure::new(ErrorCode::WrongCard, message)
                    .details(serde_json::json!({ "expected": expected, "found": found }))
            }
        }
    }
}
