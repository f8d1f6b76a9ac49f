//! `GET /v1/events`: the event bus as Server-Sent Events, resumable with `Last-Event-ID`.
//! A stream opened with a token lasts as long as its grant: once the grant is revoked or
//! expires, the stream gets a last `unauthorized` event and ends.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
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
use crate::pairing::Pairings;

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
    let admin = caller
        .as_ref()
        .is_some_and(|Extension(c)| c.has(Scope::Admin));
    let grant = caller.and_then(|Extension(c)| c.grant.map(|g| g.id));
    let ended = Arc::new(AtomicBool::new(false));
    let end = grant_ended(state.pairings.clone(), grant, ended.clone());
    let bus = state.events.clone();
    let last = stream::once(async move {
        let message = "L'autorisation de cette application a été révoquée ou a expiré : \
                       jumelez-la de nouveau.";
        ended
            .load(Ordering::SeqCst)
            .then(|| bus.unauthorized(message))
    })
    .filter_map(std::future::ready);
    let events = stream::iter(subscription.replay)
        .chain(live)
        .filter(move |e| {
            let shown = admin || !matches!(e.kind, EventKind::PairingRequested { .. });
            std::future::ready(shown)
        })
        .take_until(end)
        .chain(last)
        .map(|e| Ok(to_sse(&e)));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// Resolves (setting `ended`) once `grant` is revoked or expired; never without a grant
/// (a local-socket caller).
async fn grant_ended(pairings: Arc<Pairings>, grant: Option<String>, ended: Arc<AtomicBool>) {
    let Some(id) = grant else {
        return std::future::pending().await;
    };
    let mut changes = pairings.changes();
    while let Some(expires) = pairings.expiry(&id) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if expires <= now {
            break;
        }
        let left = Duration::from_secs(u64::try_from(expires - now).unwrap_or(0));
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break },
            () = tokio::time::sleep(left) => {}
        }
    }
    ended.store(true, Ordering::SeqCst);
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
