//! The card layer of Passerelle: [`apdu`] (commands, responses, status words),
//! [`transport`] (the reader traits every card profile is written against, and the PC/SC
//! backend), and the card profiles: plain code over
//! [`CardTransaction`](crate::transport::CardTransaction) (select, read, parse TLV, map
//! status words). No async runtime, no HTTP, no SQL: the daemon runs these on its reader
//! threads, the simulator crate answers them in tests.
//!
//! [`layout`] is the one place that says which bytes are public facts and which are
//! modelled; [`commands`] builds the APDUs from it; [`identify()`](fn@identify) tells the card kind;
//! [`read_vitale`] and [`read_cpx`] read the cards into the wire types of
//! [`passerelle_protocol::cards`], failing with a [`CardError`] (NIR keys are checked by [`passerelle_protocol::nir`]);
//! [`pin`] verifies and unblocks the CPx PIN; [`sign`] signs with the CPS and checks the
//! signature against the card's certificate.

#![forbid(unsafe_code)]

pub mod apdu;
pub mod atr;
pub mod commands;
pub mod cps;
pub mod error;
pub mod identify;
mod io;
pub mod layout;
pub mod pin;
pub mod sign;
pub mod tlv;
pub mod transport;
pub mod vitale;
pub mod vitale_auth;

pub use atr::{family, CardFamily};
pub use cps::{billing_key, read_certificate, read_cpx, KeyUse};
pub use error::CardError;
pub use identify::identify;
pub use pin::{pin_status, unblock_pin, verify_pin, PinEntry, PinState, Verified};
pub use sign::{check_signature, sign_digest};
pub use tlv::{Tlv, TlvError};
pub use vitale::read_vitale;

#[cfg(test)]
pub(crate) mod test_support;
