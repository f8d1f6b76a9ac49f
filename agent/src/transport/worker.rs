//! One worker thread per reader: it owns the reader's card connection and runs card jobs
//! one at a time, in the order they arrive.
//!
//! The job channel *is* the arbitration queue: two clients asking for the same reader are
//! served one after the other, never interleaved inside a card transaction. Each job runs
//! inside one transaction on the worker thread, so a transaction never crosses an `.await`.
//! The connection is kept between jobs (a verified PIN survives) and dropped, leaving the
//! card as it is, when the card goes away or a transmit says the connection is lost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use tokio::sync::oneshot;

use super::{CardConnection, CardTransaction, ReaderBackend, TransportError};

type Job = Box<dyn FnOnce(&mut Session) + Send>;

enum Message {
    Job(Job),
    /// The card left: drop the connection.
    Forget,
}

/// Handle to a reader's worker thread. Dropping it ends the thread once queued jobs ran.
pub struct ReaderWorker {
    reader: String,
    jobs: mpsc::Sender<Message>,
    pending: Arc<AtomicUsize>,
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
        std::thread::Builder::new()
            .name(format!("reader:{reader}"))
            .spawn(move || {
                for message in inbox {
                    match message {
                        // A panicking job must not end the thread: its reply sender is
                        // dropped (the caller gets an error) and the connection is reopened.
                        Message::Job(job) => {
                            let run = std::panic::AssertUnwindSafe(|| job(&mut session));
                            if std::panic::catch_unwind(run).is_err() {
                                tracing::error!(reader = %session.reader, "a card job panicked");
                                session.connection = None;
                            }
                        }
                        Message::Forget => session.connection = None,
                    }
                }
            })?;
        Ok(ReaderWorker {
            reader,
            jobs,
            pending: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// The reader this worker serves.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Jobs queued or running.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::SeqCst)
    }

    /// Drops the card connection (the card was removed); queued jobs reconnect.
    pub fn forget_card(&self) {
        let _ = self.jobs.send(Message::Forget);
    }

    /// Runs `job` inside one card transaction on the worker thread and returns its result.
    ///
    /// Errors: the reader has no card, the service is down, the card left during the job
    /// (the job's own transmit errors are also reported to it, and the connection is
    /// dropped after a job that saw one).
    pub async fn run<R, F>(&self, job: F) -> Result<R, TransportError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn CardTransaction) -> R + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let pending = self.pending.clone();
        pending.fetch_add(1, Ordering::SeqCst);
        let boxed: Job = Box::new(move |session: &mut Session| {
            // Decremented even if the job panics.
            let _done = DecrementOnDrop(pending);
            let result = session.run(job);
            let _ = reply.send(result);
        });
        if self.jobs.send(Message::Job(boxed)).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
            return Err(TransportError::ReaderNotFound);
        }
        // No answer: the job panicked (logged), or the reader went away.
        answer
            .await
            .unwrap_or_else(|_| Err(TransportError::Failure("card job aborted".into())))
    }
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

struct DecrementOnDrop(Arc<AtomicUsize>);

impl Drop for DecrementOnDrop {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::fixtures::card_from_spec;
    use crate::transport::sim::SimBackend;

    #[tokio::test]
    async fn a_panicking_job_does_not_kill_the_reader() {
        let sim = SimBackend::new(vec![(
            "A".into(),
            Some(card_from_spec("vitale:nguyen").unwrap()),
        )]);
        let worker = ReaderWorker::spawn(Arc::new(sim), "A".into()).unwrap();
        let failed = worker
            .run(|_tx| -> u8 { panic!("bug in a card profile") })
            .await;
        assert!(
            matches!(failed, Err(TransportError::Failure(_))),
            "{failed:?}"
        );
        let atr = worker.run(|tx| tx.atr().to_vec()).await.unwrap();
        assert_eq!(atr[0], 0x3B);
        assert_eq!(worker.pending(), 0);
    }

    #[tokio::test]
    async fn jobs_run_one_after_the_other_in_order() {
        let sim = SimBackend::new(vec![(
            "A".into(),
            Some(card_from_spec("cps:lefevre-medecin").unwrap()),
        )]);
        let worker = Arc::new(ReaderWorker::spawn(Arc::new(sim), "A".into()).unwrap());
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let jobs: Vec<_> = (0..20)
            .map(|i| {
                let (worker, log) = (worker.clone(), log.clone());
                tokio::spawn(async move {
                    worker
                        .run(move |_tx| {
                            log.lock().unwrap().push(("start", i));
                            std::thread::sleep(std::time::Duration::from_millis(2));
                            log.lock().unwrap().push(("end", i));
                        })
                        .await
                })
            })
            .collect();
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        let log = log.lock().unwrap();
        // Never interleaved: every start is followed by its own end.
        for pair in log.chunks(2) {
            assert_eq!(
                (pair[0].0, pair[1].0, pair[0].1),
                ("start", "end", pair[1].1)
            );
        }
    }
}
