//! Test doubles for the card readers: a card pulled out after N commands, a card that
//! answers garbage, a card whose answers are cut short.

use passerelle_simcard::SimCard;

use crate::transport::{CardTransaction, TransportError};

/// A [`CardTransaction`] of this crate straight over a simulated card. The simulator crate
/// has its own (over its copy of this crate: a dev-dependency cycle), so the card
/// profiles' unit tests use this one; only bytes cross between the two.
pub(crate) struct DirectTransaction {
    card: Box<dyn SimCard>,
    atr: Vec<u8>,
}

impl DirectTransaction {
    /// Wraps `card` (as it is: no reset).
    pub(crate) fn new(card: Box<dyn SimCard>) -> Self {
        let atr = card.atr();
        DirectTransaction { card, atr }
    }

    /// The card, e.g. to reset it between two steps of a test.
    pub(crate) fn card_mut(&mut self) -> &mut dyn SimCard {
        self.card.as_mut()
    }
}

impl CardTransaction for DirectTransaction {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.card.process(command))
    }

    fn atr(&self) -> &[u8] {
        &self.atr
    }
}

/// `YYYYMMDD` → `YYYY-MM-DD`, for expected values built from fixtures.
pub(crate) fn iso(date: &str) -> String {
    format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..])
}

/// A transaction over a simulated card that is pulled out after `left` commands: every
/// later transmit is [`TransportError::CardRemoved`]. Counts what was sent.
pub(crate) struct PulledAfter {
    inner: DirectTransaction,
    left: usize,
    pub(crate) sent: usize,
}

impl PulledAfter {
    pub(crate) fn new(card: Box<dyn SimCard>, left: usize) -> Self {
        PulledAfter {
            inner: DirectTransaction::new(card),
            left,
            sent: 0,
        }
    }
}

impl CardTransaction for PulledAfter {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.left == 0 {
            return Err(TransportError::CardRemoved);
        }
        self.left -= 1;
        self.sent += 1;
        self.inner.transmit(command)
    }
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }
}

/// A card with a given ATR that answers pseudo-random bytes (0 to 40 of them, ending in
/// `90 00` one time in three so the reader goes past the first command).
pub(crate) struct Garbage {
    pub(crate) atr: Vec<u8>,
    pub(crate) state: u64,
}

impl Garbage {
    fn next(&mut self) -> u64 {
        // xorshift64
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl SimCard for Garbage {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
    fn reset(&mut self) {}
    fn process(&mut self, _: &[u8]) -> Vec<u8> {
        let len = (self.next() % 41) as usize;
        let mut out: Vec<u8> = (0..len).map(|_| self.next() as u8).collect();
        if len >= 2 && matches!(self.next() % 3, 0) {
            out[len - 2..].copy_from_slice(&[0x90, 0x00]);
        }
        out
    }
}

/// A real simulated card whose response data is cut to `keep` bytes (the status word
/// stays): TLV arrives truncated.
pub(crate) struct Truncating {
    pub(crate) card: Box<dyn SimCard>,
    pub(crate) keep: usize,
}

impl SimCard for Truncating {
    fn atr(&self) -> Vec<u8> {
        self.card.atr()
    }
    fn reset(&mut self) {
        self.card.reset()
    }
    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        let mut r = self.card.process(command);
        let split = r.len() - 2;
        if split > self.keep {
            r.drain(self.keep..split);
        }
        r
    }
}

/// A transaction over a simulated card that records the header (CLA INS P1 P2) of every
/// command, can be pulled out after `left` commands, and can have a PIN pad that "types"
/// `pad` (`None`: no pad; `Some(None)`: the practitioner cancels).
pub(crate) struct Recording {
    pub(crate) inner: DirectTransaction,
    pub(crate) left: usize,
    pub(crate) headers: Vec<[u8; 4]>,
    pub(crate) pad: Option<Option<Vec<u8>>>,
}

impl Recording {
    pub(crate) fn new(card: Box<dyn SimCard>) -> Self {
        Recording {
            inner: DirectTransaction::new(card),
            left: usize::MAX,
            headers: Vec::new(),
            pad: None,
        }
    }

    /// How many commands with instruction `ins` were sent.
    pub(crate) fn count(&self, ins: u8) -> usize {
        self.headers.iter().filter(|h| h[1] == ins).count()
    }
}

impl CardTransaction for Recording {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.left == 0 {
            return Err(TransportError::CardRemoved);
        }
        self.left -= 1;
        let mut header = [0; 4];
        header.copy_from_slice(&command[..4]);
        self.headers.push(header);
        self.inner.transmit(command)
    }
    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }
    fn has_pin_pad(&mut self) -> bool {
        self.pad.is_some()
    }
    fn verify_on_pin_pad(
        &mut self,
        template: &[u8],
        _pin_len: u8,
    ) -> Result<crate::transport::PinPadVerify, TransportError> {
        use crate::transport::PinPadVerify;
        match self.pad.clone() {
            None => Ok(PinPadVerify::Unsupported),
            Some(None) => Ok(PinPadVerify::Cancelled),
            Some(Some(digits)) => {
                let mut apdu = template.to_vec();
                apdu[5..5 + digits.len()].copy_from_slice(&digits);
                self.transmit(&apdu).map(PinPadVerify::Answered)
            }
        }
    }
}
