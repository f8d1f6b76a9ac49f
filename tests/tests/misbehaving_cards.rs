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

use common::{expect_api_error, route, wait_card};
use passerelle_protocol::{CpxCard, VitaleCard};
use passerelle_tests::{
    Backend, Daemon, PcscdRig, Simcard, TestDir, READER_0, READER_B, VPCD_PORT_0, VPCD_PORT_B,
};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(15);
/// The documented default of `readers.apdu_timeout_ms`.
const APDU_DEADLINE: Duration = Duration::from_secs(5);
/// What the answer may take beyond the deadline (a loaded 2-core machine).
const SLACK: Duration = Duration::from_millis(2500);

/// The state `GET /v1/readers` gives `reader`, as JSON (`"ready"`, `"unresponsive"`...).
async fn state(daemon: &Daemon, reader: &str) -> Value {
    let list: Value = daemon.get_json("/v1/readers").await.unwrap();
    list["readers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == reader)
        .map(|r| r["state"].clone())
        .unwrap_or(Value::Null)
}

async fn wait_state(daemon: &Daemon, reader: &str, expected: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let now = state(daemon, reader).await;
        if now == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{reader}: state {now}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Starts `GET route` in the background: its status, body and how long it took, or
/// `None` if nothing came within the deadline and the slack.
fn read_in_background(
    daemon: &Daemon,
    path: &str,
) -> tokio::task::JoinHandle<Option<(u16, Value, Duration)>> {
    let (client, url) = (daemon.client(), daemon.url(path));
    tokio::spawn(async move {
        let started = Instant::now();
        let send = async {
            let resp = client.get(&url).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap())
        };
        let (status, body) = tokio::time::timeout(APDU_DEADLINE + SLACK, send)
            .await
            .ok()?;
        Some((status, body, started.elapsed()))
    })
}

struct Rig {
    cps: Simcard,
    vitale: Simcard,
    daemon: Daemon,
    _pcscd: PcscdRig,
}

/// pcscd with the second device, the daemon on its defaults, a Vitale in `READER_0` with
/// `vitale_args` and a CPS in `READER_B` with `cps_args`.
async fn start(name: &str, vitale_args: &[&str], cps_args: &[&str]) -> (TestDir, Rig) {
    let dir = TestDir::new(name);
    let pcscd = PcscdRig::start_with_second_device(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:nguyen", vitale_args).unwrap();
    let mut cps = Simcard::start(&dir, VPCD_PORT_B, "cps:durand-sage-femme", cps_args).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    cps.wait_line("inserted", WAIT).await.unwrap();
    let rig = Rig {
        cps,
        vitale,
        daemon,
        _pcscd: pcscd,
    };
    (dir, rig)
}

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
    let cpx = daemon
        .client()
        .get(daemon.url(&route(READER_B, "cpx")))
        .send()
        .await
        .unwrap();
    expect_api_error(cpx, 409, "wrong_card").await;

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
    let list: Value = daemon.get_json("/v1/readers").await.unwrap();
    let reader = list["readers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == READER_0)
        .unwrap();
    assert_eq!(
        reader["queue"]["holder"]["operation"], "read_vitale",
        "{list}"
    );
    let id = reader["queue"]["holder"]["id"].as_u64().unwrap();

    let started = Instant::now();
    let cancel = daemon
        .client()
        .delete(daemon.url(&route(READER_0, &format!("jobs/{id}"))))
        .send()
        .await
        .unwrap();
    let status = cancel.status().as_u16();
    let body: Value = cancel.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = read.await.unwrap().expect("an answer");
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("job_cancelled")),
        "{body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cancelled at once, not at the deadline: {:?}",
        started.elapsed()
    );

    rig.vitale.do_and_wait("remove", "removed").await.unwrap();
    wait_card(daemon, READER_0, false).await;
    rig.vitale.do_and_wait("insert", "inserted").await.unwrap();
    wait_card(daemon, READER_0, true).await;
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(card.insured.last_name, "NGUYEN");
}
