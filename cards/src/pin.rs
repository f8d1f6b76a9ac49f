//! The CPx card's PIN: status, verification, unblocking. Layout: [`super::layout::cps`].
//!
//! Rules a practitioner can rely on:
//! - a PIN of the wrong shape is refused before anything is sent to the card;
//! - a blocked card is never sent a VERIFY;
//! - exactly one VERIFY per request: the daemon never retries on its own, whatever happens
//!   (a card pulled out during the VERIFY is reported, not retried);
//! - the PIN lives in zeroizing buffers only ([`PinCode`], the APDU bytes) and never
//!   appears in an error, a log line or a `Debug` output.

use passerelle_protocol::PinCode;
use zeroize::Zeroizing;

use super::cps::select_ias;
use super::error::CardError;
use super::io::{self, byte};
use super::layout::{cps, ins, CLA};
use super::{commands, tlv};
use crate::apdu::{Command, StatusWord};
use crate::transport::{CardTransaction, PinPadVerify};

/// The PIN state of a CPx card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinState {
    /// Tries left.
    pub tries_left: u8,
    /// Tries of a fresh PIN.
    pub tries_max: u8,
    /// The PIN is verified (for this card session).
    pub verified: bool,
}

impl PinState {
    /// No try left.
    pub fn blocked(&self) -> bool {
        self.tries_left == 0
    }
}

/// A successful verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Tries left before it.
    pub tries_before: u8,
    /// Tries left after it (the maximum).
    pub tries_left: u8,
}

/// How the PIN reaches the card.
pub enum PinEntry<'a> {
    /// Typed in the billing application and sent in the VERIFY command.
    Given(&'a PinCode),
    /// Typed on the reader's PIN pad (PC/SC part 10); it never reaches the daemon.
    PinPad,
}

/// The PIN counters and whether the PIN is verified. Costs no try: GET DATA, then VERIFY
/// without data (which only asks the state).
pub fn pin_status(tx: &mut dyn CardTransaction) -> Result<PinState, CardError> {
    select_ias(tx)?;
    let (tries_max, tries_left) = counters(tx)?;
    if tries_left == 0 {
        return Ok(PinState {
            tries_left,
            tries_max,
            verified: false,
        });
    }
    let verified = match io::send(tx, &commands::verify_status())?.status() {
        StatusWord::Success => true,
        StatusWord::WrongPin { .. } => false,
        StatusWord::Blocked => false,
        sw => {
            return Err(CardError::Status {
                command: "VERIFY (état)",
                sw,
            })
        }
    };
    Ok(PinState {
        tries_left,
        tries_max,
        verified,
    })
}

/// Verifies the PIN once. Wrong shape: [`CardError::InvalidPinFormat`] before any APDU.
/// Blocked card: [`CardError::PinBlocked`] without sending VERIFY. Wrong PIN:
/// [`CardError::PinIncorrect`] with the tries before and after (or `PinBlocked` when that
/// try was the last).
pub fn verify_pin(
    tx: &mut dyn CardTransaction,
    entry: PinEntry<'_>,
) -> Result<Verified, CardError> {
    if let PinEntry::Given(pin) = entry {
        check_digits(pin, cps::PIN_LEN, "code PIN")?;
    }
    select_ias(tx)?;
    let (_, tries_before) = counters(tx)?;
    if tries_before == 0 {
        return Err(CardError::PinBlocked);
    }
    let status = match entry {
        PinEntry::Given(pin) => {
            let apdu = verify_apdu(pin.expose().as_bytes());
            io::status_of(&io::transmit(tx, &apdu)?)?
        }
        PinEntry::PinPad => {
            let template = verify_apdu(&[]);
            match tx.verify_on_pin_pad(&template, cps::PIN_LEN as u8)? {
                PinPadVerify::Unsupported => return Err(CardError::SecurePinEntryUnavailable),
                PinPadVerify::Cancelled => return Err(CardError::PinEntryCancelled),
                PinPadVerify::Answered(response) => io::status_of(&response)?,
            }
        }
    };
    match status {
        StatusWord::Success => Ok(Verified {
            tries_before,
            tries_left: cps::PIN_MAX_TRIES,
        }),
        StatusWord::WrongPin { tries_left: 0 } | StatusWord::Blocked => Err(CardError::PinBlocked),
        StatusWord::WrongPin { tries_left } => Err(CardError::PinIncorrect {
            tries_before,
            tries_left,
        }),
        sw => Err(CardError::Status {
            command: "VERIFY",
            sw,
        }),
    }
}

/// Unblocks the card with its 8-digit unblock code and sets `new_pin` (RESET RETRY
/// COUNTER, sent once). The PIN is then not verified: verify it with the new PIN.
pub fn unblock_pin(
    tx: &mut dyn CardTransaction,
    unblock_code: &PinCode,
    new_pin: &PinCode,
) -> Result<(), CardError> {
    check_digits(unblock_code, cps::PUK_LEN, "code de déblocage")?;
    check_digits(new_pin, cps::PIN_LEN, "nouveau code PIN")?;
    select_ias(tx)?;
    let mut data = Zeroizing::new(unblock_code.expose().as_bytes().to_vec());
    data.extend_from_slice(&cps::pin_block(new_pin.expose().as_bytes()));
    let command =
        Command::new(CLA, ins::RESET_RETRY_COUNTER, 0x00, cps::PIN_REF).data(data.to_vec());
    match io::status_of(&io::transmit(tx, &command.to_bytes())?)? {
        StatusWord::Success => Ok(()),
        StatusWord::WrongPin { tries_left } => Err(CardError::UnblockCodeIncorrect { tries_left }),
        StatusWord::Blocked => Err(CardError::UnblockCodeIncorrect { tries_left: 0 }),
        sw => Err(CardError::Status {
            command: "RESET RETRY COUNTER",
            sw,
        }),
    }
}

/// `00 20 00 ref 08 <PIN block>` as bytes that are wiped when dropped; with no digits, the
/// template a PIN pad fills (`FF` padding where the digits go).
fn verify_apdu(digits: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut apdu = Zeroizing::new(vec![CLA, ins::VERIFY, 0x00, cps::PIN_REF]);
    apdu.push(cps::PIN_BLOCK_LEN as u8);
    apdu.extend_from_slice(&cps::pin_block(digits));
    apdu
}

/// GET DATA of the counters: (maximum, left).
fn counters(tx: &mut dyn CardTransaction) -> Result<(u8, u8), CardError> {
    let data = io::expect_ok(
        tx,
        &commands::get_pin_counters(),
        "GET DATA (compteurs PIN)",
    )?;
    let elements = tlv::parse_all(&data).map_err(|_| CardError::Malformed {
        what: "compteurs du code PIN",
    })?;
    let what = "compteurs du code PIN";
    Ok((
        byte(&elements, cps::TAG_TRIES_MAX, what)?,
        byte(&elements, cps::TAG_TRIES_LEFT, what)?,
    ))
}

fn check_digits(code: &PinCode, len: usize, what: &'static str) -> Result<(), CardError> {
    let digits = code.expose();
    match digits.len() == len && digits.bytes().all(|b| b.is_ascii_digit()) {
        true => Ok(()),
        false => Err(CardError::InvalidPinFormat {
            what,
            expected_digits: len as u8,
        }),
    }
}

#[cfg(test)]
mod tests;
