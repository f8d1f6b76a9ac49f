//! The hub over the in-process simulated backend.
use super::*;
use passerelle_protocol::CardKind;
use passerelle_simcard::backend::SimBackend;
use passerelle_simcard::fixtures::card_from_spec;
use std::time::Duration;

async fn next(sub: &mut tokio::sync::broadcast::Receiver<passerelle_protocol::Event>) -> EventKind {
    tokio::time::timeout(Duration::from_secs(5), sub.recv())
        .await
        .expect("an event")
        .unwrap()
        .kind
}

fn card(spec: &str) -> Box<dyn passerelle_simcard::SimCard> {
    card_from_spec(spec).unwrap()
}

#[tokio::test]
async fn snapshots_become_ordered_events_and_state() {
    let sim = SimBackend::new(vec![
        ("A".into(), Some(card("vitale:nguyen"))),
        ("B".into(), None),
    ]);
    let events = Arc::new(EventBus::new(64));
    let mut sub = events.subscribe(None).live;
    let hub = Hub::start(Arc::new(sim.clone()), events.clone()).unwrap();

    assert_eq!(next(&mut sub).await, EventKind::BackendAvailable);
    // Identification runs apart from the snapshot (a mute card must not hold the other
    // readers back): A's card comes after A was added, B may be added before or after.
    let mut first = vec![
        next(&mut sub).await,
        next(&mut sub).await,
        next(&mut sub).await,
    ];
    assert_eq!(first[0], EventKind::ReaderAdded { reader: "A".into() });
    let b = first
        .iter()
        .position(|k| *k == EventKind::ReaderAdded { reader: "B".into() })
        .expect("B added");
    first.remove(b);
    let EventKind::CardInserted { reader, card: c } = first.remove(1) else {
        panic!("{first:?}")
    };
    assert_eq!((reader.as_str(), c.kind), ("A", CardKind::Vitale));
    assert!(hub.backend_state().available);

    // A CPE into B: identified by its card-type file, through B's worker.
    sim.insert("B", card("cpe:petit-secretaire")).unwrap();
    let EventKind::CardInserted { card: c, .. } = next(&mut sub).await else {
        panic!()
    };
    assert_eq!(c.kind, CardKind::Cpe);
    assert_eq!(
        hub.readers()[1].card.as_ref().map(|c| c.kind),
        Some(CardKind::Cpe)
    );

    // Swapped between two snapshots: still a removal then an insertion.
    sim.insert("B", card("cps:lefevre-medecin")).unwrap();
    assert_eq!(
        next(&mut sub).await,
        EventKind::CardRemoved { reader: "B".into() }
    );
    let EventKind::CardInserted { card: c, .. } = next(&mut sub).await else {
        panic!()
    };
    assert_eq!(c.kind, CardKind::Cps);

    sim.remove("A").unwrap();
    assert_eq!(
        next(&mut sub).await,
        EventKind::CardRemoved { reader: "A".into() }
    );
    assert!(hub.readers()[0].card.is_none());
    assert_eq!(
        events.last_id(),
        8,
        "available, 2 readers added, 3 inserted, 2 removed"
    );
    hub.stop();
}

#[tokio::test]
async fn unavailable_backend_removes_readers_once() {
    let sim = SimBackend::new(vec![("A".into(), Some(card("vitale:nguyen")))]);
    let events = Arc::new(EventBus::new(64));
    let hub = Hub::start(Arc::new(sim), events.clone()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while hub.readers().first().and_then(|r| r.card.clone()).is_none() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    let mut sub = events.subscribe(None).live;
    hub.apply(BackendEvent::Unavailable("pcscd arrêté".into()))
        .await;
    hub.apply(BackendEvent::Unavailable("pcscd toujours arrêté".into()))
        .await;
    let kinds: Vec<EventKind> = std::iter::from_fn(|| sub.try_recv().ok())
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::BackendUnavailable {
                message: "pcscd arrêté".into()
            },
            EventKind::CardRemoved { reader: "A".into() },
            EventKind::ReaderRemoved { reader: "A".into() },
        ]
    );
    let state = hub.backend_state();
    assert!(!state.available);
    assert_eq!(state.message.as_deref(), Some("pcscd toujours arrêté"));
    assert!(hub.readers().is_empty());
}

#[tokio::test]
async fn a_mute_card_is_recorded_unknown_at_the_deadline_without_holding_other_readers() {
    let (_open, gate) = std::sync::mpsc::channel();
    let mute = super::worker::deadline_tests::Gated {
        inner: card("cps:durand-sage-femme"),
        gate,
    };
    let sim = SimBackend::new(vec![("A".into(), Some(Box::new(mute))), ("B".into(), None)]);
    let events = Arc::new(EventBus::new(64));
    let mut sub = events.subscribe(None).live;
    let deadlines = Deadlines {
        apdu: Duration::from_millis(300),
        job: Duration::from_secs(2),
    };
    let started = std::time::Instant::now();
    let hub = Hub::start_with(Arc::new(sim.clone()), events.clone(), deadlines).unwrap();
    // While A's card does not answer, B's card is seen and identified.
    sim.insert("B", card("vitale:nguyen")).unwrap();
    let mut inserted = Vec::new();
    while inserted.len() < 2 {
        if let EventKind::CardInserted { reader, card } = next(&mut sub).await {
            if reader == "A" {
                let states: Vec<ReaderState> = hub.readers().iter().map(|r| r.state).collect();
                assert_eq!(states, [ReaderState::Unresponsive, ReaderState::Ready]);
            }
            inserted.push((reader, card.kind));
        }
    }
    assert_eq!(
        inserted,
        [
            ("B".to_owned(), CardKind::Vitale),
            ("A".to_owned(), CardKind::Unknown)
        ]
    );
    let took = started.elapsed();
    assert!(
        took >= deadlines.apdu && took < deadlines.apdu * 4,
        "{took:?}"
    );
    hub.stop();
}
