//! A Server-Sent Events client for `GET /v1/events`, one event at a time with timeouts.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use passerelle_protocol::Event;

use crate::daemon::content_type;
use crate::daemon::Daemon;
use crate::wait::Deadline;

type Inner = Pin<Box<dyn Stream<Item = Result<eventsource_stream::Event, String>> + Send>>;

/// One SSE message, checked for consistency: `id:` equals the JSON `id`, `event:` equals
/// the JSON `type`.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// The SSE `id:` field.
    pub id: u64,
    /// The SSE `event:` field.
    pub event: String,
    /// The `data:` JSON as a protocol [`Event`].
    pub data: Event,
    /// The same `data:` as raw JSON (to compare events byte for byte).
    pub raw: serde_json::Value,
}

/// How to tell the daemon where to resume.
#[derive(Debug, Clone, Copy)]
pub enum Resume<'a> {
    /// No id: only new events.
    None,
    /// `Last-Event-ID: <value>` header (any text, to test refusals).
    Header(&'a str),
    /// `?last_event_id=<value>` query parameter.
    Query(&'a str),
}

/// An open event stream.
pub struct SseClient {
    inner: Inner,
}

impl SseClient {
    /// Sends `GET /v1/events` (with the resume id, if any) and returns the raw response.
    pub async fn request(daemon: &Daemon, resume: Resume<'_>) -> crate::Result<reqwest::Response> {
        let mut url = daemon.url("/v1/events");
        if let Resume::Query(id) = resume {
            url.push_str(&format!("?last_event_id={id}"));
        }
        let mut req = daemon
            .client()
            .get(url)
            .header("accept", "text/event-stream");
        if let Resume::Header(id) = resume {
            req = req.header("last-event-id", id);
        }
        // No total timeout: the stream lives as long as the test reads it.
        tokio::time::timeout(Duration::from_secs(10), req.send())
            .await
            .map_err(|_| "GET /v1/events: no response headers within 10 s".to_string())?
            .map_err(|e| format!("GET /v1/events: {e:?}"))
    }

    /// Opens the stream; fails unless the answer is 200 `text/event-stream`.
    pub async fn connect(daemon: &Daemon, resume: Resume<'_>) -> crate::Result<SseClient> {
        Self::from_response(Self::request(daemon, resume).await?).await
    }

    /// The stream of a `GET /v1/events` answer sent by the caller (another token, an
    /// `Origin`); fails unless it is 200 `text/event-stream`.
    pub async fn from_response(resp: reqwest::Response) -> crate::Result<SseClient> {
        let status = resp.status();
        let ctype = content_type(&resp);
        if status != 200 || !ctype.starts_with("text/event-stream") {
            let body = resp.text().await.unwrap_or_default();
            return Err(format!(
                "GET /v1/events: status {status}, content-type {ctype:?}, body {body}"
            ));
        }
        let inner = resp
            .bytes_stream()
            .eventsource()
            .map(|r| r.map_err(|e| e.to_string()));
        Ok(SseClient {
            inner: Box::pin(inner),
        })
    }

    /// The next event within `timeout` (keep-alive comments are skipped).
    pub async fn next_event(&mut self, timeout: Duration) -> crate::Result<SseEvent> {
        match tokio::time::timeout(timeout, self.inner.next()).await {
            Err(_) => Err(format!("no event within {timeout:?}")),
            Ok(None) => Err("event stream closed by the daemon".into()),
            Ok(Some(Err(e))) => Err(format!("event stream error: {e}")),
            Ok(Some(Ok(ev))) => parse(ev),
        }
    }

    /// Reads events until one satisfies `pred` (within `timeout` overall); returns it and
    /// every event read before it.
    pub async fn next_matching(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&SseEvent) -> bool,
    ) -> crate::Result<(SseEvent, Vec<SseEvent>)> {
        let deadline = Deadline::after(timeout);
        let mut skipped = Vec::new();
        loop {
            match self.next_event(deadline.remaining()).await {
                Ok(ev) if pred(&ev) => return Ok((ev, skipped)),
                Ok(ev) => skipped.push(ev),
                Err(e) => {
                    let seen: Vec<String> = skipped.iter().map(describe).collect();
                    return Err(format!(
                        "waiting for {what}: {e}; events seen before: {seen:?}"
                    ));
                }
            }
        }
    }

    /// Succeeds if no event arrives during `quiet` (the stream may stay open).
    pub async fn expect_no_event(&mut self, quiet: Duration) -> crate::Result<()> {
        match self.next_event(quiet).await {
            Ok(ev) => Err(format!("unexpected event {}", describe(&ev))),
            Err(e) if e.starts_with("no event within") => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// A short human description of an event: `#12 card_inserted {...}`.
pub fn describe(ev: &SseEvent) -> String {
    format!("#{} {} {}", ev.id, ev.event, ev.raw)
}

fn parse(ev: eventsource_stream::Event) -> crate::Result<SseEvent> {
    let id: u64 = ev
        .id
        .trim()
        .parse()
        .map_err(|_| format!("SSE id {:?} is not a number (event {ev:?})", ev.id))?;
    let raw: serde_json::Value = serde_json::from_str(&ev.data)
        .map_err(|e| format!("SSE data is not JSON ({e}): {:?}", ev.data))?;
    let data: Event = serde_json::from_value(raw.clone())
        .map_err(|e| format!("SSE data is not an Event ({e}): {raw}"))?;
    if data.id != id {
        return Err(format!(
            "SSE id {id} differs from data id {}: {raw}",
            data.id
        ));
    }
    if ev.event != data.kind.name() {
        return Err(format!(
            "SSE event name {:?} differs from data type {:?}",
            ev.event,
            data.kind.name()
        ));
    }
    Ok(SseEvent {
        id,
        event: ev.event,
        data,
        raw,
    })
}
