//! Real readers through the system's PC/SC service (pcscd on Linux), with the `pcsc` crate.
//!
//! One monitor thread owns a context used only for `get_status_change` (with the PnP
//! notification pseudo-reader, so readers appearing are seen at once); card I/O uses other
//! contexts, one per connection, on the reader's worker thread. When pcscd stops, the
//! monitor reports the backend unavailable and re-establishes a context with backoff
//! until pcscd is back: a context that once answered `NoService` is never reused.

use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use passerelle_protocol::BackendKind;
use pcsc::{Context, Disposition, Error, Protocols, ReaderState, Scope, ShareMode, State};

use super::{
    part10, BackendEvent, CardConnection, CardTransaction, EventSink, MonitorHandle, PinPadVerify,
    ReaderBackend, ReaderSnapshot, TransportError,
};

/// How long one `get_status_change` waits before the monitor checks whether to stop.
const POLL_STOP_EVERY: Duration = Duration::from_millis(250);
/// Backoff bounds while pcscd is unreachable.
const BACKOFF_MIN: Duration = Duration::from_millis(50);
const BACKOFF_MAX: Duration = Duration::from_millis(1000);

/// The PC/SC backend.
#[derive(Debug, Default, Clone)]
pub struct PcscBackend;

impl PcscBackend {
    /// A backend over the system's PC/SC service.
    pub fn new() -> Self {
        PcscBackend
    }
}

impl ReaderBackend for PcscBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Pcsc
    }

    fn watch(&self, sink: EventSink) -> Result<MonitorHandle, TransportError> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("pcsc-monitor".into())
            .spawn(move || {
                Monitor {
                    sink,
                    stop: flag,
                    last: None,
                }
                .run()
            })
            .map_err(|e| TransportError::Failure(e.to_string()))?;
        Ok(MonitorHandle::new(move || {
            stop.store(true, Ordering::SeqCst);
            let _ = thread.join();
        }))
    }

    fn connect(&self, reader: &str) -> Result<Box<dyn CardConnection>, TransportError> {
        let name = CString::new(reader).map_err(|_| TransportError::ReaderNotFound)?;
        let context = Context::establish(Scope::User).map_err(map_error)?;
        let card = context
            .connect(&name, ShareMode::Shared, Protocols::ANY)
            .map_err(map_error)?;
        let atr = card.status2_owned().map_err(map_error)?.atr().to_vec();
        Ok(Box::new(PcscConnection {
            card: Some(card),
            atr,
            _context: context,
        }))
    }
}

/// Maps a PC/SC error to the transport's errors.
fn map_error(e: Error) -> TransportError {
    match e {
        Error::NoSmartcard => TransportError::NoCard,
        // pcsc-lite answers NotTransacted when the card left (or was swapped) during the
        // transaction: what the practitioner must hear is that the card was pulled out.
        Error::RemovedCard
        | Error::ResetCard
        | Error::UnpoweredCard
        | Error::UnresponsiveCard
        | Error::NotTransacted => TransportError::CardRemoved,
        Error::UnknownReader | Error::ReaderUnavailable | Error::NoReadersAvailable => {
            TransportError::ReaderNotFound
        }
        Error::NoService | Error::ServiceStopped | Error::InvalidHandle | Error::CommError => {
            TransportError::ServiceUnavailable(e.to_string())
        }
        Error::SharingViolation | Error::Timeout => TransportError::Busy(e.to_string()),
        other => TransportError::Failure(other.to_string()),
    }
}

struct Monitor {
    sink: EventSink,
    stop: Arc<AtomicBool>,
    last: Option<BackendEvent>,
}

impl Monitor {
    fn run(mut self) {
        let mut backoff = BACKOFF_MIN;
        while !self.stopped() {
            let failure = match Context::establish(Scope::User) {
                Ok(context) => match self.watch(&context) {
                    Ok(()) => return,
                    Err(e) => e,
                },
                Err(e) => e,
            };
            self.send(BackendEvent::Unavailable(format!(
                "Le service des lecteurs de cartes (pcscd) ne répond pas : {failure}."
            )));
            tracing::warn!(error = %failure, "pcscd unreachable; retrying in {backoff:?}");
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn send(&mut self, event: BackendEvent) {
        if self.last.as_ref() != Some(&event) {
            self.last = Some(event.clone());
            (self.sink)(event);
        }
    }

    /// Watches readers on one context until stopped (Ok) or the context fails (Err).
    fn watch(&mut self, context: &Context) -> Result<(), Error> {
        let pnp = pcsc::PNP_NOTIFICATION();
        let mut states = vec![ReaderState::new(pnp, State::UNAWARE)];
        loop {
            if self.stopped() {
                return Ok(());
            }
            let names = match context.list_readers_owned() {
                Ok(names) => names,
                Err(Error::NoReadersAvailable) => Vec::new(),
                Err(e) => return Err(e),
            };
            states.retain(|s| s.name() == pnp || names.iter().any(|n| n.as_c_str() == s.name()));
            for name in names {
                if !states.iter().any(|s| s.name() == name.as_c_str()) {
                    states.push(ReaderState::new(name, State::UNAWARE));
                }
            }
            match context.get_status_change(POLL_STOP_EVERY, &mut states) {
                Ok(()) | Err(Error::Timeout) => {}
                // A reader left between the listing and the wait: list again.
                Err(Error::UnknownReader) => continue,
                Err(e) => return Err(e),
            }
            for state in states.iter_mut() {
                state.sync_current_state();
            }
            let snapshot = snapshot(&states, pnp);
            self.send(BackendEvent::Readers(snapshot));
        }
    }
}

fn snapshot(states: &[ReaderState], pnp: &CStr) -> Vec<ReaderSnapshot> {
    let mut readers: Vec<ReaderSnapshot> = states
        .iter()
        .filter(|s| s.name() != pnp)
        .filter(|s| {
            !s.event_state()
                .intersects(State::UNKNOWN | State::UNAVAILABLE | State::IGNORE)
        })
        .map(|s| ReaderSnapshot {
            name: s.name().to_string_lossy().into_owned(),
            atr: s
                .event_state()
                .contains(State::PRESENT)
                .then(|| s.atr().to_vec()),
            card_events: s.event_count(),
        })
        .collect();
    readers.sort_by(|a, b| a.name.cmp(&b.name));
    readers
}

/// A shared-mode connection to one card; each job takes a PC/SC transaction on it.
struct PcscConnection {
    card: Option<pcsc::Card>,
    atr: Vec<u8>,
    // Dropped after the card (field order): the card's disconnect needs the context.
    _context: Context,
}

impl CardConnection for PcscConnection {
    fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn transaction(&mut self) -> Result<Box<dyn CardTransaction + '_>, TransportError> {
        let card = self.card.as_mut().ok_or(TransportError::CardRemoved)?;
        let transaction = card.transaction().map_err(map_error)?;
        Ok(Box::new(PcscTransaction {
            transaction,
            atr: &self.atr,
        }))
    }

    fn reset(mut self: Box<Self>) {
        self.disconnect(Disposition::ResetCard);
    }
}

impl PcscConnection {
    /// Disconnects with `disposition`; a failure is logged (the card is then reset, as a
    /// dropped handle is).
    fn disconnect(&mut self, disposition: Disposition) {
        if let Some(card) = self.card.take() {
            if let Err((_card, e)) = card.disconnect(disposition) {
                tracing::debug!(error = %e, "disconnect failed; the card is reset");
            }
        }
    }
}

impl Drop for PcscConnection {
    fn drop(&mut self) {
        // Leave the card as it is: dropping a pcsc::Card would reset it and lose the PIN state.
        self.disconnect(Disposition::LeaveCard);
    }
}

struct PcscTransaction<'a> {
    transaction: pcsc::Transaction<'a>,
    atr: &'a [u8],
}

impl CardTransaction for PcscTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let response = self
            .transaction
            .transmit(command, &mut buffer)
            .map_err(map_error)?;
        // Not even a status word: the reader lost the card (vpcd answers so when the card
        // is pulled out during the command).
        if response.len() < 2 {
            return Err(TransportError::Failure("réponse vide du lecteur".into()));
        }
        Ok(response.to_vec())
    }

    fn atr(&self) -> &[u8] {
        self.atr
    }

    fn has_pin_pad(&mut self) -> bool {
        self.verify_pin_direct().is_some()
    }

    fn verify_on_pin_pad(
        &mut self,
        template: &[u8],
        pin_len: u8,
    ) -> Result<PinPadVerify, TransportError> {
        let Some(code) = self.verify_pin_direct() else {
            return Ok(PinPadVerify::Unsupported);
        };
        let structure = part10::pin_verify_structure(template, pin_len);
        let mut buffer = [0u8; 258];
        let response = self
            .transaction
            .control(code.into(), &structure, &mut buffer)
            .map_err(map_error)?;
        match part10::entry_cancelled(response) {
            true => Ok(PinPadVerify::Cancelled),
            false => Ok(PinPadVerify::Answered(response.to_vec())),
        }
    }
}

impl PcscTransaction<'_> {
    /// The control code of `FEATURE_VERIFY_PIN_DIRECT`, if the reader has a PIN pad.
    fn verify_pin_direct(&self) -> Option<u32> {
        let mut buffer = [0u8; 256];
        let features = self
            .transaction
            .control(
                pcsc::ctl_code(part10::GET_FEATURE_REQUEST.into()),
                &[],
                &mut buffer,
            )
            .ok()?;
        part10::feature_code(features, part10::FEATURE_VERIFY_PIN_DIRECT)
    }
}
