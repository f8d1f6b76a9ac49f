//! One worker thread per reader: it owns the reader's card connection and runs card jobs
//! one at a time, in the order they arrive.
//!
//! The job channel *is* the arbitration queue: two clients asking for the same reader are
//! served one after the other, never interleaved inside a card transaction. Each job runs
//! inside one transaction on the worker thread, so a transaction never crosses an `.await`.
//! The connection is kept between jobs (a verified PIN survives) and dropped, leaving the
//! card as it is, when the card goes away or a transmit says the connection is lost.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use passerelle_protocol::{CardJob, ReaderQueue};
use tokio::sync::oneshot;

use passerelle_cards::transport::{
    CardConnection, CardTransaction, PinPadVerify, ReaderBackend, TransportError,
};

type Job = Box<dyn FnOnce(&mut Session) + Send>;

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

/// A queued job: its public description and whether it was cancelled before it started.
struct Ticket {
    job: CardJob,
    cancelled: AtomicBool,
    /// Wakes the caller as soon as the job is cancelled (it need not wait its turn).
    cancel_signal: tokio::sync::Notify,
}

/// The queue as clients see it.
#[derive(Default)]
struct Queue {
    holder: Option<CardJob>,
    waiting: VecDeque<Arc<Ticket>>,
}

/// Ids of jobs, unique for the process.
static NEXT_JOB_ID: AtomicU64 = AtomicU64::new(1);

/// Handle to a reader's worker thread. Dropping it ends the thread once queued jobs ran.
pub struct ReaderWorker {
    reader: String,
    jobs: mpsc::Sender<Message>,
    queue: Arc<Mutex<Queue>>,
}

/// The worker thread's state.
struct Session {
    backend: Arc<dyn ReaderBackend>,
    reader: String,
    connection: Option<Box<dyn CardConnection>>,
}

impl ReaderWorker {
    /// Starts the worker thread of `reader`.
    pub fn spawn(backend: Arc<dyn ReaderBackend>, reader: String) -> std::io::Result<Self> {
        let (jobs, inbox) = mpsc::channel::<Message>();
        let mut session = Session {
            backend,
            reader: reader.clone(),
            connection: None,
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
            holder: queue.holder.clone(),
            waiting: queue.waiting.iter().map(|t| t.job.clone()).collect(),
        }
    }

    /// Cancels the waiting job `id`: it will not run, and its caller gets
    /// [`TransportError::Cancelled`]. False if no such job waits (it finished, is running,
    /// or never was): a running card transaction is never cut short.
    pub fn cancel(&self, id: u64) -> bool {
        let mut queue = lock(&self.queue);
        match queue.waiting.iter().position(|t| t.job.id == id) {
            Some(index) => {
                if let Some(ticket) = queue.waiting.remove(index) {
                    ticket.cancelled.store(true, Ordering::SeqCst);
                    ticket.cancel_signal.notify_one();
                }
                true
            }
            None => false,
        }
    }

    /// Drops the card connection (the card was removed); queued jobs reconnect.
    pub fn forget_card(&self) {
        let _ = self.jobs.send(Message::Forget);
    }

    /// Runs `job` inside one card transaction on the worker thread, after the jobs queued
    /// before it, and returns its result. If the returned future is dropped before the job
    /// starts (the client went away), the job is cancelled.
    ///
    /// Errors: the reader has no card, the service is down, the card left during the job
    /// (the job's own transmit errors are also reported to it, and the connection is
    /// dropped after a job that saw one), the job was cancelled.
    pub async fn run<R, F>(&self, label: JobLabel, job: F) -> Result<R, TransportError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn CardTransaction) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let ticket = Arc::new(Ticket {
            job: CardJob {
                id: NEXT_JOB_ID.fetch_add(1, Ordering::Relaxed),
                operation: label.operation.to_owned(),
                client: label.client,
                queued_at_ms: now_ms(),
            },
            cancelled: AtomicBool::new(false),
            cancel_signal: tokio::sync::Notify::new(),
        });
        let queue = self.queue.clone();
        let boxed: Job = Box::new(move |session: &mut Session| {
            let result = session.run(job);
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
        let answer = tokio::select! {
            answer = answer => answer,
            _ = ticket.cancel_signal.notified() => return Err(TransportError::Cancelled),
        };
        match answer {
            Ok(result) => result,
            Err(_) if ticket.cancelled.load(Ordering::SeqCst) => Err(TransportError::Cancelled),
            // No answer: the job panicked (logged), or the reader went away.
            Err(_) => Err(TransportError::Failure("card job aborted".into())),
        }
    }
}

/// Runs one job on the worker thread, unless it was cancelled while it waited. The job
/// is the holder while it runs; a panicking job does not end the thread (its reply sender
/// is dropped, the caller gets an error, and the connection is reopened).
fn run_ticket(queue: &Mutex<Queue>, session: &mut Session, ticket: &Arc<Ticket>, job: Job) {
    {
        let mut queue = lock(queue);
        queue.waiting.retain(|t| !Arc::ptr_eq(t, ticket));
        if ticket.cancelled.load(Ordering::SeqCst) {
            return;
        }
        queue.holder = Some(ticket.job.clone());
    }
    let run = std::panic::AssertUnwindSafe(|| job(session));
    if std::panic::catch_unwind(run).is_err() {
        tracing::error!(reader = %session.reader, "a card job panicked");
        session.connection = None;
    }
    lock(queue).holder = None;
}

/// Cancels a job when its caller stops waiting (and takes it off the visible queue); no
/// effect once it started.
struct CancelOnDrop(Arc<Mutex<Queue>>, Arc<Ticket>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.1.cancelled.store(true, Ordering::SeqCst);
        lock(&self.0).waiting.retain(|t| !Arc::ptr_eq(t, &self.1));
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Session {
    fn run<R>(
        &mut self,
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
        match outcome {
            Ok(result) => Ok(result),
            Err(e) => {
                if e.connection_lost() {
                    self.connection = None;
                }
                Err(e)
            }
        }
    }
}

/// Remembers whether a transmit lost the connection, whatever the job made of the error.
struct Tracked<'a> {
    inner: Box<dyn CardTransaction + 'a>,
    lost: Option<TransportError>,
}

impl CardTransaction for Tracked<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let result = self.inner.transmit(command);
        if let Err(e) = &result {
            if e.connection_lost() && self.lost.is_none() {
                self.lost = Some(e.clone());
            }
        }
        result
    }

    fn atr(&self) -> &[u8] {
        self.inner.atr()
    }

    fn has_pin_pad(&mut self) -> bool {
        self.inner.has_pin_pad()
    }

    fn verify_on_pin_pad(
        &mut self,
        template: &[u8],
        pin_len: u8,
    ) -> Result<PinPadVerify, TransportError> {
        let result = self.inner.verify_on_pin_pad(template, pin_len);
        if let Err(e) = &result {
            if e.connection_lost() && self.lost.is_none() {
                self.lost = Some(e.clone());
            }
        }
        result
    }
}

#[cfg(test)]
mod tests;
