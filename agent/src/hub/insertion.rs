//! Insertions and removals in one reader: the hub's state updated from a snapshot, the
//! card identified in a task of its own (a card that does not answer holds back neither the
//! other readers' events nor, past the deadline, its own), and the card resets reported
//! by the reader's worker.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use passerelle_protocol::{Card, CardKind, EventKind};

use super::worker::{JobLabel, ReaderWorker};
use super::{lock, CardMemo, Hub, ReaderEntry, NEXT_INSERTION};
use passerelle_cards::identify;
use passerelle_cards::transport::{hex_spaced, ReaderSnapshot};

impl Hub {
    /// Applies what the snapshot says of one reader.
    pub(super) async fn update_reader(&self, seen: ReaderSnapshot) {
        let (worker, change, is_new) = {
            let mut state = lock(&self.state);
            match state.readers.get_mut(&seen.name) {
                Some(entry) => {
                    let was = entry.present;
                    let changed =
                        was != seen.atr.is_some() || (was && entry.card_events != seen.card_events);
                    entry.card_events = seen.card_events;
                    let change = changed.then(|| {
                        entry.memo = CardMemo::default();
                        entry.present = seen.atr.is_some();
                        entry.insertion = NEXT_INSERTION.fetch_add(1, Ordering::Relaxed);
                        // `card_removed` only for a card whose `card_inserted` went out.
                        (was, entry.card.take().is_some(), entry.insertion)
                    });
                    (entry.worker.clone(), change, false)
                }
                None => {
                    let Some(worker) = self.spawn_worker(&seen.name) else {
                        return;
                    };
                    let insertion = NEXT_INSERTION.fetch_add(1, Ordering::Relaxed);
                    let entry = ReaderEntry {
                        card: None,
                        present: seen.atr.is_some(),
                        insertion,
                        card_events: seen.card_events,
                        worker: worker.clone(),
                        memo: CardMemo::default(),
                    };
                    state.readers.insert(seen.name.clone(), entry);
                    let change = seen.atr.is_some().then_some((false, false, insertion));
                    (worker, change, true)
                }
            }
        };
        if is_new {
            self.events.publish(EventKind::ReaderAdded {
                reader: seen.name.clone(),
            });
        }
        let Some((was_present, was_published, insertion)) = change else {
            return;
        };
        if was_present {
            worker.forget_card();
        }
        if was_published {
            self.events.publish(EventKind::CardRemoved {
                reader: seen.name.clone(),
            });
        }
        if let (Some(atr), Some(hub)) = (seen.atr, self.this.upgrade()) {
            tokio::spawn(async move {
                hub.identify(seen.name, insertion, atr, worker).await;
            });
        }
    }

    /// Starts the worker of `reader`; its card resets clear what the hub knew of the card.
    fn spawn_worker(&self, reader: &str) -> Option<Arc<ReaderWorker>> {
        let (hub, name) = (self.this.clone(), reader.to_owned());
        let on_reset = Arc::new(move || {
            if let Some(hub) = hub.upgrade() {
                hub.card_reset(&name);
            }
        });
        match ReaderWorker::spawn_with(
            self.backend.clone(),
            reader.to_owned(),
            self.deadlines,
            on_reset,
        ) {
            Ok(w) => Some(Arc::new(w)),
            Err(e) => {
                tracing::error!(reader, error = %e, "cannot start reader worker");
                None
            }
        }
    }

    /// Identifies the card of `insertion` (a job on the reader's worker, within the
    /// deadlines: a card that does not answer is recorded as `unknown`), records it and
    /// publishes `card_inserted`, unless that card left meanwhile.
    async fn identify(
        &self,
        reader: String,
        insertion: u64,
        atr: Vec<u8>,
        worker: Arc<ReaderWorker>,
    ) {
        let kind = match worker
            .run(JobLabel::internal("identify"), identify::identify)
            .await
        {
            Ok(kind) => kind,
            Err(e) => {
                tracing::warn!(reader, error = %e, "card not identified");
                CardKind::Unknown
            }
        };
        let card = Card {
            kind,
            atr: hex_spaced(&atr),
        };
        let mut state = lock(&self.state);
        let Some(entry) = state.readers.get_mut(&reader) else {
            return;
        };
        if !entry.present || entry.insertion != insertion {
            return;
        }
        entry.card = Some(card.clone());
        entry.memo = CardMemo::default();
        tracing::info!(reader, kind = ?kind, "card inserted");
        // Under the state lock: a removal seen meanwhile waits, so its `card_removed` follows.
        self.events
            .publish(EventKind::CardInserted { reader, card });
    }

    /// The card of `reader` was reset (a job cut short): its verified PIN and what was read
    /// are forgotten.
    fn card_reset(&self, reader: &str) {
        if let Some(entry) = lock(&self.state).readers.get_mut(reader) {
            entry.memo = CardMemo::default();
        }
    }
}
