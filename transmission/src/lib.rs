//! Lot transmission: what leaves the workstation, and what comes back.
//!
//! - [`iris`]: the IRIS message of a lot: the compressed B2 in an `application/EDI-consent`
//!   MIME part (with the lot's signature and certificate, modelled), S/MIME-encrypted (CMS
//!   EnvelopedData, RustCrypto `cms`) to the organism's certificate.
//! - [`lot_message`]: that message for a lot of the billing store.
//! - [`organisms`]: the organism directory (régime, caisse, centre → mailbox, certificate).
//! - [`settings`]: the mail settings of a practitioner situation, and the password file.
//! - [`smtp`]: sending with lettre over rustls (STARTTLS or implicit TLS, AUTH), every
//!   failure sorted into temporary or permanent; a login check for `passerelle doctor`.
//! - [`imap`]: reading a mailbox read-only over IMAPS or STARTTLS (the returns).
//! - [`tls`]: the rustls trust for the mail servers (system roots + an optional private CA).
//! - [`worker`]: the outbox worker over the billing store's outbox.
//! - [`returns`]: fetching the returns over IMAP, reading them, applying them.
//!
//! Modelled (the IRIS norm is restricted): the "Z" compression (gzip), the signature and
//! certificate parts, the subject's version and sender fields. No HTTP, no cards: the daemon
//! runs the worker and publishes its events.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod imap;
pub mod iris;
pub mod lot_message;
pub mod organisms;
pub mod pj_message;
pub mod returns;
pub mod settings;
pub mod smtp;
pub mod tls;
pub mod worker;
