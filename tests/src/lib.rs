//! End-to-end test rig of Passerelle: the real daemon binary, a real pcscd with the vpcd
//! virtual-reader driver, simulated cards connected to it, and real TLS.
//!
//! - [`PcscdRig`]: a private pcscd for one test at a time (machine-wide lock).
//! - [`Simcard`]: a `passerelle simcard` process plugged into a vpcd slot.
//! - [`Daemon`]: a `passerelle run` process with its own data dir, port and CA.
//! - [`pairing`]: `Daemon::pair_local` (the real `passerelle pair` CLI) and `Daemon::cli`.
//! - [`SseClient`]: reads `GET /v1/events` one event at a time, with timeouts.
//! - [`TwoCards`]: pcscd, the daemon and a Vitale + a CPx card, all seen: the usual set-up.
//! - [`mail::MailRig`]: a real Postfix + Dovecot on loopback (lot transmission), and
//!   [`organism`], a test organism reading its mailbox and decrypting with `openssl cms`;
//!   [`organism_pj`], its reading of PJ lots (SCOR attachments), and
//!   [`organism_answers`], its ARL, ARL PJ and NOEMIE mails.
//! - [`TestDir`]: where a test's logs go (`tests/artifacts/<test>/`), printed on failure.
//!
//! Every wait has a deadline; nothing sleeps a fixed time to decide an outcome.

#![forbid(unsafe_code)]

pub mod bench;
pub mod daemon;
pub mod mail;
pub mod net;
pub mod organism;
pub mod organism_answers;
pub mod organism_pj;
pub mod pairing;
pub mod paths;
pub mod pcscd;
pub mod proc;
pub mod simcard;
pub mod sse;
pub mod two_cards;
pub mod wait;

pub use daemon::{Backend, Daemon, Launcher};
pub use paths::{passerelle_bin, TestDir};
pub use pcscd::{PcscdRig, READER_0, READER_1, READER_B, VPCD_PORT_0, VPCD_PORT_1, VPCD_PORT_B};
pub use simcard::Simcard;
pub use sse::{describe, Resume, SseClient, SseEvent};
pub use two_cards::TwoCards;
pub use wait::{poll_until, Deadline};

/// Result type of the rig: errors are plain messages meant for a test failure.
pub type Result<T> = std::result::Result<T, String>;

/// ATR of the simulated Carte Vitale, as the API writes it.
pub const VITALE_ATR: &str = "3B 75 13 00 00 47 09 EA 90 00";
/// ATR of the simulated CPS3 card, as the API writes it.
pub const CPS_ATR: &str = "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00";

/// Whether the developer asked for chatty logs (`PASSERELLE_TEST_VERBOSE=1`).
pub fn verbose() -> bool {
    std::env::var("PASSERELLE_TEST_VERBOSE").is_ok_and(|v| v == "1")
}
