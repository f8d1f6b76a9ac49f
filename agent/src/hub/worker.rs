//! One worker thread per reader: it owns the reader's card connection and runs card jobs
//! one at a time, in the order they arrive.
//!
//! The job channel *is* the arbitration queue: two clients asking for the same reader are
//! served one after the other, never interleaved inside a card transaction. Each job runs
//! inside one transaction on the worker thread, so a transaction never crosses an `.await`.
//! The connection is kept between jobs (a verified PIN survives) and dropped, leaving the
//! card as it is, when the card goes away or a transmit says the connection is lost.
//!
//! **A card that does not answer.** A PC/SC `transmit` blocked on a mute card cannot be
//! cut short from another thread: pcsc-lite's `SCardCancel` only ends a
//! `SCardGetStatusChange`, a call on the blocked context (`SCardDisconnect`,
//! `SCardReleaseContext`) waits for that context's lock while holding the library's global
//! one (every other PC/SC call of the process would then hang), and pcscd itself holds the
//! reader's lock during the driver's exchange, so another context's reset waits for it too.
//! So the deadlines ([`Deadlines`]) are kept from outside the thread: the caller gets
//! [`TransportError::Timeout`] at the deadline, the reader is
//! [`ReaderWorker::unresponsive`] (new jobs are answered at once, waiting ones leave the
//! queue), and the thread stays in its `transmit` until the reader's driver gives up or the
//! card is pulled out; then the job stops before its next command and the card, if still
//! there, is reset (`SCARD_RESET_CARD`). A cancelled running job ends the same way. Other
//! readers, with their own threads and contexts, are not held.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use passerelle_protocol::{CardJob, ReaderQueue};
use tokio::sync::oneshot;

use passerelle_cards::transport::{CardTransaction, ReaderBackend, TransportError};

mod session;
mod ticket;

pub use session::ResetHook;
use session::{run_ticket, Job, Session};
pub use ticket::Deadlines;
use ticket::{lock, Queue, Ticket};

enum Message {
    Job(Arc<Ticket>, Job),
    /// The card left: drop the connection.
    Forget,
}

/// What a job says about itself in the reader's queue.
#[derive(Debug, Clone)]
pub struct JobLabel {
    /// What it does (`read_vitale`, `verify_pin`...).
    pub operation: &'static str,
    /// Who asked (origin or client name), when known.
    pub client: Option<String>,
}

impl JobLabel {
    /// A job of the daemon itself (no client).
    pub fn internal(operation: &'static str) -> Self {
        JobLabel {
            operation,
            client: None,
        }
    }
}

/// Ids of jobs, unique for the process.
static NEXT_JOB_ID: AtomicU64 = AtomicU64::new(1);

/// Handle to a reader's worker thread. Dropping it ends the thread once queued jobs ran.
pub struct ReaderWorker {
    reader: String,
    jobs: mpsc::Sender<Message>,
    queue: Arc<Mutex<Queue>>,
    deadlines: Deadlines,
}

impl ReaderWorker {
    /// Starts the worker thread of `reader`, with the default deadlines.
    pub fn spawn(backend: Arc<dyn ReaderBackend>, reader: String) -> std::io::Result<Self> {
        Self::spawn_with(backend, reader, Deadlines::default(), Arc::new(|| {}))
    }

    /// Starts the worker thread of `reader`: jobs overrunning `deadlines` are answered
    /// [`TransportError::Timeout`]; `on_reset` is called after the card was reset.
    pub fn spawn_with(
        backend: Arc<dyn ReaderBackend>,
        reader: String,
        deadlines: Deadlines,
        on_reset: ResetHook,
    ) -> std::io::Result<Self> {
        let (jobs, inbox) = mpsc::channel::<Message>();
        let mut session = Session {
            backend,
            reader: reader.clone(),
            connection: None,
            deadlines,
            on_reset,
        };
        let queue = Arc::new(Mutex::new(Queue::default()));
        let thread_queue = queue.clone();
        std::thread::Builder::new()
            .name(format!("reader:{reader}"))
            .spawn(move || {
                for message in inbox {
                    match message {
                        Message::Job(ticket, job) => {
                            run_ticket(&thread_queue, &mut session, &ticket, job)
                        }
                        Message::Forget => session.connection = None,
                    }
                }
            })?;
        Ok(ReaderWorker {
            reader,
            jobs,
            queue,
            deadlines,
        })
    }

    /// The reader this worker serves.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Jobs running or waiting.
    pub fn pending(&self) -> usize {
        let queue = lock(&self.queue);
        queue.waiting.len() + usize::from(queue.holder.is_some())
    }

    /// The job holding the card and the jobs waiting, oldest first.
    pub fn queue(&self) -> ReaderQueue {
        let queue = lock(&self.queue);
        ReaderQueue {
            holder: queue.holder.as_ref().map(|t| t.job.clone()),
            waiting: queue.waiting.iter().map(|t| t.job.clone()).collect(),
        }
    }

    /// True when the job holding the card overran its deadline: the card does not answer
    /// (until its command ends, or the card is pulled out).
    pub fn unresponsive(&self) -> bool {
        let now = Instant::now();
        lock(&self.queue)
            .holder
            .as_ref()
            .is_some_and(|t| t.clock().overdue(now, self.deadlines))
    }

    /// Cancels the job `id`. Waiting, it will not run and its caller gets
    /// [`TransportError::Cancelled`]; holding the card, its caller gets
    /// [`TransportError::Interrupted`] at once, and the job stops before its next command,
    /// the card then reset. False if no such job waits or runs.
    pub fn cancel(&self, id: u64) -> bool {
        let mut queue = lock(&self.queue);
        if let Some(index) = queue.waiting.iter().position(|t| t.job.id == id) {
            if let Some(ticket) = queue.waiting.remove(index) {
                ticket.cancel();
            }
            return true;
        }
        match &queue.holder {
            Some(holder) if holder.job.id == id => {
                holder.cancel();
                true
            }
            _ => false,
        }
    }

    /// Drops the card connection (the card was removed); queued jobs reconnect.
    pub fn forget_card(&self) {
        let _ = self.jobs.send(Message::Forget);
    }

    /// Runs `job` inside one card transaction on the worker thread, after the jobs queued
    /// before it, and returns its result. If the returned future is dropped before the job
    /// starts (the client went away), the job is cancelled; once started, it runs on.
    ///
    /// Errors: the reader has no card, the service is down, the card left during the job
    /// (the job's own transmit errors are also reported to it, and the connection is
    /// dropped after a job that saw one), the job was cancelled, or the card did not answer
    /// within the deadlines (also at once when the reader is [`Self::unresponsive`]).
    pub async fn run<R, F>(&self, label: JobLabel, job: F) -> Result<R, TransportError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn CardTransaction) -> R + Send + 'static,
    {
        if self.unresponsive() {
            return Err(TransportError::Timeout);
        }
        let (reply, answer) = oneshot::channel();
        let ticket = Arc::new(Ticket::new(CardJob {
            id: NEXT_JOB_ID.fetch_add(1, Ordering::Relaxed),
            operation: label.operation.to_owned(),
            client: label.client,
            queued_at_ms: now_ms(),
        }));
        let queue = self.queue.clone();
        let boxed: Job = Box::new(move |session: &mut Session, ticket: &Ticket| {
            let result = session.run(ticket, job);
            // Off the queue before the caller hears back.
            lock(&queue).holder = None;
            let _ = reply.send(result);
        });
        lock(&self.queue).waiting.push_back(ticket.clone());
        let _cancel_if_dropped = CancelOnDrop(self.queue.clone(), ticket.clone());
        if self.jobs.send(Message::Job(ticket.clone(), boxed)).is_err() {
            self.cancel(ticket.job.id);
            return Err(TransportError::ReaderNotFound);
        }
        self.answer(&ticket, answer).await
    }

    /// Waits for the job's answer, its cancellation, or a deadline: its own once it holds
    /// the card, the holder's while it waits (behind a card that does not answer, it leaves
    /// the queue).
    async fn answer<R>(
        &self,
        ticket: &Arc<Ticket>,
        mut answer: oneshot::Receiver<Result<R, TransportError>>,
    ) -> Result<R, TransportError> {
        loop {
            let check = self.next_check();
            tokio::select! {
                result = &mut answer => return match result {
                    Ok(result) => result,
                    Err(_) if ticket.cancelled() => Err(TransportError::Cancelled),
                    // No answer: the job panicked (logged), or the reader went away.
                    Err(_) => Err(TransportError::Failure("card job aborted".into())),
                },
                _ = ticket.cancel_signal.notified() => {
                    return Err(match ticket.clock().started() {
                        true => TransportError::Interrupted,
                        false => TransportError::Cancelled,
                    })
                }
                _ = tokio::time::sleep_until(check.into()) => {
                    if self.overran(ticket) {
                        return Err(TransportError::Timeout);
                    }
                }
            }
        }
    }

    /// When a deadline may pass next: the holder's, or the soonest any command begun from
    /// now could overrun.
    fn next_check(&self) -> Instant {
        let soonest = Instant::now() + self.deadlines.apdu.min(self.deadlines.job);
        let queue = lock(&self.queue);
        let holder = queue
            .holder
            .as_ref()
            .and_then(|t| t.clock().deadline(self.deadlines));
        holder.map_or(soonest, |at| at.min(soonest))
    }

    /// True when the holder overran its deadline; then `ticket`, if it is the holder, is
    /// marked timed out (it stops before its next command), and if it waits, it leaves
    /// the queue.
    fn overran(&self, ticket: &Arc<Ticket>) -> bool {
        let now = Instant::now();
        let mut queue = lock(&self.queue);
        let Some(holder) = queue.holder.clone() else {
            return false;
        };
        if !holder.clock().overdue(now, self.deadlines) {
            return false;
        }
        if Arc::ptr_eq(&holder, ticket) {
            ticket.time_out();
        } else {
            queue.waiting.retain(|t| !Arc::ptr_eq(t, ticket));
            ticket.cancel();
        }
        true
    }
}

/// Cancels a job when its caller stops waiting before it started (and takes it off the
/// visible queue); a job already running runs on.
struct CancelOnDrop(Arc<Mutex<Queue>>, Arc<Ticket>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let mut queue = lock(&self.0);
        if let Some(index) = queue.waiting.iter().position(|t| Arc::ptr_eq(t, &self.1)) {
            queue.waiting.remove(index);
            self.1.cancel();
        }
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) mod deadline_tests;
#[cfg(test)]
mod tests;
