//! A job in a reader's queue and the clock of its deadlines.
//!
//! The worker thread cannot be interrupted inside a PC/SC `transmit` (pcsc-lite offers no
//! way: see the module [`super`]), so deadlines are watched from outside: the thread only
//! writes down when the job started and when each command began and ended, and whoever
//! looks (the caller waiting for its answer, the next job, `GET /v1/readers`) reads from
//! that clock whether the job overran.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use passerelle_protocol::CardJob;

/// How long a card may take: one command, and one whole job. The time a PIN is typed on
/// the reader's pad counts in neither (the reader has its own timeout for that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// One command (APDU) to the card.
    pub apdu: Duration,
    /// One job (all its commands).
    pub job: Duration,
}

impl Default for Deadlines {
    /// The documented defaults of `readers.apdu_timeout_ms` and `readers.job_timeout_ms`.
    fn default() -> Self {
        Deadlines {
            apdu: Duration::from_secs(5),
            job: Duration::from_secs(30),
        }
    }
}

/// What the worker thread is waiting for, inside a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Exchange {
    /// A command sent to the card.
    Apdu,
    /// The practitioner typing the PIN on the reader's pad.
    PinPad,
}

/// When a job started, and what it waits for now.
#[derive(Debug, Default)]
pub(super) struct JobClock {
    started: Option<Instant>,
    exchange: Option<(Exchange, Instant)>,
    /// Time spent waiting for the practitioner at the PIN pad, not counted.
    paused: Duration,
}

impl JobClock {
    /// The moment the job overruns, as things stand (a command begun later can only end
    /// later); `None` while it waits for the reader or for the practitioner's PIN.
    pub(super) fn deadline(&self, limits: Deadlines) -> Option<Instant> {
        let job_end = self.started? + self.paused + limits.job;
        match self.exchange {
            Some((Exchange::PinPad, _)) => None,
            Some((Exchange::Apdu, since)) => Some(job_end.min(since + limits.apdu)),
            None => Some(job_end),
        }
    }

    /// True when the job has overrun at `now`.
    pub(super) fn overdue(&self, now: Instant, limits: Deadlines) -> bool {
        self.deadline(limits).is_some_and(|at| now >= at)
    }

    /// True once the job started.
    pub(super) fn started(&self) -> bool {
        self.started.is_some()
    }
}

/// A queued job: its public description, its cancellation and its clock.
pub(super) struct Ticket {
    pub(super) job: CardJob,
    /// Set by a cancel: before it started, the job never runs; after, it stops before its
    /// next command and the connection is reset.
    cancelled: AtomicBool,
    /// Set when the caller was answered `card_timeout`: the job stops before its next
    /// command and the connection is reset.
    timed_out: AtomicBool,
    /// Wakes the caller as soon as the job is cancelled (it need not wait its turn).
    pub(super) cancel_signal: tokio::sync::Notify,
    clock: Mutex<JobClock>,
}

impl Ticket {
    /// A new ticket for `job`.
    pub(super) fn new(job: CardJob) -> Self {
        Ticket {
            job,
            cancelled: AtomicBool::new(false),
            timed_out: AtomicBool::new(false),
            cancel_signal: tokio::sync::Notify::new(),
            clock: Mutex::new(JobClock::default()),
        }
    }

    /// Cancels the job and wakes its caller.
    pub(super) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.cancel_signal.notify_one();
    }

    /// True once cancelled.
    pub(super) fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    /// Notes that the caller was told the card did not answer in time.
    pub(super) fn time_out(&self) {
        self.timed_out.store(true, Ordering::SeqCst);
    }

    /// True when nobody waits for this job's result any more (cancelled or timed out):
    /// the job must stop and the connection be reset.
    pub(super) fn abandoned(&self) -> bool {
        self.cancelled() || self.timed_out.load(Ordering::SeqCst)
    }

    /// The job's clock.
    pub(super) fn clock(&self) -> MutexGuard<'_, JobClock> {
        self.clock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The job starts now.
    pub(super) fn start(&self) {
        self.clock().started = Some(Instant::now());
    }

    /// The worker thread begins waiting for `what`.
    pub(super) fn begin(&self, what: Exchange) {
        self.clock().exchange = Some((what, Instant::now()));
    }

    /// The wait begun with [`Ticket::begin`] is over.
    pub(super) fn end(&self) {
        let mut clock = self.clock();
        if let Some((Exchange::PinPad, since)) = clock.exchange.take() {
            clock.paused += since.elapsed();
        }
    }
}

/// A reader's queue: the job holding the card and those waiting, oldest first.
#[derive(Default)]
pub(super) struct Queue {
    pub(super) holder: Option<Arc<Ticket>>,
    pub(super) waiting: VecDeque<Arc<Ticket>>,
}

/// The queue, locked (a panicking job does not poison it for good).
pub(super) fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Deadlines = Deadlines {
        apdu: Duration::from_millis(100),
        job: Duration::from_millis(1000),
    };

    #[test]
    fn deadlines_of_a_command_of_the_job_and_none_at_the_pin_pad() {
        let now = Instant::now();
        let mut clock = JobClock::default();
        assert_eq!(clock.deadline(LIMITS), None, "not started: no deadline");
        clock.started = Some(now);
        assert_eq!(clock.deadline(LIMITS), Some(now + LIMITS.job));
        clock.exchange = Some((Exchange::Apdu, now + Duration::from_millis(50)));
        assert_eq!(
            clock.deadline(LIMITS),
            Some(now + Duration::from_millis(150))
        );
        assert!(!clock.overdue(now + Duration::from_millis(149), LIMITS));
        assert!(clock.overdue(now + Duration::from_millis(150), LIMITS));
        clock.exchange = Some((Exchange::PinPad, now));
        assert!(!clock.overdue(now + Duration::from_secs(60), LIMITS));
        clock.exchange = None;
        clock.paused = Duration::from_secs(20);
        assert_eq!(
            clock.deadline(LIMITS),
            Some(now + Duration::from_secs(20) + LIMITS.job),
            "the PIN pad time is not counted"
        );
    }
}
