//! What comes back after a lot is sent, and what to print when it never arrives: pure
//! functions over bytes, no I/O, no clock.
//!
//! - [`noemie`]: NOEMIE return files (RSP: paiement, rejet, signalement), parser and writer,
//!   plain or gzip-compressed.
//! - [`arl`]: the organism's logical acknowledgement of a lot, positive or negative.
//! - [`paper`]: the paper duplicate (PDF, pdf-writer) of a lot that failed twice.
//! - [`types`] and [`nir`]: the values they share, checked when they are made.
//!
//! The NOEMIE and ARL byte layouts are restricted; both modules **model** them on public
//! facts and say, zone by zone, what is public and what is modelled. Amounts are integer
//! cents.

pub mod arl;
pub mod nir;
pub mod noemie;
pub mod paper;
pub mod types;
