//! The reader worker: order, queue, cancel, panics.

use std::sync::atomic::AtomicBool;

use super::*;
use passerelle_simcard::backend::SimBackend;
use passerelle_simcard::fixtures::card_from_spec;

fn worker() -> Arc<ReaderWorker> {
    let sim = SimBackend::new(vec![(
        "A".into(),
        Some(card_from_spec("vitale:nguyen").unwrap()),
    )]);
    Arc::new(ReaderWorker::spawn(Arc::new(sim), "A".into()).unwrap())
}

/// Starts a job that holds the card until the returned sender is used; returns once the
/// job runs.
async fn hold(
    worker: &Arc<ReaderWorker>,
    label: JobLabel,
) -> (
    std::sync::mpsc::Sender<()>,
    tokio::task::JoinHandle<Result<u8, TransportError>>,
) {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started, is_started) = oneshot::channel::<()>();
    let worker = worker.clone();
    let handle = tokio::spawn(async move {
        worker
            .run(label, move |_tx| {
                let _ = started.send(());
                let _ = wait.recv();
                7
            })
            .await
    });
    is_started.await.unwrap();
    (release, handle)
}

#[tokio::test]
async fn a_panicking_job_does_not_kill_the_reader() {
    let worker = worker();
    let failed = worker
        .run(JobLabel::internal("test"), |_tx| -> u8 {
            panic!("bug in a card profile")
        })
        .await;
    assert!(
        matches!(failed, Err(TransportError::Failure(_))),
        "{failed:?}"
    );
    let atr = worker
        .run(JobLabel::internal("test"), |tx| tx.atr().to_vec())
        .await
        .unwrap();
    assert_eq!(atr[0], 0x3B);
    assert_eq!(worker.pending(), 0);
}

#[tokio::test]
async fn the_queue_shows_the_holder_and_a_waiting_job_can_be_cancelled() {
    let worker = worker();
    let label = JobLabel {
        operation: "read_vitale",
        client: Some("https://app.example".into()),
    };
    let (release, holder) = hold(&worker, label).await;
    let ran = Arc::new(AtomicBool::new(false));
    let waiting = {
        let (worker, ran) = (worker.clone(), ran.clone());
        tokio::spawn(async move {
            worker
                .run(JobLabel::internal("verify_pin"), move |_tx| {
                    ran.store(true, Ordering::SeqCst)
                })
                .await
        })
    };
    let queue = loop {
        let queue = worker.queue();
        if !queue.waiting.is_empty() {
            break queue;
        }
        tokio::task::yield_now().await;
    };
    let held = queue.holder.expect("a holder");
    assert_eq!(held.operation, "read_vitale");
    assert_eq!(held.client.as_deref(), Some("https://app.example"));
    assert_eq!(queue.waiting[0].operation, "verify_pin");
    assert_eq!(worker.pending(), 2);
    assert!(worker.cancel(queue.waiting[0].id));
    assert!(!worker.cancel(queue.waiting[0].id), "cancelled once");
    // The cancelled caller hears it at once, while the holder still runs.
    assert_eq!(waiting.await.unwrap(), Err(TransportError::Cancelled));
    release.send(()).unwrap();
    assert_eq!(holder.await.unwrap(), Ok(7));
    assert!(!ran.load(Ordering::SeqCst), "a cancelled job never runs");
    assert_eq!(worker.queue(), ReaderQueue::default());
}

#[tokio::test]
async fn a_caller_that_goes_away_cancels_its_waiting_job() {
    let worker = worker();
    let (release, busy) = hold(&worker, JobLabel::internal("hold")).await;
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let gone = worker.run(JobLabel::internal("gone"), move |_tx| {
        flag.store(true, Ordering::SeqCst)
    });
    // Polled once (queued), then dropped, as axum drops a handler whose client left.
    let _ = tokio::time::timeout(std::time::Duration::from_millis(20), gone).await;
    assert!(worker.queue().waiting.is_empty());
    release.send(()).unwrap();
    busy.await.unwrap().unwrap();
    worker
        .run(JobLabel::internal("after"), |_tx| ())
        .await
        .unwrap();
    assert!(!ran.load(Ordering::SeqCst));
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
                    .run(JobLabel::internal("test"), move |_tx| {
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
