//! The reader hub: the daemon's picture of readers and cards, kept from backend events.
//!
//! The backend's monitor sends full snapshots; the hub compares each with what it knew,
//! starts or stops one [`ReaderWorker`] per reader, identifies inserted cards (a job on the
//! reader's worker), updates its state and only then publishes the events, so a client that
//! receives `card_inserted` and asks for the readers already sees the card.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use passerelle_protocol::{BackendState, Card, CardKind, CpxCard, EventKind, Reader, VitaleCard};
use tokio::sync::mpsc;

use crate::cards::identify;
use crate::events::EventBus;
use crate::transport::worker::ReaderWorker;
use crate::transport::{
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
    /// What was read from the card now in the reader; dropped when it leaves.
    read: Option<CardData>,
}

/// Data read from a card, kept until that card leaves the reader.
#[derive(Debug, Clone)]
pub enum CardData {
    /// A Carte Vitale.
    Vitale(Arc<VitaleCard>),
    /// A CPS, CPE or CPF.
    Cpx(Arc<CpxCard>),
}

/// A reader holding a card, as a card operation needs it.
pub struct CardSlot {
    /// The reader's worker, to run card jobs.
    pub worker: Arc<ReaderWorker>,
    /// Marks this insertion: data read now is cached only if the card is still this one.
    pub insertion: u32,
    /// What was already read from this card.
    pub read: Option<CardData>,
}

impl Hub {
    /// Starts watching `backend`; events go to `events`. Must run inside a tokio runtime.
    pub fn start(
        backend: Arc<dyn ReaderBackend>,
        events: Arc<EventBus>,
    ) -> Result<Arc<Hub>, crate::transport::TransportError> {
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

    /// The reader and its card, for a card operation: `ReaderNotFound` if no such reader,
    /// `NoCard` if it is empty.
    pub fn card_slot(&self, reader: &str) -> Result<CardSlot, TransportError> {
        let state = lock(&self.state);
        let entry = state
            .readers
            .get(reader)
            .ok_or(TransportError::ReaderNotFound)?;
        if entry.card.is_none() {
            return Err(TransportError::NoCard);
        }
        Ok(CardSlot {
            worker: entry.worker.clone(),
            insertion: entry.card_events,
            read: entry.read.clone(),
        })
    }

    /// Keeps `data` read from the card of `reader`, if that card is still the one of
    /// `insertion` (a card swapped during the read is not cached under the new one).
    pub fn remember(&self, reader: &str, insertion: u32, data: CardData) {
        if let Some(entry) = lock(&self.state).readers.get_mut(reader) {
            if entry.card.is_some() && entry.card_events == insertion {
                entry.read = Some(data);
            }
        }
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
                        entry.read = None;
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
                        read: None,
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
                .run(identify::identify)
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
                entry.read = None;
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
mod tests {
    use super::*;
    use crate::sim::fixtures::card_from_spec;
    use crate::transport::sim::SimBackend;
    use std::time::Duration;

    async fn next(
        sub: &mut tokio::sync::broadcast::Receiver<passerelle_protocol::Event>,
    ) -> EventKind {
        tokio::time::timeout(Duration::from_secs(5), sub.recv())
            .await
            .expect("an event")
            .unwrap()
            .kind
    }

    fn card(spec: &str) -> Box<dyn crate::sim::SimCard> {
        card_from_spec(spec).unwrap()
    }

    #[tokio::test]
    async fn snapshots_become_ordered_events_and_state() {
        let sim = SimBackend::new(vec![
            ("A".into(), Some(card("vitale:nguyen"))),
            ("B".into(), None),
        ]);
        let events = Arc::new(EventBus::new(64));
        let mut sub = events.subscribe(None).live;
        let hub = Hub::start(Arc::new(sim.clone()), events.clone()).unwrap();

        assert_eq!(next(&mut sub).await, EventKind::BackendAvailable);
        assert_eq!(
            next(&mut sub).await,
            EventKind::ReaderAdded { reader: "A".into() }
        );
        let EventKind::CardInserted { reader, card: c } = next(&mut sub).await else {
            panic!()
        };
        assert_eq!((reader.as_str(), c.kind), ("A", CardKind::Vitale));
        assert_eq!(
            next(&mut sub).await,
            EventKind::ReaderAdded { reader: "B".into() }
        );
        assert!(hub.backend_state().available);

        // A CPE into B: identified by its card-type file, through B's worker.
        sim.insert("B", card("cpe:petit-secretaire")).unwrap();
        let EventKind::CardInserted { card: c, .. } = next(&mut sub).await else {
            panic!()
        };
        assert_eq!(c.kind, CardKind::Cpe);
        assert_eq!(
            hub.readers()[1].card.as_ref().map(|c| c.kind),
            Some(CardKind::Cpe)
        );

        // Swapped between two snapshots: still a removal then an insertion.
        sim.insert("B", card("cps:lefevre-medecin")).unwrap();
        assert_eq!(
            next(&mut sub).await,
            EventKind::CardRemoved { reader: "B".into() }
        );
        let EventKind::CardInserted { card: c, .. } = next(&mut sub).await else {
            panic!()
        };
        assert_eq!(c.kind, CardKind::Cps);

        sim.remove("A").unwrap();
        assert_eq!(
            next(&mut sub).await,
            EventKind::CardRemoved { reader: "A".into() }
        );
        assert!(hub.readers()[0].card.is_none());
        assert_eq!(
            events.last_id(),
            8,
            "available, 2 readers added, 3 inserted, 2 removed"
        );
        hub.stop();
    }

    #[tokio::test]
    async fn unavailable_backend_removes_readers_once() {
        let sim = SimBackend::new(vec![("A".into(), Some(card("vitale:nguyen")))]);
        let events = Arc::new(EventBus::new(64));
        let hub = Hub::start(Arc::new(sim), events.clone()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), async {
            while hub.readers().first().and_then(|r| r.card.clone()).is_none() {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap();
        let mut sub = events.subscribe(None).live;
        hub.apply(BackendEvent::Unavailable("pcscd arrêté".into()))
            .await;
        hub.apply(BackendEvent::Unavailable("pcscd toujours arrêté".into()))
            .await;
        let kinds: Vec<EventKind> = std::iter::from_fn(|| sub.try_recv().ok())
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                EventKind::BackendUnavailable {
                    message: "pcscd arrêté".into()
                },
                EventKind::CardRemoved { reader: "A".into() },
                EventKind::ReaderRemoved { reader: "A".into() },
            ]
        );
        let state = hub.backend_state();
        assert!(!state.available);
        assert_eq!(state.message.as_deref(), Some("pcscd toujours arrêté"));
        assert!(hub.readers().is_empty());
    }
}
