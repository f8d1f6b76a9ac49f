//! Card profiles: plain code over [`CardTransaction`](crate::transport::CardTransaction)
//! (select, read, parse TLV, map status words). They know nothing of HTTP or SQL.

pub mod atr;
pub mod identify;
pub mod layout;
pub mod tlv;
