//! The Passerelle daemon, as a library so every layer can be tested alone.
//!
//! The layers below the daemon are crates of their own: `passerelle-cards` (APDUs, the
//! reader transport, the PC/SC backend, the card profiles), `passerelle-billing` (FSE,
//! lots, B2, the store), `passerelle-installation` (places, configuration, TLS authority)
//! and, with the default `simulator` feature, `passerelle-simcard` (simulated cards).
//! Here: [`hub`] (reader state, one worker thread per reader, card events) → [`service`]
//! (card operations across readers) → [`api`] (axum, over rustls on loopback and over the
//! local socket); beside them [`pairing`], [`audit`], [`doctor`] and [`platform`] (what
//! only exists on one OS). See ARCHITECTURE.md for the codemap.

#![forbid(unsafe_code)]

pub mod api;
pub mod audit;
pub mod config;
pub mod daemon;
pub mod doctor;
pub mod events;
pub mod http1;
pub mod hub;
pub mod instance;
pub mod local;
pub mod logging;
pub mod pairing;
pub mod platform;
pub mod rights;
pub mod server;
pub mod service;
pub mod simulator;
pub mod tls_rotation;
pub mod transmission;
