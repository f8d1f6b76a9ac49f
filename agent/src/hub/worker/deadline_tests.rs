//! The reader worker against cards that misbehave: a command that never ends, a job that
//! runs too long, the holder cancelled, the PIN pad's time not counted.

use std::sync::atomic::AtomicUsize;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use super::*;
use passerelle_cards::pin::{pin_status, verify_pin, PinEntry};
use passerelle_protocol::PinCode;
use passerelle_simcard::backend::SimBackend;
use passerelle_simcard::fixtures::card_from_spec;
use passerelle_simcard::SimCard;

const SHORT: Deadlines = Deadlines {
    apdu: Duration::from_millis(200),
    job: Duration::from_millis(1500),
};

/// A card whose answers wait for the test: each command blocks until a message comes (as
/// a transmit to a mute card blocks in pcscd until the card is pulled out).
pub(crate) struct Gated {
    pub(crate) inner: Box<dyn SimCard>,
    pub(crate) gate: std_mpsc::Receiver<()>,
}

impl SimCard for Gated {
    fn atr(&self) -> Vec<u8> {
        self.inner.atr()
    }
    fn reset(&mut self) {
        self.inner.reset()
    }
    fn process(&mut self, command: &[u8]) -> Vec<u8> {
        let _ = self.gate.recv();
        self.inner.process(command)
    }
}

/// A worker over `card` with `deadlines`; counts the card resets.
fn worker_over(
    card: Box<dyn SimCard>,
    deadlines: Deadlines,
) -> (Arc<ReaderWorker>, Arc<AtomicUsize>) {
    let sim = SimBackend::new(vec![("A".into(), Some(card))]);
    let resets = Arc::new(AtomicUsize::new(0));
    let counter = resets.clone();
    let hook: ResetHook = Arc::new(move || {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let worker = ReaderWorker::spawn_with(Arc::new(sim), "A".into(), deadlines, hook).unwrap();
    (Arc::new(worker), resets)
}

fn select_mf(tx: &mut dyn CardTransaction) -> Result<Vec<u8>, TransportError> {
    tx.transmit(&[0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00])
}

#[tokio::test]
async fn a_command_that_never_ends_answers_timeout_at_the_apdu_deadline() {
    let (open, gate) = std_mpsc::channel();
    let card = Gated {
        inner: card_from_spec("vitale:nguyen").unwrap(),
        gate,
    };
    let (worker, resets) = worker_over(Box::new(card), SHORT);
    let started = Instant::now();
    let stuck = {
        let worker = worker.clone();
        tokio::spawn(async move { worker.run(JobLabel::internal("read"), select_mf).await })
    };
    while worker.queue().holder.is_none() {
        tokio::task::yield_now().await;
    }
    // Queued behind the mute card: leaves the queue at the same deadline.
    let behind = {
        let worker = worker.clone();
        tokio::spawn(async move { worker.run(JobLabel::internal("next"), select_mf).await })
    };
    assert_eq!(stuck.await.unwrap(), Err(TransportError::Timeout));
    let took = started.elapsed();
    assert!(took >= SHORT.apdu && took < SHORT.apdu * 3, "{took:?}");
    assert_eq!(behind.await.unwrap(), Err(TransportError::Timeout));
    assert!(worker.unresponsive());
    assert!(worker.queue().waiting.is_empty());
    // While it holds the reader, a new job is answered at once.
    let started = Instant::now();
    let refused = worker.run(JobLabel::internal("again"), select_mf).await;
    assert_eq!(refused, Err(TransportError::Timeout));
    assert!(started.elapsed() < SHORT.apdu);

    // The command ends at last (the card answered, or was pulled out): the job stops
    // there, the card is reset, and the reader is usable again.
    open.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while worker.unresponsive() || worker.pending() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    assert_eq!(resets.load(Ordering::SeqCst), 1);
    let again = worker.run(JobLabel::internal("after"), select_mf);
    open.send(()).unwrap();
    assert_eq!(again.await.unwrap().unwrap(), [0x90, 0x00]);
    assert_eq!(resets.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_job_past_its_deadline_stops_before_its_next_command() {
    let deadlines = Deadlines {
        apdu: Duration::from_secs(1),
        job: Duration::from_millis(300),
    };
    let (worker, resets) = worker_over(card_from_spec("vitale:nguyen").unwrap(), deadlines);
    let (sent, count) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (s, c) = (sent.clone(), count.clone());
    let outcome = worker
        .run(JobLabel::internal("long"), move |tx| {
            for _ in 0..20 {
                c.fetch_add(1, Ordering::SeqCst);
                if select_mf(tx).is_err() {
                    return;
                }
                s.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
        .await;
    assert_eq!(outcome, Err(TransportError::Timeout));
    tokio::time::timeout(Duration::from_secs(5), async {
        while worker.pending() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    let sent = sent.load(Ordering::SeqCst);
    assert!(
        (2..=4).contains(&sent),
        "{sent} commands in 300 ms at 100 ms each"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        sent + 1,
        "the next one was refused"
    );
    assert_eq!(resets.load(Ordering::SeqCst), 1);
    assert!(!worker.unresponsive());
}

#[tokio::test]
async fn the_holder_cancelled_answers_at_once_then_the_card_is_reset() {
    let (worker, resets) = worker_over(card_from_spec("cps:durand-sage-femme").unwrap(), SHORT);
    let pin = PinCode::new("4729");
    worker
        .run(JobLabel::internal("verify"), move |tx| {
            verify_pin(tx, PinEntry::Given(&pin))
        })
        .await
        .unwrap()
        .unwrap();
    let (release, wait) = std_mpsc::channel::<()>();
    let (started, is_started) = oneshot::channel::<()>();
    let (after, seen) = std_mpsc::channel();
    let running = {
        let worker = worker.clone();
        tokio::spawn(async move {
            worker
                .run(JobLabel::internal("sign"), move |tx| {
                    let _ = started.send(());
                    // Held between two commands, like a batch of signatures.
                    let _ = wait.recv();
                    let _ = after.send(pin_status(tx).map(|s| s.verified));
                })
                .await
        })
    };
    is_started.await.unwrap();
    let id = worker.queue().holder.unwrap().id;
    let asked = Instant::now();
    assert!(worker.cancel(id), "the holder can be cancelled");
    assert_eq!(running.await.unwrap(), Err(TransportError::Interrupted));
    assert!(asked.elapsed() < Duration::from_millis(100), "at once");
    release.send(()).unwrap();
    let next_command = seen.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(
        matches!(
            next_command,
            Err(passerelle_cards::CardError::Transport(
                TransportError::Interrupted
            ))
        ),
        "{next_command:?}"
    );
    let verified = worker
        .run(JobLabel::internal("status"), |tx| {
            pin_status(tx).map(|s| s.verified)
        })
        .await
        .unwrap()
        .unwrap();
    assert!(
        !verified,
        "the card was reset: its PIN is no longer verified"
    );
    assert_eq!(resets.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_time_at_the_pin_pad_is_not_counted() {
    let sim = SimBackend::new(vec![(
        "A".into(),
        Some(card_from_spec("cps:durand-sage-femme").unwrap()),
    )])
    .with_pin_pad("A", Duration::from_secs(5));
    let pad = sim.pin_pad("A").unwrap().unwrap();
    let worker = ReaderWorker::spawn_with(Arc::new(sim), "A".into(), SHORT, Arc::new(|| {}));
    let worker = worker.unwrap();
    let typing = std::thread::spawn(move || {
        // Longer than both deadlines: the practitioner takes their time.
        std::thread::sleep(SHORT.job + Duration::from_millis(300));
        pad.type_keys(Some(b"4729"));
    });
    let verified = worker
        .run(JobLabel::internal("verify_pin"), |tx| {
            verify_pin(tx, PinEntry::PinPad)
        })
        .await;
    typing.join().unwrap();
    assert!(matches!(verified, Ok(Ok(_))), "{verified:?}");
    assert!(!worker.unresponsive());
}
