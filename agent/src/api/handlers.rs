//! Handlers of the service, reader and simulator routes.

use axum::extract::State;
use axum::Json;
use std::time::Duration;

use passerelle_protocol::{
    ErrorCode, Event, EventKind, ReaderList, ServiceStatus, SimulatedCardInsertion,
    SimulatedClockAdvance, SimulatedPinPadKeys, API_VERSION,
};
use tokio::sync::broadcast;

use super::json::{JsonBody, SECRET};
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::simulator::{SimulatorControl, SimulatorError};

/// `GET /v1/status`
pub async fn status(State(state): State<AppState>) -> Json<ServiceStatus> {
    Json(service_status(&state))
}

/// The daemon's state, for `GET /v1/status` and `passerelle status` (local socket).
pub fn service_status(state: &AppState) -> ServiceStatus {
    ServiceStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        api_version: API_VERSION.to_owned(),
        backend: state.hub.backend_state(),
        readers: state.hub.readers(),
        uptime_seconds: state.started.elapsed().as_secs(),
        last_event_id: state.events.last_id(),
    }
}

/// `GET /v1/readers`
pub async fn readers(State(state): State<AppState>) -> Json<ReaderList> {
    Json(ReaderList {
        readers: state.hub.readers(),
    })
}

/// `GET /v1/openapi.json`
pub async fn openapi() -> Json<serde_json::Value> {
    Json(passerelle_protocol::openapi::document())
}

/// `POST /v1/simulator/cards`: simulated backend only.
pub async fn simulator_insert(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SimulatedCardInsertion>,
) -> Result<Json<ReaderList>, ApiFailure> {
    let simulator = simulator(&state)?;
    let mut events = state.events.subscribe(None).live;
    simulator
        .insert(&body.reader, &body.card)
        .map_err(|e| match e {
            SimulatorError::UnknownCard(known) => ApiFailure::new(
                ErrorCode::UnknownSimulatedCard,
                format!("Carte simulée inconnue : « {} ».", body.card),
            )
            .details(serde_json::json!({ "known": known })),
            other => other.into(),
        })?;
    settled(&mut events, &body.reader, "card_inserted").await;
    Ok(Json(ReaderList {
        readers: state.hub.readers(),
    }))
}

/// `DELETE /v1/simulator/cards/{reader}`: simulated backend only.
pub async fn simulator_remove(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
) -> Result<Json<ReaderList>, ApiFailure> {
    let simulator = simulator(&state)?;
    let mut events = state.events.subscribe(None).live;
    if !simulator.remove(&reader)? {
        return Err(ApiFailure::new(
            ErrorCode::NoCard,
            "Aucune carte dans ce lecteur.",
        ));
    }
    settled(&mut events, &reader, "card_removed").await;
    Ok(Json(ReaderList {
        readers: state.hub.readers(),
    }))
}

/// `POST /v1/simulator/pin-pad/{reader}`: simulated backend only; types keys on the
/// reader's PIN pad (for the entry in progress or the next one).
pub async fn simulator_pin_pad(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    JsonBody(body): JsonBody<SimulatedPinPadKeys, SECRET>,
) -> Result<Json<ReaderList>, ApiFailure> {
    let simulator = simulator(&state)?;
    if !simulator.has_pin_pad(&reader)? {
        return Err(SimulatorError::NoPinPad.into());
    }
    match (&body.keys, body.cancel) {
        (Some(keys), false) if !keys.is_well_formed() => {
            return Err(ApiFailure::new(
                ErrorCode::BadRequest,
                "Les touches sont 4 chiffres (code PIN) ou 8 (code de déblocage).",
            ))
        }
        (Some(keys), false) => simulator.type_keys(&reader, Some(keys.expose().as_bytes()))?,
        (None, true) => simulator.type_keys(&reader, None)?,
        _ => {
            return Err(ApiFailure::new(
                ErrorCode::BadRequest,
                "Donnez soit les touches (« keys »), soit « cancel »: true.",
            ))
        }
    }
    Ok(Json(ReaderList {
        readers: state.hub.readers(),
    }))
}

/// `POST /v1/simulator/clock`: moves the billing clock forward (builds with the simulator,
/// `simulator.movable_clock = true`), then wakes the outbox, the deadline watch and the daily
/// emission so they look at the new time.
pub async fn simulator_clock(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<SimulatedClockAdvance>,
) -> Result<Json<SimulatedClockAdvance>, ApiFailure> {
    let Some(clock) = &state.transmission.movable else {
        return Err(ApiFailure::new(
            ErrorCode::SimulatorOnly,
            "L'horloge ne se déplace qu'avec le simulateur et simulator.movable_clock = true.",
        ));
    };
    if body.seconds > 400 * 24 * 3600 {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            "seconds : de 0 à 400 jours.",
        ));
    }
    clock.advance(time::Duration::seconds(body.seconds as i64));
    state.transmission.nudge();
    let now = passerelle_billing::clock::format_instant(state.transmission.clock.now());
    Ok(Json(SimulatedClockAdvance {
        seconds: body.seconds,
        now: Some(now),
    }))
}

/// Waits (at most 2 s) until the hub has published `kind` for `reader`, so the answer shows
/// the change.
async fn settled(events: &mut broadcast::Receiver<Event>, reader: &str, kind: &str) {
    let wait = async {
        loop {
            match events.recv().await {
                Ok(e) if e.kind.name() == kind && event_reader(&e) == Some(reader) => return,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), wait).await;
}

fn event_reader(event: &Event) -> Option<&str> {
    match &event.kind {
        EventKind::CardInserted { reader, .. } | EventKind::CardRemoved { reader } => Some(reader),
        _ => None,
    }
}

fn simulator(state: &AppState) -> Result<&dyn SimulatorControl, ApiFailure> {
    state.simulator.as_deref().ok_or_else(|| {
        ApiFailure::new(
            ErrorCode::SimulatorOnly,
            "Cette opération ne concerne que les lecteurs simulés ; Passerelle utilise ici de vrais lecteurs.",
        )
    })
}

impl From<SimulatorError> for ApiFailure {
    fn from(e: SimulatorError) -> Self {
        match e {
            SimulatorError::UnknownCard(known) => {
                ApiFailure::new(ErrorCode::UnknownSimulatedCard, "Carte simulée inconnue.")
                    .details(serde_json::json!({ "known": known }))
            }
            SimulatorError::NoPinPad => ApiFailure::new(
                ErrorCode::SecurePinEntryUnavailable,
                "Ce lecteur simulé n'a pas de clavier (voir simulator.pin_pad_readers).",
            ),
            SimulatorError::Transport(t) => t.into(),
        }
    }
}
