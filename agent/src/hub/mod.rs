//! The reader hub: the daemon's picture of readers and cards, kept from backend events.
//!
//! The backend's monitor sends full snapshots; the hub compares each with what it knew,
//! starts or stops one [`ReaderWorker`] per reader, identifies inserted cards (a job on the
//! reader's worker), updates its state and only then publishes the events, so a client that
//! receives `card_inserted` and asks for the readers already sees the card.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use passerelle_protocol::{BackendState, Card, CardKind, EventKind, Reader};
use tokio::sync::mpsc;

mod memo;
pub mod worker;

pub use memo::{CardMemo, PinHolder};

use crate::events::EventBus;
use crate::hub::worker::{JobLabel, ReaderWorker};
use passerelle_cards::identify;
use passerelle_cards::transport::{
    hex_spaced, BackendEvent, MonitorHandle, ReaderBackend, ReaderSnapshot, TransportError,
};

/// Readers, cards and backend availability.
pub struct Hub {
    backend: Arc<dyn ReaderBackend>,
    events: Arc<EventBus>,
    state: Mutex<State>,
    monitor: Mutex<Option<MonitorHandle>>,
}

struct State {
    available: bool,
    message: Option<String>,
    readers: BTreeMap<String, ReaderEntry>,
}

struct ReaderEntry {
    card: Option<Card>,
    card_events: u32,
    worker: Arc<ReaderWorker>,
    /// What is known of the card now in the reader; dropped when it leaves.
    memo: CardMemo,
}

impl ReaderEntry {
    /// This reader as a card operation needs it; `None` when it holds no card.
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
    /// Starts watching `backend`; events go to `events`. Must run inside a tokio runtime.
    pub fn start(
        backend: Arc<dyn ReaderBackend>,
        events: Arc<EventBus>,
    ) -> Result<Arc<Hub>, passerelle_cards::transport::TransportError> {
        let hub = Arc::new(Hub {
            backend: backend.clone(),
            events,
            state: Mutex::new(State {
                available: false,
                message: Some("Démarrage : lecteurs en cours de détection.".into()),
                readers: BTreeMap::new(),
            }),
            monitor: Mutex::new(None),
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

    async fn update_reader(&self, seen: ReaderSnapshot) {
        let (worker, had_card, card_changed, is_new) = {
            let mut state = lock(&self.state);
            match state.readers.get_mut(&seen.name) {
                Some(entry) => {
                    let had = entry.card.is_some();
                    let changed =
                        had != seen.atr.is_some() || (had && entry.card_events != seen.card_events);
                    entry.card_events = seen.card_events;
                    if changed {
                        entry.memo = CardMemo::default();
                    }
                    (entry.worker.clone(), had, changed, false)
                }
                None => {
                    let worker = match ReaderWorker::spawn(self.backend.clone(), seen.name.clone())
                    {
                        Ok(w) => Arc::new(w),
                        Err(e) => {
                            tracing::error!(reader = %seen.name, error = %e, "cannot start reader worker");
                            return;
                        }
                    };
                    let entry = ReaderEntry {
                        card: None,
                        card_events: seen.card_events,
                        worker: worker.clone(),
                        memo: CardMemo::default(),
                    };
                    state.readers.insert(seen.name.clone(), entry);
                    (worker, false, seen.atr.is_some(), true)
                }
            }
        };
        if is_new {
            self.events.publish(EventKind::ReaderAdded {
                reader: seen.name.clone(),
            });
        }
        if !card_changed {
            return;
        }
        if had_card {
            worker.forget_card();
            self.set_card(&seen.name, None);
            self.events.publish(EventKind::CardRemoved {
                reader: seen.name.clone(),
            });
        }
        if let Some(atr) = seen.atr {
            let kind = worker
                .run(JobLabel::internal("identify"), identify::identify)
                .await
                .unwrap_or(CardKind::Unknown);
            let card = Card {
                kind,
                atr: hex_spaced(&atr),
            };
            if self.set_card(&seen.name, Some(card.clone())) {
                tracing::info!(reader = %seen.name, kind = ?kind, "card inserted");
                self.events.publish(EventKind::CardInserted {
                    reader: seen.name,
                    card,
                });
            }
        }
    }

    /// Records the card of `reader`; false if the reader is gone meanwhile.
    fn set_card(&self, reader: &str, card: Option<Card>) -> bool {
        match lock(&self.state).readers.get_mut(reader) {
            Some(entry) => {
                entry.card = card;
                entry.memo = CardMemo::default();
                true
            }
            None => false,
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests;
