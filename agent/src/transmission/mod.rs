//! Lot transmission in the daemon, over `passerelle-transmission` and the billing store:
//! the outbox worker, the returns fetcher (IMAP), the deadline watch ([`deadlines`]: send-by
//! dates, ARL not received in time) and the daily emission ([`schedule`]). Their events go on the event bus; the API and the CLI queue lots through
//! [`Transmission::queue`] and friends, which wake the worker.

pub mod deadlines;
pub mod schedule;

use std::path::PathBuf;
use std::sync::Arc;

use passerelle_billing::{Billing, Clock, ShiftedClock};
use passerelle_installation::config::{Config, TransmissionConfig};
use passerelle_transmission::lot_message;
use passerelle_transmission::returns::fetch::Inbox;
use passerelle_transmission::settings::Passwords;
use passerelle_transmission::worker::Outbox;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::events::EventBus;

/// What the daemon needs to transmit lots.
pub struct Transmission {
    /// Woken when an attempt is queued or the clock moves.
    pub wake: Arc<Notify>,
    /// The mailbox passwords (`{data_dir}/mail/`).
    pub passwords: Passwords,
    /// `[transmission]`.
    pub config: TransmissionConfig,
    /// The organism directory file.
    pub organisms_file: PathBuf,
    /// The private authority for the mail servers (PEM), if configured.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// The billing clock.
    pub clock: Arc<dyn Clock>,
    /// The same clock when tests may move it (`simulator.movable_clock`).
    pub movable: Option<Arc<ShiftedClock>>,
}

impl Transmission {
    /// Reads what `config` says (the private authority file must be readable).
    pub fn new(
        config: &Config,
        clock: Arc<dyn Clock>,
        movable: Option<Arc<ShiftedClock>>,
    ) -> std::io::Result<Transmission> {
        let ca = &config.transmission.ca_file;
        let extra_ca_pem = match ca.as_os_str().is_empty() {
            true => None,
            false => Some(std::fs::read(ca).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("transmission.ca_file {} : {e}", ca.display()),
                )
            })?),
        };
        Ok(Transmission {
            wake: Arc::new(Notify::new()),
            passwords: Passwords::in_dir(&config.data_dir()),
            config: config.transmission.clone(),
            organisms_file: config.organisms_file(),
            extra_ca_pem,
            clock,
            movable,
        })
    }

    /// Starts the outbox worker and the deadline watch.
    pub fn start(&self, billing: Arc<Billing>, events: Arc<EventBus>) -> Vec<JoinHandle<()>> {
        let sink_events = events.clone();
        let worker = Outbox {
            billing: billing.clone(),
            clock: self.clock.clone(),
            organisms_file: self.organisms_file.clone(),
            passwords: self.passwords.clone(),
            extra_ca_pem: self.extra_ca_pem.clone(),
            mode: lot_message::mode(self.config.mode),
            wake: self.wake.clone(),
            events: Arc::new(move |kind| {
                sink_events.publish(kind);
            }),
        };
        let inbox_events = events.clone();
        let inbox = Inbox {
            billing: billing.clone(),
            clock: self.clock.clone(),
            passwords: self.passwords.clone(),
            extra_ca_pem: self.extra_ca_pem.clone(),
            organisms_file: self.organisms_file.clone(),
            poll_interval: std::time::Duration::from_secs(self.config.imap_poll_seconds),
            wake: self.wake.clone(),
            events: Arc::new(move |kind| {
                inbox_events.publish(kind);
            }),
        };
        let watch = deadlines::Watch {
            billing,
            clock: self.clock.clone(),
            warning_days: self.config.deadline_warning_days,
            wake: self.wake.clone(),
            events,
        };
        vec![
            tokio::spawn(worker.run()),
            tokio::spawn(watch.run()),
            tokio::spawn(inbox.run()),
        ]
    }

    /// Tells the worker (and the watches) to look again now.
    pub fn nudge(&self) {
        self.wake.notify_waiters();
        self.wake.notify_one();
    }
}
