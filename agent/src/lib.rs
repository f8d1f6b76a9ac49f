//! The Passerelle daemon, as a library so every layer can be tested alone.
//!
//! Layers, bottom up: [`transport`] (PC/SC and the in-process simulator behind one trait,
//! one worker thread per reader) → [`cards`] (card profiles over APDUs) → [`hub`] (reader
//! state and card events) → [`service`] (card operations across readers) → [`api`] (axum
//! over rustls). [`sim`] is the card simulator used
//! in-process and behind vpcd. See ARCHITECTURE.md for the codemap.

#![forbid(unsafe_code)]

pub mod apdu;
pub mod api;
pub mod audit;
pub mod billing;
pub mod cards;
pub mod config;
pub mod daemon;
pub mod doctor;
pub mod events;
pub mod files;
pub mod hub;
pub mod installation;
pub mod local;
pub mod logging;
pub mod pairing;
pub mod rights;
pub mod service;
pub mod sim;
pub mod store;
pub mod tls;
pub mod transport;
