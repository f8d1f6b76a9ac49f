//! `GET /v1/events`: the event bus as Server-Sent Events, resumable with `Last-Event-ID`.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Extension;
use futures_util::stream::{self, Stream, StreamExt};
use passerelle_protocol::{ErrorCode, Event, EventKind, Scope};
use serde::Deserialize;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::BroadcastStream;

use super::auth::Caller;
use super::{ApiFailure, AppState};

/// Query parameters of the event stream.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// Same as the `Last-Event-ID` header, for clients that cannot set it.
    last_event_id: Option<String>,
}

/// `GET /v1/events`
pub async fn stream(
    State(state): State<AppState>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiFailure> {
    let from_query = query.ok().and_then(|Query(q)| q.last_event_id);
    let from_header = headers
        .get("last-event-id")
        .map(|v| v.to_str().map(str::to_owned).map_err(|_| invalid_id()))
        .transpose()?;
    let after = match from_header.or(from_query) {
        None => None,
        Some(text) => Some(text.trim().parse::<u64>().map_err(|_| invalid_id())?),
    };
    let subscription = state.events.subscribe(after);
    let bus = state.events.clone();
    let live = BroadcastStream::new(subscription.live).map(move |item| match item {
        Ok(event) => event,
        // This client fell behind the broadcast buffer: it must refetch state.
        Err(BroadcastStreamRecvError::Lagged(_)) => bus.resync(bus.last_id()),
    });
    // Pairing codes go to admin clients only.
    let admin = caller.is_some_and(|Extension(c)| c.has(Scope::Admin));
    let events = stream::iter(subscription.replay)
        .chain(live)
        .filter(move |e| {
            let shown = admin || !matches!(e.kind, EventKind::PairingRequested { .. });
            std::future::ready(shown)
        })
        .map(|e| Ok(to_sse(&e)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

fn to_sse(event: &Event) -> SseEvent {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    SseEvent::default()
        .id(event.id.to_string())
        .event(event.kind.name())
        .data(data)
}

fn invalid_id() -> ApiFailure {
    ApiFailure::new(
        ErrorCode::InvalidEventId,
        "L'identifiant du dernier événement reçu (Last-Event-ID) doit être un nombre.",
    )
}
