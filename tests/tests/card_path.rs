//! The card path end to end: vpcd simulated cards → pcscd → daemon → TLS JSON API / SSE.
//!
//! Tests that need pcscd hold a [`PcscdRig`] and so run one at a time (even across test
//! binaries); the others use the simulated backend and run in parallel.

mod common;

use std::time::Duration;

use common::*;
use passerelle_protocol::{CardKind, EventKind, ReaderList};
use passerelle_tests::*;

/// The card kind and ATR in reader `name`, if the reader is listed and holds a card.
fn card_in(list: &ReaderList, name: &str) -> Option<(CardKind, String)> {
    list.readers
        .iter()
        .find(|r| r.name == name)?
        .card
        .as_ref()
        .map(|c| (c.kind, c.atr.clone()))
}

fn listed_empty(list: &ReaderList, name: &str) -> bool {
    list.readers
        .iter()
        .any(|r| r.name == name && r.card.is_none())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vpcd_readers_and_card_kinds() {
    let dir = TestDir::new("vpcd_readers_and_card_kinds");
    let _rig = PcscdRig::start(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();

    let list = daemon
        .wait_readers("both vpcd readers, empty", T15, |l| {
            listed_empty(l, READER_0) && listed_empty(l, READER_1)
        })
        .await
        .unwrap();
    assert_eq!(
        list.readers.len(),
        2,
        "exactly the two vpcd readers: {list:?}"
    );
    let st = daemon.status().await.unwrap();
    assert_eq!(st.backend.kind, passerelle_protocol::BackendKind::Pcsc);
    assert!(st.backend.available, "{st:?}");

    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:nguyen", &[]).unwrap();
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, "cps:lefevre-medecin", &[]).unwrap();
    vitale.wait_line("inserted", T15).await.unwrap();
    cps.wait_line("inserted", T15).await.unwrap();
    let list = daemon
        .wait_readers("vitale in reader 0 and CPS in reader 1", T15, |l| {
            card_in(l, READER_0).is_some() && card_in(l, READER_1).is_some()
        })
        .await
        .unwrap();
    assert_eq!(
        card_in(&list, READER_0),
        Some((CardKind::Vitale, VITALE_ATR.to_owned())),
        "{list:?}"
    );
    assert_eq!(
        card_in(&list, READER_1),
        Some((CardKind::Cps, CPS_ATR.to_owned())),
        "{list:?}"
    );
    let st = daemon.status().await.unwrap();
    assert_eq!(st.readers, list.readers, "status and readers agree");

    // Swap the CPS for a CPE, the Vitale for a CPF.
    cps.do_and_wait("remove", "removed").await.unwrap();
    vitale.do_and_wait("remove", "removed").await.unwrap();
    daemon
        .wait_readers("both readers empty again", T15, |l| {
            listed_empty(l, READER_0) && listed_empty(l, READER_1)
        })
        .await
        .unwrap();
    cps.do_and_wait("insert cpe:petit-secretaire", "inserted")
        .await
        .unwrap();
    vitale
        .do_and_wait("insert cpf:moreau-remplacant", "inserted")
        .await
        .unwrap();
    let list = daemon
        .wait_readers("CPF in reader 0 and CPE in reader 1", T15, |l| {
            card_in(l, READER_0).is_some() && card_in(l, READER_1).is_some()
        })
        .await
        .unwrap();
    assert_eq!(
        card_in(&list, READER_0).map(|c| c.0),
        Some(CardKind::Cpf),
        "{list:?}"
    );
    assert_eq!(
        card_in(&list, READER_1).map(|c| c.0),
        Some(CardKind::Cpe),
        "{list:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcsc_scan_names_the_simulated_cards() {
    let dir = TestDir::new("pcsc_scan_names_the_simulated_cards");
    let _rig = PcscdRig::start(&dir).unwrap();
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", &[]).unwrap();
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, "cps:durand-sage-femme", &[]).unwrap();
    vitale.wait_line("inserted", T15).await.unwrap();
    cps.wait_line("inserted", T15).await.unwrap();

    // pcsc_scan (pcsc-tools) names cards from its public ATR list: an outside check.
    let (_, out) = poll_until("pcsc_scan to see both cards", T15, || async {
        let (_, out) = passerelle_tests::proc::run_with_timeout(
            std::process::Command::new("pcsc_scan").args(["-t", "2"]),
            Duration::from_secs(8),
        )?;
        let blocks = scan_blocks(&out);
        let last = |name: &str| {
            blocks
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, b)| b.clone())
        };
        let inserted = |name: &str| last(name).is_some_and(|b| b.contains("Card inserted"));
        if inserted(READER_0) && inserted(READER_1) {
            Ok((blocks, out))
        } else {
            Err(out)
        }
    })
    .await
    .unwrap();
    std::fs::write(dir.file("pcsc_scan.txt"), &out).unwrap();
    let blocks = scan_blocks(&out);
    // pcsc_scan prints a block per state change: the last one of each reader is current.
    let block = |name: &str| {
        blocks
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .unwrap_or_default()
    };
    let b0 = block(READER_0);
    let b1 = block(READER_1);
    assert!(
        b0.contains(&format!("ATR: {VITALE_ATR}")),
        "reader 0 block:\n{b0}"
    );
    assert!(
        b0.contains("Carte Vitale"),
        "pcsc_scan should name the Vitale; reader 0 block:\n{b0}"
    );
    assert!(
        b1.contains(&format!("ATR: {CPS_ATR}")),
        "reader 1 block:\n{b1}"
    );
    assert!(
        b1.contains("CPS"),
        "pcsc_scan should name the CPS; reader 1 block:\n{b1}"
    );
    assert!(!b1.contains("Carte Vitale"), "reader 1 block:\n{b1}");
}

/// Splits pcsc_scan's output into (reader name, text) blocks, starting at ` Reader N: NAME`
/// (colour codes removed).
fn scan_blocks(out: &str) -> Vec<(String, String)> {
    let clean = strip_ansi(out);
    let mut blocks: Vec<(String, String)> = Vec::new();
    for line in clean.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("Reader ") {
            if let Some((num, name)) = rest.split_once(": ") {
                if num.chars().all(|c| c.is_ascii_digit()) {
                    blocks.push((name.trim().to_owned(), String::new()));
                    continue;
                }
            }
        }
        if let Some((_, b)) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_insert_remove_and_resume() {
    let dir = TestDir::new("event_stream_insert_remove_and_resume");
    let _rig = PcscdRig::start(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    daemon
        .wait_readers("both vpcd readers", T15, |l| {
            listed_empty(l, READER_0) && listed_empty(l, READER_1)
        })
        .await
        .unwrap();

    // Client A comes and goes; client B stays connected the whole time (the reference).
    let mut a = SseClient::connect(&daemon, Resume::None).await.unwrap();
    let mut b = SseClient::connect(&daemon, Resume::None).await.unwrap();
    let mut card0 = Simcard::start(&dir, VPCD_PORT_0, "vitale:nguyen", &[]).unwrap();
    card0.wait_line("inserted", T15).await.unwrap();
    let (ins, before) = a
        .next_matching("card_inserted in reader 0", T15, |e| {
            matches!(e.data.kind, EventKind::CardInserted { .. })
        })
        .await
        .unwrap();
    assert!(
        before.is_empty(),
        "a fresh connection replays nothing old: {:?}",
        before.iter().map(describe).collect::<Vec<_>>()
    );
    match &ins.data.kind {
        EventKind::CardInserted { reader, card } => {
            assert_eq!(reader, READER_0);
            assert_eq!(card.kind, CardKind::Vitale);
            assert_eq!(card.atr, VITALE_ATR);
        }
        other => panic!("{other:?}"),
    }
    card0.do_and_wait("remove", "removed").await.unwrap();
    let rem = a.next_event(T15).await.unwrap();
    assert!(
        matches!(&rem.data.kind, EventKind::CardRemoved { reader } if reader == READER_0),
        "{}",
        describe(&rem)
    );
    assert!(rem.id > ins.id, "ids increase: {} then {}", ins.id, rem.id);
    let last_seen = rem.id;
    drop(a);

    // While A is away: insert, remove, insert another card elsewhere.
    card0.do_and_wait("insert", "inserted").await.unwrap();
    daemon
        .wait_readers("card back in reader 0", T15, |l| {
            card_in(l, READER_0).is_some()
        })
        .await
        .unwrap();
    card0.do_and_wait("remove", "removed").await.unwrap();
    daemon
        .wait_readers("reader 0 empty", T15, |l| listed_empty(l, READER_0))
        .await
        .unwrap();
    let mut card1 = Simcard::start(&dir, VPCD_PORT_1, "cps:lefevre-medecin", &[]).unwrap();
    card1.wait_line("inserted", T15).await.unwrap();
    daemon
        .wait_readers("CPS in reader 1", T15, |l| card_in(l, READER_1).is_some())
        .await
        .unwrap();
    let latest = daemon.status().await.unwrap().last_event_id;

    // What B saw after `last_seen` is exactly what A missed.
    let mut reference = Vec::new();
    while reference.last().is_none_or(|e: &SseEvent| e.id < latest) {
        let ev = b.next_event(T15).await.unwrap();
        if ev.id > last_seen {
            reference.push(ev);
        }
    }
    let kinds: Vec<&str> = reference.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        kinds,
        ["card_inserted", "card_removed", "card_inserted"],
        "{:?}",
        reference.iter().map(describe).collect::<Vec<_>>()
    );
    assert!(
        matches!(&reference[2].data.kind, EventKind::CardInserted { reader, card } if reader == READER_1 && card.kind == CardKind::Cps)
    );

    for (label, resume) in [
        ("header", Resume::Header(&last_seen.to_string())),
        ("query", Resume::Query(&last_seen.to_string())),
    ] {
        let mut a = SseClient::connect(&daemon, resume).await.unwrap();
        let mut got = Vec::new();
        for _ in 0..reference.len() {
            got.push(
                a.next_event(T15)
                    .await
                    .unwrap_or_else(|e| panic!("resume by {label}: {e}; got {got:?}")),
            );
        }
        a.expect_no_event(Duration::from_millis(1500))
            .await
            .unwrap_or_else(|e| panic!("resume by {label}: {e}"));
        let ids: Vec<u64> = got.iter().map(|e| e.id).collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]) && ids[0] > last_seen,
            "resume by {label}: ids {ids:?}"
        );
        let got_raw: Vec<_> = got.iter().map(|e| &e.raw).collect();
        let want_raw: Vec<_> = reference.iter().map(|e| &e.raw).collect();
        assert_eq!(
            got_raw, want_raw,
            "resume by {label} replays exactly the missed events"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_resync_and_bad_id() {
    let dir = TestDir::new("event_stream_resync_and_bad_id");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let latest = daemon.status().await.unwrap().last_event_id;

    let future = (latest + 1000).to_string();
    let mut c = SseClient::connect(&daemon, Resume::Header(&future))
        .await
        .unwrap();
    let first = c.next_event(T15).await.unwrap();
    assert_eq!(
        first.data.kind,
        EventKind::Resync,
        "resume from an id never emitted: {}",
        describe(&first)
    );

    for bad in ["abc", "-1", "12x"] {
        let resp = SseClient::request(&daemon, Resume::Header(bad))
            .await
            .unwrap();
        let err = expect_api_error(resp, 400, "invalid_event_id").await;
        eprintln!("Last-Event-ID {bad:?} -> {err:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pcscd_killed_and_restarted_while_daemon_runs() {
    let dir = TestDir::new("pcscd_killed_and_restarted_while_daemon_runs");
    let mut rig = PcscdRig::start(&dir).unwrap();
    let mut daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let pid = daemon.pid();
    let mut card = Simcard::start(&dir, VPCD_PORT_0, "vitale:santoni-corse", &[]).unwrap();
    card.wait_line("inserted", T15).await.unwrap();
    daemon
        .wait_readers("vitale in reader 0", T15, |l| {
            card_in(l, READER_0).is_some()
        })
        .await
        .unwrap();
    let mut events = SseClient::connect(&daemon, Resume::None).await.unwrap();

    // Poll /v1/status all along: every request must succeed.
    let poller = StatusPoller::start(&daemon);

    rig.kill_pcscd();
    let (down, _) = events
        .next_matching("backend_unavailable", T15, |e| {
            matches!(e.data.kind, EventKind::BackendUnavailable { .. })
        })
        .await
        .unwrap();
    poll_until("status backend.available == false", T15, || async {
        let st = daemon.status().await?;
        if !st.backend.available {
            Ok(())
        } else {
            Err(format!("{st:?}"))
        }
    })
    .await
    .unwrap();
    // Stay down long enough for the poller to get several answers meanwhile.
    poll_until(
        "5 answered status requests while pcscd is down",
        T15,
        || async {
            let rep = poller.report();
            if rep.unavailable_ok >= 5 {
                Ok(())
            } else {
                Err(format!("{rep:?}"))
            }
        },
    )
    .await
    .unwrap();

    rig.start_pcscd().unwrap();
    let (up, _) = events
        .next_matching("backend_available", Duration::from_secs(30), |e| {
            matches!(e.data.kind, EventKind::BackendAvailable)
        })
        .await
        .unwrap();
    let (added, _) = events
        .next_matching(
            "reader_added for reader 0",
            T15,
            |e| matches!(&e.data.kind, EventKind::ReaderAdded { reader } if reader == READER_0),
        )
        .await
        .unwrap();
    assert!(
        down.id < up.id && up.id < added.id,
        "order: {} {} {}",
        describe(&down),
        describe(&up),
        describe(&added)
    );
    let list = daemon
        .wait_readers("readers and the card back", Duration::from_secs(30), |l| {
            card_in(l, READER_0).is_some() && l.readers.iter().any(|r| r.name == READER_1)
        })
        .await
        .unwrap();
    assert_eq!(
        card_in(&list, READER_0),
        Some((CardKind::Vitale, VITALE_ATR.to_owned()))
    );
    let st = daemon.status().await.unwrap();
    assert!(st.backend.available, "{st:?}");

    let report = poller.stop().await;
    assert!(
        report.failures.is_empty(),
        "status failed while pcscd was down: {:?}",
        report.failures
    );
    assert!(report.saw_unavailable && report.saw_available, "{report:?}");
    assert!(
        daemon.is_running() && daemon.pid() == pid,
        "same daemon process throughout"
    );
}
