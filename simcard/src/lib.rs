//! Card simulator: a Carte Vitale 2 and CPS3/CPE/CPF cards that answer real APDUs.
//!
//! One implementation, used both in-process (the demo backend, [`backend`], with the PIN
//! pad of [`pin_pad`]) and behind pcscd as a vpcd client ([`vpcd`]), so the tests exercise
//! the real PC/SC stack. The public facts (ATRs, AIDs, free-zone TLV) follow
//! `shared/domain/DOMAIN.md`; everything restricted is modelled, see
//! [`passerelle_cards::layout`]. A simulated card answers any bytes with a status word and
//! never panics; wrapped in [`t0::T0Card`] (spec `KIND:ID+t0`) it answers over T=0.
//!
//! This crate holds the fictitious people of `fixtures/` and their **test keys**: the
//! daemon takes it through its default `simulator` feature, and a packaged build leaves it
//! out (`--no-default-features`).

#![forbid(unsafe_code)]

pub mod backend;
pub mod cps;
mod cps_files;
pub mod fixtures;
pub mod pin_pad;
pub mod t0;
pub mod vitale;
mod vitale_auth;
pub mod vpcd;

pub use cps::SimCps;
pub use fixtures::{card_from_spec, FixtureError};
pub use vitale::SimVitale;

use passerelle_cards::apdu::{Response, StatusWord};
use passerelle_cards::transport::{CardTransaction, TransportError};

/// A simulated smart card: an ATR and a function from command APDU to response APDU.
pub trait SimCard: Send {
    /// Answer To Reset.
    fn atr(&self) -> Vec<u8>;
    /// Power cycle or warm reset: the security state (verified PIN) is lost.
    fn reset(&mut self);
    /// Processes one command APDU and returns the response (data + SW1 SW2).
    fn process(&mut self, command: &[u8]) -> Vec<u8>;
}

/// A [`CardTransaction`] straight over a [`SimCard`], without a reader: for unit tests of
/// card profiles.
pub struct DirectTransaction {
    card: Box<dyn SimCard>,
    atr: Vec<u8>,
}

impl DirectTransaction {
    /// Wraps `card` (as it is: no reset).
    pub fn new(card: Box<dyn SimCard>) -> Self {
        let atr = card.atr();
        DirectTransaction { card, atr }
    }

    /// The card, e.g. to reset it between two steps of a test.
    pub fn card_mut(&mut self) -> &mut dyn SimCard {
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

/// READ BINARY over `content` from `offset`, at most `le` bytes (0 or none: 256). An offset
/// at or past the end answers `6B 00` (wrong parameters P1-P2).
fn read_slice(content: &[u8], offset: usize, le: Option<u8>) -> Response {
    if offset >= content.len() {
        return Response::status_only(StatusWord::Other(0x6B00));
    }
    let max = match le {
        None | Some(0) => 256,
        Some(n) => n as usize,
    };
    let end = content.len().min(offset + max);
    Response::new(content[offset..end].to_vec(), StatusWord::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_slice_bounds() {
        let content: Vec<u8> = (0..=255u8).chain(0..44).collect();
        assert_eq!(read_slice(&content, 0, Some(0)).data().len(), 256);
        assert_eq!(
            read_slice(&content, 256, None).data(),
            &(0..44).collect::<Vec<u8>>()[..]
        );
        assert_eq!(read_slice(&content, 290, Some(4)).data(), &[34, 35, 36, 37]);
        assert_eq!(
            read_slice(&content, 300, None).status(),
            StatusWord::Other(0x6B00)
        );
        assert_eq!(read_slice(&[], 0, None).status(), StatusWord::Other(0x6B00));
    }
}
