//! A simulated card answering as a T=0 card does (ISO 7816-3 and 7816-4), whatever card it
//! wraps.
//!
//! Over T=0 the card never sees the Le of a command that also carries data (case 4): it
//! answers `61 xx` ("xx bytes are waiting") and the application fetches them with GET
//! RESPONSE (`00 C0 00 00 xx`). A command with Le only (case 2) whose Le is not the
//! length the card has is answered `6C xx` ("send it again with Le = xx"), without data.
//! pcsc-lite passes those status words to the application as they are, so the card I/O
//! must handle them (`passerelle_cards` does, in its `io` module).
//!
//! This card also hands out what is waiting in blocks of at most [`BLOCK`] bytes, as cards
//! with a small I/O buffer do: a 256-byte signature comes in two GET RESPONSE, the first
//! answered `61 80` again. By default the simulated cards answer whole (as a T=1 card, or
//! a reader that fetches the data itself, does); `passerelle simcard --t0` or a card spec
//! ending in `+t0` wraps them in this.

use passerelle_cards::apdu::{Command, Response, StatusWord};
use passerelle_cards::layout::{ins::GET_RESPONSE, CLA};

use super::SimCard;

/// Most bytes one GET RESPONSE hands out.
pub const BLOCK: usize = 0x80;

/// A [`SimCard`] answering over T=0.
pub struct T0Card {
    inner: Box<dyn SimCard>,
    /// Data of the last command, waiting for GET RESPONSE.
    waiting: Vec<u8>,
}

impl T0Card {
    /// `inner`, answering over T=0.
    pub fn new(inner: Box<dyn SimCard>) -> Self {
        T0Card {
            inner,
            waiting: Vec::new(),
        }
    }

    fn get_response(&mut self, le: Option<u8>) -> Vec<u8> {
        if self.waiting.is_empty() {
            return Response::status_only(StatusWord::ConditionsNotSatisfied).to_bytes();
        }
        let available = self.waiting.len().min(BLOCK);
        let asked = length(le);
        if asked > available {
            return wrong_length(available);
        }
        let data: Vec<u8> = self.waiting.drain(..asked).collect();
        let status = match self.waiting.len() {
            0 => StatusWord::Success,
            left => StatusWord::MoreData(left.min(BLOCK) as u8),
        };
        Response::new(data, status).to_bytes()
    }
}

impl SimCard for T0Card {
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }

    fn reset(&mut self) {
        self.waiting.clear();
        self.inner.reset();
    }

    fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        let command = Command::parse(bytes);
        if let Some(c) = &command {
            if c.cla == CLA && c.ins == GET_RESPONSE && c.data.is_empty() {
                return self.get_response(c.le);
            }
        }
        // Any other command drops what was waiting (ISO 7816-4).
        self.waiting.clear();
        let answer = self.inner.process(bytes);
        let (Some(command), Some(response)) = (command, Response::parse(&answer)) else {
            return answer;
        };
        if response.data().is_empty() || !response.is_success() {
            return answer;
        }
        match (command.data.is_empty(), command.le) {
            // Case 2: Le went to the card as P3; it must be the exact length.
            (true, Some(le)) if length(Some(le)) != response.data().len() => {
                wrong_length(response.data().len())
            }
            (true, Some(_)) => answer,
            // Case 4 (or an answer nobody asked for): the data waits for GET RESPONSE.
            _ => {
                self.waiting = response.data().to_vec();
                let first = self.waiting.len().min(BLOCK);
                Response::status_only(StatusWord::MoreData(first as u8)).to_bytes()
            }
        }
    }
}

/// Le as a length: absent or `00` means 256.
fn length(le: Option<u8>) -> usize {
    match le {
        None | Some(0) => 256,
        Some(n) => n as usize,
    }
}

/// `6C xx`: send again with Le = `len` (256 is written `00`).
fn wrong_length(len: usize) -> Vec<u8> {
    vec![0x6C, (len % 256) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::card_from_spec;
    use passerelle_cards::commands;

    fn t0(spec: &str) -> T0Card {
        T0Card::new(card_from_spec(spec).unwrap())
    }

    fn sw(bytes: &[u8]) -> [u8; 2] {
        [bytes[bytes.len() - 2], bytes[bytes.len() - 1]]
    }

    #[test]
    fn a_short_read_with_le_256_is_answered_6c_then_whole() {
        let mut card = t0("vitale:nguyen");
        assert_eq!(
            sw(&card.process(&commands::select_mf().to_bytes())),
            [0x90, 0]
        );
        let first = card.process(&commands::read_binary_sfi(2, 0).to_bytes());
        assert_eq!(first.len(), 2, "no data with 6C");
        assert_eq!(first[0], 0x6C);
        let mut again = commands::read_binary_sfi(2, 0);
        again.le = Some(first[1]);
        let whole = card.process(&again.to_bytes());
        assert_eq!(sw(&whole), [0x90, 0]);
        assert_eq!(whole.len() - 2, first[1] as usize);
    }

    #[test]
    fn a_signature_comes_through_chained_get_response() {
        let mut card = t0("cps:durand-sage-femme");
        let mut plain = card_from_spec("cps:durand-sage-femme").unwrap();
        let setup = [
            commands::select_aid(&passerelle_cards::layout::cps::AID_IAS),
            commands::verify(b"4729"),
            commands::mse_set_signature(),
        ];
        for c in &setup {
            assert_eq!(sw(&card.process(&c.to_bytes())), [0x90, 0]);
            plain.process(&c.to_bytes());
        }
        let pso = commands::pso_compute_signature(&[7; 32]);
        let expected = plain.process(&pso.to_bytes());
        assert_eq!(card.process(&pso.to_bytes()), vec![0x61, 0x80]);
        let get = |le: u8| Command::new(0, GET_RESPONSE, 0, 0).le(le).to_bytes();
        // Asking more than the block: 6C with the block's length.
        assert_eq!(card.process(&get(0)), vec![0x6C, 0x80]);
        let one = card.process(&get(0x80));
        assert_eq!(sw(&one), [0x61, 0x80]);
        let two = card.process(&get(0x80));
        assert_eq!(sw(&two), [0x90, 0x00]);
        let mut joined = one[..0x80].to_vec();
        joined.extend_from_slice(&two[..0x80]);
        assert_eq!(joined, expected[..256]);
        // Nothing left.
        assert_eq!(sw(&card.process(&get(0x10))), [0x69, 0x85]);
    }

    #[test]
    fn status_words_without_data_pass_through() {
        let mut card = t0("cps:durand-sage-femme");
        let mut plain = card_from_spec("cps:durand-sage-femme").unwrap();
        for c in [
            commands::select_aid(&passerelle_cards::layout::cps::AID_IAS),
            commands::verify_status(),
            commands::select_path(&[0xD1, 0x2F]),
        ] {
            assert_eq!(card.process(&c.to_bytes()), plain.process(&c.to_bytes()));
        }
    }
}
