//! Card simulator: a Carte Vitale 2 and CPS3/CPE/CPF cards that answer real APDUs.
//!
//! One implementation, used both in-process (the demo backend, [`crate::transport::sim`])
//! and behind pcscd as a vpcd client ([`vpcd`]), so the tests exercise the real PC/SC stack.
//! The public facts (ATRs, AIDs, free-zone TLV) follow `shared/domain/DOMAIN.md`; everything
//! restricted is modelled, see [`crate::cards::layout`].

pub mod cps;
pub mod fixtures;
pub mod vitale;
pub mod vpcd;

use crate::apdu::{Response, StatusWord};

/// A simulated smart card: an ATR and a function from command APDU to response APDU.
pub trait SimCard: Send {
    /// Answer To Reset.
    fn atr(&self) -> Vec<u8>;
    /// Power cycle or warm reset: the security state (verified PIN) is lost.
    fn reset(&mut self);
    /// Processes one command APDU and returns the response (data + SW1 SW2).
    fn process(&mut self, command: &[u8]) -> Vec<u8>;
}

/// READ BINARY over `content` from `offset`, at most `le` bytes (0 or none: 256).
fn read_slice(content: &[u8], offset: usize, le: Option<u8>) -> Response {
    if offset > content.len() {
        return Response::status_only(StatusWord::Other(0x6B00));
    }
    let max = match le {
        None | Some(0) => 256,
        Some(n) => n as usize,
    };
    let end = content.len().min(offset + max);
    Response::new(content[offset..end].to_vec(), StatusWord::Success)
}
