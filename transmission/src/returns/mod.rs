//! The returns: reading the practitioner's mailbox ([`fetch`]), reading each mail
//! ([`mail`]) and applying what it carries ([`apply`]) to the billing store.

pub mod apply;
pub mod fetch;
pub mod mail;
