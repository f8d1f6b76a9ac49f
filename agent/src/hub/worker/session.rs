//! The worker thread's side: the connection kept between jobs, and the transaction a job
//! talks to, which writes each command on the job's clock and stops a job nobody waits for.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use passerelle_cards::transport::{
    CardConnection, CardTransaction, PinPadVerify, ReaderBackend, TransportError,
};

use super::ticket::{lock, Deadlines, Exchange, Queue, Ticket};

/// A job as the worker thread runs it.
pub(super) type Job = Box<dyn FnOnce(&mut Session, &Ticket) + Send>;

/// Runs one job on the worker thread, unless it was cancelled while it waited. The job
/// is the holder while it runs; a panicking job does not end the thread (its reply sender
/// is dropped, the caller gets an error, and the connection is reopened).
pub(super) fn run_ticket(
    queue: &Mutex<Queue>,
    session: &mut Session,
    ticket: &Arc<Ticket>,
    job: Job,
) {
    {
        let mut queue = lock(queue);
        queue.waiting.retain(|t| !Arc::ptr_eq(t, ticket));
        if ticket.cancelled() {
            return;
        }
        queue.holder = Some(ticket.clone());
        ticket.start();
    }
    let run = std::panic::AssertUnwindSafe(|| job(session, ticket));
    if std::panic::catch_unwind(run).is_err() {
        tracing::error!(reader = %session.reader, "a card job panicked");
        session.connection = None;
    }
    lock(queue).holder = None;
}

/// Called after the card was reset (a job cut short): what was known of the card, its
/// verified PIN first, is no longer true.
pub type ResetHook = Arc<dyn Fn() + Send + Sync>;

/// The worker thread's state.
pub(super) struct Session {
    pub(super) backend: Arc<dyn ReaderBackend>,
    pub(super) reader: String,
    pub(super) connection: Option<Box<dyn CardConnection>>,
    pub(super) deadlines: Deadlines,
    pub(super) on_reset: ResetHook,
}

impl Session {
    /// Runs `job` inside one transaction. A job abandoned on the way (cancelled, or past its
    /// deadline) is stopped before its next command and the card is reset, unless it went
    /// away meanwhile; a job whose commands lost the connection drops it (leaving the card
    /// as it is).
    pub(super) fn run<R>(
        &mut self,
        ticket: &Ticket,
        job: impl FnOnce(&mut dyn CardTransaction) -> R,
    ) -> Result<R, TransportError> {
        if self.connection.is_none() {
            self.connection = Some(self.backend.connect(&self.reader)?);
        }
        let connection = self.connection.as_mut().expect("connected above");
        let outcome = match connection.transaction() {
            Ok(transaction) => {
                let mut tracked = Tracked {
                    inner: transaction,
                    ticket,
                    deadlines: self.deadlines,
                    lost: None,
                };
                let result = job(&mut tracked);
                match tracked.lost {
                    None => Ok(result),
                    Some(lost) => Err(lost),
                }
            }
            Err(e) => Err(e),
        };
        let overran = ticket.clock().overdue(Instant::now(), self.deadlines);
        // The card (or the reader) went away: nothing to reset, the connection is dropped.
        let gone = outcome.as_ref().is_err_and(|e| {
            e.connection_lost()
                && !matches!(e, TransportError::Interrupted | TransportError::Timeout)
        });
        if !gone && (ticket.abandoned() || overran) {
            self.reset();
        } else if outcome.as_ref().is_err_and(TransportError::connection_lost) {
            self.connection = None;
        }
        outcome
    }

    /// Closes the connection resetting the card, and says so to the hub.
    pub(super) fn reset(&mut self) {
        if let Some(connection) = self.connection.take() {
            tracing::info!(reader = %self.reader, "card job cut short: the card is reset");
            connection.reset();
            (self.on_reset)();
        }
    }
}

/// The job's transaction: every command is timed on the job's clock, and a job cancelled
/// or past its deadline gets an error instead of sending anything more. Remembers whether
/// the connection was lost, whatever the job made of the error.
struct Tracked<'a> {
    inner: Box<dyn CardTransaction + 'a>,
    ticket: &'a Ticket,
    deadlines: Deadlines,
    lost: Option<TransportError>,
}

impl Tracked<'_> {
    /// Whether the job may send another command.
    fn may_go_on(&mut self) -> Result<(), TransportError> {
        let stop = if self.ticket.cancelled() {
            Some(TransportError::Interrupted)
        } else if self.ticket.abandoned()
            || self.ticket.clock().overdue(Instant::now(), self.deadlines)
        {
            Some(TransportError::Timeout)
        } else {
            None
        };
        match stop {
            Some(e) => Err(self.note(e)),
            None => Ok(()),
        }
    }

    fn note(&mut self, e: TransportError) -> TransportError {
        if e.connection_lost() && self.lost.is_none() {
            self.lost = Some(e.clone());
        }
        e
    }

    /// Runs `exchange` timed as `what` on the job's clock.
    fn timed<T>(
        &mut self,
        what: Exchange,
        exchange: impl FnOnce(&mut dyn CardTransaction) -> Result<T, TransportError>,
    ) -> Result<T, TransportError> {
        self.may_go_on()?;
        self.ticket.begin(what);
        let result = exchange(self.inner.as_mut());
        self.ticket.end();
        result.map_err(|e| self.note(e))
    }
}

impl CardTransaction for Tracked<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.timed(Exchange::Apdu, |tx| tx.transmit(command))
    }

    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }

    fn has_pin_pad(&mut self) -> bool {
        self.timed(Exchange::Apdu, |tx| Ok(tx.has_pin_pad()))
            .unwrap_or(false)
    }

    fn verify_on_pin_pad(
        &mut self,
        template: &[u8],
        pin_len: u8,
    ) -> Result<PinPadVerify, TransportError> {
        self.timed(Exchange::PinPad, |tx| {
            tx.verify_on_pin_pad(template, pin_len)
        })
    }
}
