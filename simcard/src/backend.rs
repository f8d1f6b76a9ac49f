//! In-process simulated readers: the demo backend.
//!
//! Each reader slot may hold a [`SimCard`]; inserting and removing cards notifies the
//! monitor exactly as a PC/SC reader would. Connections check on every command that the
//! card they opened is still the one in the slot, so a removal mid-operation fails the
//! way a real one does.

use std::sync::{Arc, Mutex, MutexGuard};

use passerelle_protocol::BackendKind;

use crate::pin_pad::SimPinPad;
use crate::SimCard;
use passerelle_cards::transport::{
    BackendEvent, CardConnection, CardTransaction, EventSink, MonitorHandle, PinPadVerify,
    ReaderBackend, ReaderSnapshot, TransportError,
};

type SharedCard = Arc<Mutex<Box<dyn SimCard>>>;

struct Slot {
    name: String,
    card: Option<(SharedCard, Vec<u8>)>,
    card_events: u32,
    pin_pad: Option<Arc<SimPinPad>>,
}

struct Shared {
    slots: Mutex<Vec<Slot>>,
    sink: Mutex<Option<Arc<EventSink>>>,
}

/// Simulated readers with simulated cards.
#[derive(Clone)]
pub struct SimBackend {
    shared: Arc<Shared>,
}

impl SimBackend {
    /// Readers named `names`, each optionally holding a card.
    pub fn new(readers: Vec<(String, Option<Box<dyn SimCard>>)>) -> Self {
        let slots = readers
            .into_iter()
            .map(|(name, card)| Slot {
                name,
                card: card.map(wrap),
                card_events: 0,
                pin_pad: None,
            })
            .collect();
        SimBackend {
            shared: Arc::new(Shared {
                slots: Mutex::new(slots),
                sink: Mutex::new(None),
            }),
        }
    }

    /// Gives `reader` a PIN pad that waits `timeout` for the keys.
    pub fn with_pin_pad(self, reader: &str, timeout: std::time::Duration) -> Self {
        if let Some(slot) = lock(&self.shared.slots)
            .iter_mut()
            .find(|s| s.name == reader)
        {
            slot.pin_pad = Some(Arc::new(SimPinPad::new(timeout)));
        }
        self
    }

    /// The PIN pad of `reader`: `ReaderNotFound` if no such reader, `None` if it has none.
    pub fn pin_pad(&self, reader: &str) -> Result<Option<Arc<SimPinPad>>, TransportError> {
        lock(&self.shared.slots)
            .iter()
            .find(|s| s.name == reader)
            .map(|s| s.pin_pad.clone())
            .ok_or(TransportError::ReaderNotFound)
    }

    /// Puts `card` into `reader`, replacing (removing) any card already there.
    pub fn insert(&self, reader: &str, card: Box<dyn SimCard>) -> Result<(), TransportError> {
        self.change(reader, |slot| {
            if slot.card.is_some() {
                slot.card_events += 1;
            }
            slot.card = Some(wrap(card));
            slot.card_events += 1;
        })
    }

    /// Takes the card out of `reader`; returns whether there was one.
    pub fn remove(&self, reader: &str) -> Result<bool, TransportError> {
        let mut had = false;
        self.change(reader, |slot| {
            had = slot.card.take().is_some();
            if had {
                slot.card_events += 1;
            }
        })?;
        Ok(had)
    }

    fn change(&self, reader: &str, f: impl FnOnce(&mut Slot)) -> Result<(), TransportError> {
        let mut slots = lock(&self.shared.slots);
        let slot = slots
            .iter_mut()
            .find(|s| s.name == reader)
            .ok_or(TransportError::ReaderNotFound)?;
        f(slot);
        // Notified under the slots lock so snapshots reach the monitor in order.
        self.notify(&slots);
        Ok(())
    }

    fn notify(&self, slots: &[Slot]) {
        let sink = lock(&self.shared.sink).clone();
        if let Some(sink) = sink {
            sink(BackendEvent::Readers(snapshot(slots)));
        }
    }
}

fn wrap(card: Box<dyn SimCard>) -> (SharedCard, Vec<u8>) {
    let atr = card.atr();
    (Arc::new(Mutex::new(card)), atr)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn snapshot(slots: &[Slot]) -> Vec<ReaderSnapshot> {
    slots
        .iter()
        .map(|s| ReaderSnapshot {
            name: s.name.clone(),
            atr: s.card.as_ref().map(|(_, atr)| atr.clone()),
            card_events: s.card_events,
        })
        .collect()
}

impl ReaderBackend for SimBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Simulated
    }

    fn watch(&self, sink: EventSink) -> Result<MonitorHandle, TransportError> {
        let slots = lock(&self.shared.slots);
        *lock(&self.shared.sink) = Some(Arc::new(sink));
        self.notify(&slots);
        drop(slots);
        let shared = self.shared.clone();
        Ok(MonitorHandle::new(move || *lock(&shared.sink) = None))
    }

    fn connect(&self, reader: &str) -> Result<Box<dyn CardConnection>, TransportError> {
        let slots = lock(&self.shared.slots);
        let index = slots
            .iter()
            .position(|s| s.name == reader)
            .ok_or(TransportError::ReaderNotFound)?;
        let slot = &slots[index];
        let (card, atr) = slot.card.clone().ok_or(TransportError::NoCard)?;
        Ok(Box::new(SimConnection {
            shared: self.shared.clone(),
            index,
            card_events: slot.card_events,
            card,
            atr,
            pin_pad: slot.pin_pad.clone(),
        }))
    }
}

struct SimConnection {
    shared: Arc<Shared>,
    index: usize,
    card_events: u32,
    card: SharedCard,
    atr: Vec<u8>,
    pin_pad: Option<Arc<SimPinPad>>,
}

impl SimConnection {
    fn still_inserted(&self) -> bool {
        lock(&self.shared.slots)
            .get(self.index)
            .map(|s| s.card_events)
            == Some(self.card_events)
    }
}

impl CardConnection for SimConnection {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn transaction(&mut self) -> Result<Box<dyn CardTransaction + '_>, TransportError> {
        if !self.still_inserted() {
            return Err(TransportError::CardRemoved);
        }
        let card = lock(&self.card);
        Ok(Box::new(SimTransaction {
            connection: self,
            card,
        }))
    }

    fn reset(self: Box<Self>) {
        if self.still_inserted() {
            lock(&self.card).reset();
        }
    }
}

struct SimTransaction<'a> {
    connection: &'a SimConnection,
    card: MutexGuard<'a, Box<dyn SimCard>>,
}

impl CardTransaction for SimTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if !self.connection.still_inserted() {
            return Err(TransportError::CardRemoved);
        }
        Ok(self.card.process(command))
    }

    fn atr(&self) -> &[u8] {
        &self.connection.atr
    }

    fn has_pin_pad(&mut self) -> bool {
        self.connection.pin_pad.is_some()
    }

    fn verify_on_pin_pad(
        &mut self,
        template: &[u8],
        _pin_len: u8,
    ) -> Result<PinPadVerify, TransportError> {
        let Some(pad) = self.connection.pin_pad.clone() else {
            return Ok(PinPadVerify::Unsupported);
        };
        match pad.wait_for_pin(template) {
            None => Ok(PinPadVerify::Cancelled),
            Some(apdu) => self.transmit(&apdu).map(PinPadVerify::Answered),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card that echoes the command with 90 00.
    struct Echo;
    impl SimCard for Echo {
        fn atr(&self) -> Vec<u8> {
            vec![0x3B, 0x00]
        }
        fn reset(&mut self) {}
        fn process(&mut self, command: &[u8]) -> Vec<u8> {
            let mut r = command.to_vec();
            r.extend_from_slice(&[0x90, 0x00]);
            r
        }
    }

    #[test]
    fn monitor_sees_insert_and_remove() {
        let backend = SimBackend::new(vec![("A".into(), None), ("B".into(), Some(Box::new(Echo)))]);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let _h = backend
            .watch(Box::new(move |e| s.lock().unwrap().push(e)))
            .unwrap();
        backend.insert("A", Box::new(Echo)).unwrap();
        assert!(backend.remove("B").unwrap());
        assert!(!backend.remove("B").unwrap());
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 4);
        let BackendEvent::Readers(last) = &seen[3] else {
            panic!()
        };
        assert!(last[0].atr.is_some() && last[1].atr.is_none());
        assert_eq!(last[1].card_events, 1);
    }

    #[test]
    fn removal_fails_an_open_connection() {
        let backend = SimBackend::new(vec![("A".into(), Some(Box::new(Echo)))]);
        let mut conn = backend.connect("A").unwrap();
        assert_eq!(
            conn.transaction().unwrap().transmit(&[1]).unwrap(),
            vec![1, 0x90, 0]
        );
        backend.remove("A").unwrap();
        assert!(matches!(
            conn.transaction().err(),
            Some(TransportError::CardRemoved)
        ));
        backend.insert("A", Box::new(Echo)).unwrap();
        // A new card is not the card this connection opened.
        assert!(matches!(
            conn.transaction().err(),
            Some(TransportError::CardRemoved)
        ));
        assert!(matches!(
            backend.connect("Z").err(),
            Some(TransportError::ReaderNotFound)
        ));
    }
}
