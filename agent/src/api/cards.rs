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

/// `GET /v1/readers/{reader}/vitale`
pub async fn vitale(
    State(state): State<AppState>,
    Path(reader): Path<String>,
) -> Result<Json<VitaleCard>, ApiFailure> {
    match read(&state, &reader, Want::Vitale).await? {
        CardData::Vitale(card) => Ok(Json(card.as_ref().clone())),
        CardData::Cpx(_) => unreachable!("read() returns the kind asked for"),
    }
}

/// `GET /v1/readers/{reader}/cpx`
pub async fn cpx(
    State(state): State<AppState>,
    Path(reader): Path<String>,
) -> Result<Json<CpxCard>, ApiFailure> {
    match read(&state, &reader, Want::Cpx).await? {
        CardData::Cpx(card) => Ok(Json(card.as_ref().clone())),
        CardData::Vitale(_) => unreachable!("read() returns the kind asked for"),
    }
}

#[derive(Clone, Copy)]
enum Want {
    Vitale,
    Cpx,
}

async fn read(state: &AppState, reader: &str, want: Want) -> Result<CardData, ApiFailure> {
    let slot = state.hub.card_slot(reader)?;
    match (&slot.read, want) {
        (Some(data @ CardData::Vitale(_)), Want::Vitale)
        | (Some(data @ CardData::Cpx(_)), Want::Cpx) => return Ok(data.clone()),
        _ => {}
    }
    let result = slot
        .worker
        .run(move |tx| match want {
            Want::Vitale => read_vitale(tx).map(|c| CardData::Vitale(Arc::new(c))),
            Want::Cpx => read_cpx(tx).map(|c| CardData::Cpx(Arc::new(c))),
        })
        .await?;
    match result {
        Ok(data) => {
            state.hub.remember(reader, slot.insertion, data.clone());
            Ok(data)
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
