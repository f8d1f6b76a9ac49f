//! The reader hub: the daemon's picture of readers and cards, kept from backend events.
//!
//! The backend's monitor sends full snapshots; the hub compares each with what it knew,
//! starts or stops one [`ReaderWorker`] per reader, identifies inserted cards (a job on the
//! reader's worker, in a task of its own: a card that does not answer holds back neither
//! the other readers' events nor, past the deadline, its own), updates its state and only
//! then publishes the events, so a client that receives `card_inserted` and asks for the
//! readers already sees the card.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use passerelle_protocol::{BackendState, Card, EventKind, Reader, ReaderState};
use tokio::sync::mpsc;

mod insertion;
mod memo;
pub mod worker;

pub use memo::{CardMemo, PinHolder};

use crate::events::EventBus;
use crate::hub::worker::{Deadlines, ReaderWorker};
use passerelle_cards::transport::{
    BackendEvent, MonitorHandle, ReaderBackend, ReaderSnapshot, TransportError,
};

/// Readers, cards and backend availability.
pub struct Hub {
    backend: Arc<dyn ReaderBackend>,
    events: Arc<EventBus>,
    deadlines: Deadlines,
    state: Mutex<State>,
    monitor: Mutex<Option<MonitorHandle>>,
    /// Itself, for the tasks and workers it starts.
    this: Weak<Hub>,
}

struct State {
    available: bool,
    message: Option<String>,
    readers: BTreeMap<String, ReaderEntry>,
}

/// Numbers insertions, for the process: an identification that ends late is credited only
/// to the insertion it began for.
static NEXT_INSERTION: AtomicU64 = AtomicU64::new(1);

struct ReaderEntry {
    /// The card as identified; `None` when the reader is empty or still identifying it.
    card: Option<Card>,
    /// A card is in the reader (per the last snapshot), identified or not.
    present: bool,
    /// Which insertion the card in the reader is ([`NEXT_INSERTION`]).
    insertion: u64,
    card_events: u32,
    worker: Arc<ReaderWorker>,
    /// What is known of the card now in the reader; dropped when it leaves.
    memo: CardMemo,
}

impl ReaderEntry {
    fn state(&self) -> ReaderState {
        match (self.present, &self.card) {
            (false, _) => ReaderState::Empty,
            _ if self.worker.unresponsive() => ReaderState::Unresponsive,
            (true, None) => ReaderState::Identifying,
            (true, Some(_)) => ReaderState::Ready,
        }
    }
}

impl ReaderEntry {
    /// This reader as a card operation needs it; `None` when it holds no (identified) card.
    fn slot(&self) -> Option<CardSlot> {
        Some(CardSlot {
            worker: self.worker.clone(),
            insertion: self.card_events,
            card: self.card.clone()?,
            memo: self.memo.clone(),
        })
    }
}

/// A reader holding a card, as a card operation needs it.
pub struct CardSlot {
    /// The reader's worker, to run card jobs.
    pub worker: Arc<ReaderWorker>,
    /// Marks this insertion: data read now is cached only if the card is still this one.
    pub insertion: u32,
    /// The card, as identified at insertion.
    pub card: Card,
    /// What is already known of this card.
    pub memo: CardMemo,
}

impl Hub {
    /// Starts watching `backend` with the default deadlines; events go to `events`. Must
    /// run inside a tokio runtime.
    pub fn start(
        backend: Arc<dyn ReaderBackend>,
        events: Arc<EventBus>,
    ) -> Result<Arc<Hub>, TransportError> {
        Self::start_with(backend, events, Deadlines::default())
    }

    /// Like [`Hub::start`]: a card job overrunning `deadlines` is answered `card_timeout`.
    pub fn start_with(
        backend: Arc<dyn ReaderBackend>,
        events: Arc<EventBus>,
        deadlines: Deadlines,
    ) -> Result<Arc<Hub>, TransportError> {
        let hub = Arc::new_cyclic(|this| Hub {
            backend: backend.clone(),
            events,
            deadlines,
            state: Mutex::new(State {
                available: false,
                message: Some("Démarrage : lecteurs en cours de détection.".into()),
                readers: BTreeMap::new(),
            }),
            monitor: Mutex::new(None),
            this: this.clone(),
        });
        let (tx, mut rx) = mpsc::unbounded_channel::<BackendEvent>();
        let worker_hub = hub.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                worker_hub.apply(event).await;
            }
        });
        let handle = backend.watch(Box::new(move |event| {
            let _ = tx.send(event);
        }))?;
        *lock(&hub.monitor) = Some(handle);
        Ok(hub)
    }

    /// Stops the backend monitor.
    pub fn stop(&self) {
        lock(&self.monitor).take();
    }

    /// Every reader with its card, by name.
    pub fn readers(&self) -> Vec<Reader> {
        lock(&self.state)
            .readers
            .iter()
            .map(|(name, entry)| Reader {
                name: name.clone(),
                state: entry.state(),
                card: entry.card.clone(),
                queue: entry.worker.queue(),
            })
            .collect()
    }

    /// The backend and whether it answers.
    pub fn backend_state(&self) -> BackendState {
        let state = lock(&self.state);
        BackendState {
            kind: self.backend.kind(),
            available: state.available,
            message: state.message.clone(),
        }
    }

    /// The worker of `reader`, card or not.
    pub fn worker(&self, reader: &str) -> Result<Arc<ReaderWorker>, TransportError> {
        lock(&self.state)
            .readers
            .get(reader)
            .map(|e| e.worker.clone())
            .ok_or(TransportError::ReaderNotFound)
    }

    /// The reader and its card, for a card operation: `ReaderNotFound` if no such reader,
    /// `NoCard` if it is empty.
    pub fn card_slot(&self, reader: &str) -> Result<CardSlot, TransportError> {
        let state = lock(&self.state);
        let entry = state
            .readers
            .get(reader)
            .ok_or(TransportError::ReaderNotFound)?;
        entry.slot().ok_or(TransportError::NoCard)
    }

    /// Updates what is known of the card of `reader`, if that card is still the one of
    /// `insertion` (a card swapped during an operation is not credited with its result).
    pub fn remember(&self, reader: &str, insertion: u32, update: impl FnOnce(&mut CardMemo)) {
        if let Some(entry) = lock(&self.state).readers.get_mut(reader) {
            if entry.card.is_some() && entry.card_events == insertion {
                update(&mut entry.memo);
            }
        }
    }

    /// The Carte Vitale of serial `serial` as read on its current insertion, if it is in a
    /// reader and was read (the FSE drawn up from it take their rights from here).
    pub fn vitale_read(&self, serial: &str) -> Option<Arc<passerelle_protocol::VitaleCard>> {
        lock(&self.state)
            .readers
            .values()
            .filter(|e| e.card.is_some())
            .filter_map(|e| e.memo.vitale.clone())
            .find(|v| v.serial == serial)
    }

    /// The readers holding a CPx card whose PIN was verified on this insertion, by name.
    pub fn verified_cpx(&self) -> Vec<(String, CardSlot)> {
        let state = lock(&self.state);
        state
            .readers
            .iter()
            .filter(|(_, e)| e.memo.verified_by.is_some())
            .filter_map(|(name, e)| Some((name.clone(), e.slot()?)))
            .collect()
    }

    async fn apply(&self, event: BackendEvent) {
        match event {
            BackendEvent::Unavailable(message) => self.unavailable(message),
            BackendEvent::Readers(snapshot) => self.readers_changed(snapshot).await,
        }
    }

    fn unavailable(&self, message: String) {
        let gone: Vec<(String, bool)> = {
            let mut state = lock(&self.state);
            let was_available = state.available;
            state.message = Some(message.clone());
            if !was_available && state.readers.is_empty() {
                // Still down (the reason may have changed): nothing new to tell clients.
                return;
            }
            state.available = false;
            std::mem::take(&mut state.readers)
                .into_iter()
                .map(|(n, e)| (n, e.card.is_some()))
                .collect()
        };
        self.events
            .publish(EventKind::BackendUnavailable { message });
        for (reader, had_card) in gone {
            if had_card {
                self.events.publish(EventKind::CardRemoved {
                    reader: reader.clone(),
                });
            }
            self.events.publish(EventKind::ReaderRemoved { reader });
        }
    }

    async fn readers_changed(&self, snapshot: Vec<ReaderSnapshot>) {
        let became_available = {
            let mut state = lock(&self.state);
            let was = state.available;
            state.available = true;
            state.message = None;
            !was
        };
        if became_available {
            self.events.publish(EventKind::BackendAvailable);
        }
        self.remove_missing(&snapshot);
        for reader in snapshot {
            self.update_reader(reader).await;
        }
    }

    fn remove_missing(&self, snapshot: &[ReaderSnapshot]) {
        let gone: Vec<(String, ReaderEntry)> = {
            let mut state = lock(&self.state);
            let names: Vec<String> = state
                .readers
                .keys()
                .filter(|n| !snapshot.iter().any(|s| &s.name == *n))
                .cloned()
                .collect();
            names
                .into_iter()
                .filter_map(|n| state.readers.remove_entry(&n))
                .collect()
        };
        for (reader, entry) in gone {
            if entry.card.is_some() {
                self.events.publish(EventKind::CardRemoved {
                    reader: reader.clone(),
                });
            }
            self.events.publish(EventKind::ReaderRemoved { reader });
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests;
