//! Reader transport: the narrow interface between card logic and card readers.
//!
//! Card profiles are written against [`CardTransaction`] only, so the same code runs on
//! real readers through PC/SC ([`pcsc`]) and on the simulated readers of the
//! `passerelle-simcard` crate. Above the backends, the daemon runs one worker thread per
//! reader that owns the connection and runs card jobs one at a time: that queue is the
//! reader arbitration.

pub mod part10;
pub mod pcsc;

use passerelle_protocol::BackendKind;

/// What can go wrong between the daemon and a card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The reader holds no card.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed (or reset by another application) during the operation.
    #[error("card removed during the operation")]
    CardRemoved,
    /// No reader with this name (anymore).
    #[error("unknown reader")]
    ReaderNotFound,
    /// The reader service (pcscd) cannot be reached.
    #[error("reader service unavailable: {0}")]
    ServiceUnavailable(String),
    /// Another application holds the card.
    #[error("card busy: {0}")]
    Busy(String),
    /// Any other failure of the reader or its driver.
    #[error("reader failure: {0}")]
    Failure(String),
    /// The job was cancelled while it waited for the reader (it never touched the card).
    #[error("cancelled while waiting for the reader")]
    Cancelled,
    /// The job was cancelled while it held the card: it stops before its next command and
    /// the connection to the card is reset.
    #[error("cancelled while using the card")]
    Interrupted,
    /// The card did not answer within the deadline (of one command, or of the whole job),
    /// or still holds the reader without answering.
    #[error("the card did not answer in time")]
    Timeout,
}

impl TransportError {
    /// True when the connection to the card cannot be used again and must be reopened.
    pub fn connection_lost(&self) -> bool {
        !matches!(self, TransportError::Busy(_) | TransportError::Cancelled)
    }
}

/// Exclusive access to a card for a sequence of commands (a PC/SC transaction).
///
/// Card profiles (APDUs, TLV) are plain code over this trait. A transaction never crosses
/// an `.await`: it lives inside one job on the reader's worker thread.
pub trait CardTransaction {
    /// Sends one command APDU and returns the response APDU (data + SW1 SW2).
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// The card's Answer To Reset.
    fn atr(&self) -> &[u8];
    /// True when the reader has a PIN pad (PC/SC part 10 `FEATURE_VERIFY_PIN_DIRECT`).
    fn has_pin_pad(&mut self) -> bool {
        false
    }
    /// Has the practitioner type the PIN on the reader's pad: the reader fills the PIN
    /// block of `template` (a VERIFY APDU whose data is the `FF`-padded block, ASCII digits
    /// from its first byte) with `pin_len` digits and sends it to the card.
    fn verify_on_pin_pad(
        &mut self,
        _template: &[u8],
        _pin_len: u8,
    ) -> Result<PinPadVerify, TransportError> {
        Ok(PinPadVerify::Unsupported)
    }
}

/// What came of a PIN typed on the reader's pad.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinPadVerify {
    /// The reader has no PIN pad.
    Unsupported,
    /// The practitioner cancelled, or did not type in time; nothing reached the card.
    Cancelled,
    /// The card's answer to the VERIFY the reader built.
    Answered(Vec<u8>),
}

/// An open connection to the card in one reader. Dropping it leaves the card as it is
/// (no reset), so a verified PIN survives between jobs while the card stays in.
pub trait CardConnection: Send {
    /// The card's Answer To Reset.
    fn atr(&self) -> &[u8];
    /// Begins a transaction: other applications cannot interleave commands until it drops.
    fn transaction(&mut self) -> Result<Box<dyn CardTransaction + '_>, TransportError>;
    /// Closes the connection resetting the card (PC/SC `SCARD_RESET_CARD`): what a job cut
    /// short left selected or verified (the PIN) is gone. A card already gone is not an
    /// error.
    fn reset(self: Box<Self>);
}

/// One reader as the backend sees it at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderSnapshot {
    /// Reader name.
    pub name: String,
    /// ATR of the card present, if any.
    pub atr: Option<Vec<u8>>,
    /// Counter of card events in this reader; a change with a card present on both sides
    /// means the card was swapped between two snapshots.
    pub card_events: u32,
}

/// What a backend's monitor reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendEvent {
    /// The full list of readers, sent on start and after every change.
    Readers(Vec<ReaderSnapshot>),
    /// The backend became unreachable; readers are gone until the next `Readers`.
    Unavailable(String),
}

/// Where `BackendEvent`s go. Called from the backend's own thread.
pub type EventSink = Box<dyn Fn(BackendEvent) + Send + Sync>;

/// A source of readers and card connections.
pub trait ReaderBackend: Send + Sync {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;
    /// Starts watching readers and cards; every change goes to `sink` until the returned
    /// handle is dropped.
    fn watch(&self, sink: EventSink) -> Result<MonitorHandle, TransportError>;
    /// Opens a connection to the card in `reader`.
    fn connect(&self, reader: &str) -> Result<Box<dyn CardConnection>, TransportError>;
}

/// Keeps a backend monitor running; dropping it stops the monitor and waits for it.
pub struct MonitorHandle {
    stop: Option<Box<dyn FnOnce() + Send>>,
}

impl MonitorHandle {
    /// A handle that calls `stop` once when dropped.
    pub fn new(stop: impl FnOnce() + Send + 'static) -> Self {
        MonitorHandle {
            stop: Some(Box::new(stop)),
        }
    }
}

impl Drop for MonitorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
    }
}

/// Formats bytes as upper-case hex pairs separated by spaces (`3B 75 13`), as ATRs are
/// usually written.
pub fn hex_spaced(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}
