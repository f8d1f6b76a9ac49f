//! The event bus: numbered events, a replay buffer, and live subscribers.
//!
//! Every event gets the next sequence number under one lock, is kept in a bounded ring and
//! broadcast to live subscribers. A subscriber that resumes from an id receives the
//! buffered events after it, then live ones, with no gap and no duplicate (the replay and
//! the live subscription are taken under the same lock). If it asks for an id the buffer no
//! longer holds, or one the daemon never emitted (a previous run), it first gets `resync`.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use passerelle_protocol::{Event, EventKind};
use tokio::sync::broadcast;

/// Numbered events with replay.
pub struct EventBus {
    inner: Mutex<Inner>,
    live: broadcast::Sender<Event>,
    capacity: usize,
}

struct Inner {
    last_id: u64,
    ring: VecDeque<Event>,
}

/// What a new subscriber gets: events to send first, then the live receiver.
pub struct Subscription {
    /// Events to deliver before the live ones (a `resync` and/or buffered events).
    pub replay: Vec<Event>,
    /// Live events, starting right after the last replayed one.
    pub live: broadcast::Receiver<Event>,
}

impl EventBus {
    /// A bus keeping the last `capacity` events.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let (live, _) = broadcast::channel(capacity.max(16));
        EventBus {
            inner: Mutex::new(Inner {
                last_id: 0,
                ring: VecDeque::new(),
            }),
            live,
            capacity,
        }
    }

    /// Emits an event and returns it with its id.
    pub fn publish(&self, kind: EventKind) -> Event {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.last_id += 1;
        let event = Event {
            id: inner.last_id,
            at_ms: now_ms(),
            kind,
        };
        if inner.ring.len() == self.capacity {
            inner.ring.pop_front();
        }
        inner.ring.push_back(event.clone());
        // No receiver is not an error: nobody listens right now.
        let _ = self.live.send(event.clone());
        event
    }

    /// Id of the last event emitted (0 before any).
    pub fn last_id(&self) -> u64 {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).last_id
    }

    /// Subscribes. `after = None`: only new events. `Some(id)`: every event after `id`,
    /// preceded by `resync` if some of them are no longer available.
    pub fn subscribe(&self, after: Option<u64>) -> Subscription {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let live = self.live.subscribe();
        let mut replay = Vec::new();
        if let Some(after) = after {
            let oldest_kept = inner
                .ring
                .front()
                .map(|e| e.id)
                .unwrap_or(inner.last_id + 1);
            let lost = after > inner.last_id || after + 1 < oldest_kept;
            if lost {
                replay.push(self.resync(inner.last_id));
            }
            if after <= inner.last_id {
                replay.extend(inner.ring.iter().filter(|e| e.id > after).cloned());
            }
        }
        Subscription { replay, live }
    }

    /// The last event of a stream whose token stopped being valid (`message` says why);
    /// it carries the id of the last event emitted.
    pub fn unauthorized(&self, message: &str) -> Event {
        Event {
            id: self.last_id(),
            at_ms: now_ms(),
            kind: EventKind::Unauthorized {
                message: message.to_owned(),
            },
        }
    }

    /// The `resync` event a subscriber gets when events were lost; it carries the id of the
    /// last event emitted, so a client that refetches state resumes from there.
    pub fn resync(&self, last_id: u64) -> Event {
        Event {
            id: last_id,
            at_ms: now_ms(),
            kind: EventKind::Resync,
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(n: u32) -> EventKind {
        EventKind::ReaderAdded {
            reader: format!("R{n}"),
        }
    }

    #[test]
    fn ids_increase_from_one() {
        let bus = EventBus::new(8);
        assert_eq!(bus.publish(added(0)).id, 1);
        assert_eq!(bus.publish(added(1)).id, 2);
        assert_eq!(bus.last_id(), 2);
    }

    #[test]
    fn resume_replays_after_id_then_live() {
        let bus = EventBus::new(8);
        for i in 0..5 {
            bus.publish(added(i));
        }
        let mut sub = bus.subscribe(Some(2));
        let ids: Vec<u64> = sub.replay.iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![3, 4, 5]);
        bus.publish(added(9));
        assert_eq!(sub.live.try_recv().unwrap().id, 6);
    }

    #[test]
    fn new_subscriber_gets_no_history() {
        let bus = EventBus::new(8);
        bus.publish(added(0));
        let sub = bus.subscribe(None);
        assert!(sub.replay.is_empty());
    }

    #[test]
    fn too_old_id_gets_resync_then_what_is_left() {
        let bus = EventBus::new(3);
        for i in 0..6 {
            bus.publish(added(i));
        }
        let sub = bus.subscribe(Some(1));
        assert_eq!(sub.replay[0].kind, EventKind::Resync);
        let ids: Vec<u64> = sub.replay[1..].iter().map(|e| e.id).collect();
        assert_eq!(ids, vec![4, 5, 6]);
    }

    #[test]
    fn exactly_at_buffer_edge_is_not_resync() {
        let bus = EventBus::new(3);
        for i in 0..6 {
            bus.publish(added(i));
        }
        // Oldest kept is 4: after=3 misses nothing.
        let sub = bus.subscribe(Some(3));
        assert!(sub.replay.iter().all(|e| e.kind != EventKind::Resync));
        assert_eq!(sub.replay.len(), 3);
    }

    #[test]
    fn id_from_the_future_gets_resync_only() {
        let bus = EventBus::new(3);
        bus.publish(added(0));
        let sub = bus.subscribe(Some(500));
        assert_eq!(sub.replay.len(), 1);
        assert_eq!(sub.replay[0].kind, EventKind::Resync);
        assert_eq!(sub.replay[0].id, 1);
    }
}
