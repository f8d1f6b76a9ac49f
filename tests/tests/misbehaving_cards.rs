//! Cards that misbehave, behind the real pcscd: a card that stops answering (mute) must
//! not hold its reader without limit. The daemon answers `card_timeout` at the APDU
//! deadline (`readers.apdu_timeout_ms`, 5 s by default), shows the reader `unresponsive`,
//! serves the other readers meanwhile, identifies a mute card at insertion within the same
//! deadline, lets the holder of a running operation cancel it, and uses the reader again
//! once the card is pulled out.
//!
//! The mute card sits in `READER_0`, the other card in `READER_B`, a second vpcd *device*:
//! in pcscd the slots of one device share a lock, so a mute card in `READER_0` holds
//! `READER_1` too (as it would with a two-slot USB reader), never another reader.

mod common;

use std::time::{Duration, Instant};

use common::{route, wait_card};
use passerelle_protocol::{CpxCard, VitaleCard};
use passerelle_tests::{READER_0, READER_B};
use serde_json::Value;

use common::misbehaving::{
    cancel_and_check, holder, pin_verified, read_in_background, resets_seen, start, start_with,
    state, wait_state, Rig, APDU_DEADLINE, SLACK, WAIT,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_mute_card_answers_card_timeout_and_its_reader_recovers_when_pulled_out() {
    let (_dir, mut rig) = start(
        "a_mute_card_answers_card_timeout_and_its_reader_recovers_when_pulled_out",
        &["--mute-after-apdus", "0"],
        &[],
    )
    .await;
    let daemon = &rig.daemon;
    // The Vitale is known from its ATR (no APDU): it goes mute at the first read.
    wait_card(daemon, READER_0, true).await;
    wait_card(daemon, READER_B, true).await;

    let read = read_in_background(daemon, &route(READER_0, "vitale"));
    rig.vitale.wait_line("mute", WAIT).await.unwrap();

    // Meanwhile the other reader is served, at once.
    let started = Instant::now();
    let cpx: CpxCard = daemon.get_json(&route(READER_B, "cpx")).await.unwrap();
    assert_eq!(cpx.holder.last_name, "DURAND");
    assert!(started.elapsed() < Duration::from_secs(2), "{started:?}");
    assert!(!read.is_finished(), "the mute card's read is still waiting");

    let (status, body, took) = read
        .await
        .unwrap()
        .expect("an answer within the APDU deadline");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (504, Some("card_timeout")),
        "{body}"
    );
    assert!(
        took >= APDU_DEADLINE - Duration::from_millis(500) && took <= APDU_DEADLINE + SLACK,
        "answered after {took:?}"
    );
    assert_eq!(state(daemon, READER_0).await, "unresponsive");
    assert_eq!(state(daemon, READER_B).await, "ready");

    // While the card holds the reader, a new read is answered at once, not queued.
    let started = Instant::now();
    let again = daemon
        .client()
        .get(daemon.url(&route(READER_0, "vitale")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 504);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["error"]["code"], "card_timeout");
    assert!(started.elapsed() < Duration::from_secs(1));
    let _: CpxCard = daemon.get_json(&route(READER_B, "cpx")).await.unwrap();

    // Pulled out: the reader is empty and usable; the card put back (its mute mode was for
    // one insertion) is read whole.
    rig.vitale.do_and_wait("remove", "removed").await.unwrap();
    wait_card(daemon, READER_0, false).await;
    wait_state(daemon, READER_0, "empty").await;
    rig.vitale.do_and_wait("insert", "inserted").await.unwrap();
    wait_card(daemon, READER_0, true).await;
    wait_state(daemon, READER_0, "ready").await;
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(card.insured.last_name, "NGUYEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mute_cps_is_identified_within_the_deadline_not_left_in_identify() {
    let (_dir, mut rig) = start(
        "a_mute_cps_is_identified_within_the_deadline_not_left_in_identify",
        &[],
        &["--mute-after-apdus", "0"],
    )
    .await;
    let daemon = &rig.daemon;
    wait_card(daemon, READER_0, true).await;
    rig.cps.wait_line("mute", WAIT).await.unwrap();
    let started = Instant::now();
    // Within the deadline the reader shows the card (kind unknown: it never said what it
    // is) and that it does not answer; the other reader works meanwhile.
    let list: Value = common::poll_json(daemon, "/v1/readers", APDU_DEADLINE + SLACK, |l| {
        l["readers"].as_array().unwrap().iter().any(|r| {
            r["name"] == READER_B && r["card"]["kind"] == "unknown" && r["state"] == "unresponsive"
        })
    })
    .await;
    assert!(started.elapsed() <= APDU_DEADLINE + SLACK, "{list}");
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(card.insured.last_name, "NGUYEN");
    // Its reads are answered at once: the card still does not answer.
    let started = Instant::now();
    let cpx = daemon
        .client()
        .get(daemon.url(&route(READER_B, "cpx")))
        .send()
        .await
        .unwrap();
    assert_eq!(cpx.status().as_u16(), 504);
    let cpx: Value = cpx.json().await.unwrap();
    assert_eq!(cpx["error"]["code"], "card_timeout");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Pulled out and put back (answering this time): identified as the CPS it is.
    rig.cps.do_and_wait("remove", "removed").await.unwrap();
    wait_card(daemon, READER_B, false).await;
    rig.cps.do_and_wait("insert", "inserted").await.unwrap();
    daemon
        .wait_readers("the CPS identified", WAIT, |l| {
            l.readers.iter().any(|r| {
                r.name == READER_B
                    && r.card.as_ref().map(|c| c.kind) == Some(passerelle_protocol::CardKind::Cps)
            })
        })
        .await
        .unwrap();
    wait_state(daemon, READER_B, "ready").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_holder_of_a_running_operation_cancels_it() {
    let (_dir, mut rig) = start(
        "the_holder_of_a_running_operation_cancels_it",
        &["--mute-after-apdus", "0"],
        &[],
    )
    .await;
    let daemon = &rig.daemon;
    wait_card(daemon, READER_0, true).await;
    let read = read_in_background(daemon, &route(READER_0, "vitale"));
    rig.vitale.wait_line("mute", WAIT).await.unwrap();
    let id = holder(daemon, READER_0, "read_vitale").await;
    cancel_and_check(daemon, READER_0, id, read, Duration::from_secs(2)).await;

    rig.vitale.do_and_wait("remove", "removed").await.unwrap();
    wait_card(daemon, READER_0, false).await;
    rig.vitale.do_and_wait("insert", "inserted").await.unwrap();
    wait_card(daemon, READER_0, true).await;
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(card.insured.last_name, "NGUYEN");
}

/// The configured deadlines, with a slow card: an operation past `readers.job_timeout_ms`
/// answers `card_timeout`, stops before its next command and the card is reset (its PIN
/// must be entered again); a running operation cancelled by its holder ends the same way.
#[tokio::test(flavor = "multi_thread")]
async fn a_slow_card_past_the_configured_job_deadline_is_stopped_and_reset() {
    let config = "[readers]\napdu_timeout_ms = 1000\njob_timeout_ms = 1500\n";
    let (_dir, mut rig) = start_with(
        "a_slow_card_past_the_configured_job_deadline_is_stopped_and_reset",
        config,
        &[],
        &[],
    )
    .await;
    let daemon = &rig.daemon;
    wait_card(daemon, READER_B, true).await;
    let resets = verify_then_slow_down(&mut rig).await;
    let daemon = &rig.daemon;

    // 300 ms an answer: a CPS read (a dozen commands) needs more than 1.5 s.
    let before = rig.cps.commands_seen("00");
    let started = Instant::now();
    let read = daemon
        .client()
        .get(daemon.url(&format!("{}?refresh=true", route(READER_B, "cpx"))))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(read.status().as_u16(), 504);
    let body: Value = read.json().await.unwrap();
    assert_eq!(body["error"]["code"], "card_timeout", "{body}");
    assert!(
        took >= Duration::from_millis(1400) && took <= Duration::from_millis(1500) + SLACK,
        "{took:?}"
    );
    rig.cps.do_and_wait("delay 0", "armed").await.unwrap();
    wait_state(daemon, READER_B, "ready").await;
    let sent = rig.cps.commands_seen("00") - before;
    assert!(
        sent <= 6,
        "the read stopped at its deadline: {sent} commands"
    );
    assert!(resets_seen(&rig.cps) > resets, "the card was reset");
    assert!(!pin_verified(daemon).await, "the reset forgot the PIN");

    // The holder cancels its own running operation: answered at once, the card reset.
    let resets = verify_then_slow_down(&mut rig).await;
    let daemon = &rig.daemon;
    let read = read_in_background(daemon, &format!("{}?refresh=true", route(READER_B, "cpx")));
    let id = holder(daemon, READER_B, "read_cpx").await;
    cancel_and_check(daemon, READER_B, id, read, Duration::from_millis(500)).await;
    rig.cps.do_and_wait("delay 0", "armed").await.unwrap();
    common::poll_json(daemon, "/v1/readers", WAIT, |l| {
        l["readers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == READER_B && r["queue"]["holder"].is_null())
    })
    .await;
    assert!(resets_seen(&rig.cps) > resets, "the card was reset");
    assert!(!pin_verified(daemon).await, "the reset forgot the PIN");
    let cpx: CpxCard = daemon.get_json(&route(READER_B, "cpx")).await.unwrap();
    assert_eq!(cpx.holder.last_name, "DURAND");
}

/// Verifies the PIN of the CPS in `READER_B`, then makes the card answer in 300 ms; the
/// card's resets so far.
async fn verify_then_slow_down(rig: &mut Rig) -> usize {
    let verify = serde_json::json!({ "pin": "4729" });
    let _: Value = rig
        .daemon
        .post_json(&route(READER_B, "pin/verify"), &verify)
        .await
        .unwrap();
    assert!(pin_verified(&rig.daemon).await);
    let resets = resets_seen(&rig.cps);
    rig.cps.do_and_wait("delay 300", "armed").await.unwrap();
    resets
}
