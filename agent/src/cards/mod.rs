//! Card profiles: plain code over [`CardTransaction`](crate::transport::CardTransaction)
//! (select, read, parse TLV, map status words). They know nothing of HTTP or SQL.
//!
//! [`layout`] is the one place that says which bytes are public facts and which are
//! modelled; [`commands`] builds the APDUs from it; [`identify()`](fn@identify) tells the card kind.

pub mod atr;
pub mod commands;
pub mod identify;
pub mod layout;
pub mod tlv;

pub use atr::{family, CardFamily};
pub use identify::identify;
pub use tlv::{Tlv, TlvError};
