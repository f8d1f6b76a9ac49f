//! The rig of `misbehaving_cards.rs`: pcscd with a second vpcd device, a Vitale in
//! `READER_0` and a CPS in `READER_B`, and what its tests look at (reader states, the
//! running job, the card's resets).

use std::time::{Duration, Instant};

use passerelle_tests::{
    Backend, Daemon, PcscdRig, Simcard, TestDir, READER_B, VPCD_PORT_0, VPCD_PORT_B,
};
use serde_json::Value;

use super::route;

pub const WAIT: Duration = Duration::from_secs(15);
/// The documented default of `readers.apdu_timeout_ms`.
pub const APDU_DEADLINE: Duration = Duration::from_secs(5);
/// What the answer may take beyond the deadline (a loaded 2-core machine).
pub const SLACK: Duration = Duration::from_millis(2500);

/// The state `GET /v1/readers` gives `reader`, as JSON (`"ready"`, `"unresponsive"`...).
pub async fn state(daemon: &Daemon, reader: &str) -> Value {
    let list: Value = daemon.get_json("/v1/readers").await.unwrap();
    list["readers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == reader)
        .map(|r| r["state"].clone())
        .unwrap_or(Value::Null)
}

pub async fn wait_state(daemon: &Daemon, reader: &str, expected: &str) {
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
pub fn read_in_background(
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

/// The processes of a test; dropping it stops them.
pub struct Rig {
    /// The CPS in `READER_B`.
    pub cps: Simcard,
    /// The Vitale in `READER_0`.
    pub vitale: Simcard,
    /// The daemon, on the PC/SC backend.
    pub daemon: Daemon,
    _pcscd: PcscdRig,
}

/// pcscd with the second device, the daemon on its defaults, a Vitale in `READER_0` with
/// `vitale_args` and a CPS in `READER_B` with `cps_args`.
pub async fn start(name: &str, vitale_args: &[&str], cps_args: &[&str]) -> (TestDir, Rig) {
    start_with(name, "", vitale_args, cps_args).await
}

/// Like [`start`], with `config` merged into the daemon's configuration.
pub async fn start_with(
    name: &str,
    config: &str,
    vitale_args: &[&str],
    cps_args: &[&str],
) -> (TestDir, Rig) {
    let dir = TestDir::new(name);
    let pcscd = PcscdRig::start_with_second_device(&dir).unwrap();
    let daemon = Daemon::start_with(&dir, Backend::Pcsc, config)
        .await
        .unwrap();
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

/// Waits until `operation` holds `reader`; its job id.
pub async fn holder(daemon: &Daemon, reader: &str, operation: &str) -> u64 {
    let held = |r: &Value| r["name"] == reader && r["queue"]["holder"]["operation"] == operation;
    let list = super::poll_json(daemon, "/v1/readers", WAIT, |l| {
        l["readers"].as_array().unwrap().iter().any(held)
    })
    .await;
    let reader = list["readers"].as_array().unwrap().iter().find(|r| held(r));
    reader.unwrap()["queue"]["holder"]["id"].as_u64().unwrap()
}

/// Cancels the running job `id` of `reader`; its caller (`read`) must hear
/// `job_cancelled` within `within`, not at a deadline.
pub async fn cancel_and_check(
    daemon: &Daemon,
    reader: &str,
    id: u64,
    read: tokio::task::JoinHandle<Option<(u16, Value, Duration)>>,
    within: Duration,
) {
    let started = Instant::now();
    let cancel = daemon
        .client()
        .delete(daemon.url(&route(reader, &format!("jobs/{id}"))))
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
    let took = started.elapsed();
    assert!(
        took < within,
        "cancelled at once, not at a deadline: {took:?}"
    );
}

/// How many times pcscd reset the simulated card (its log says so) since the start.
pub fn resets_seen(card: &Simcard) -> usize {
    std::fs::read_to_string(card.log())
        .unwrap_or_default()
        .matches("control=\"reset\"")
        .count()
}

/// Whether the CPS in `READER_B` has its PIN verified.
pub async fn pin_verified(daemon: &Daemon) -> bool {
    let pin: Value = daemon.get_json(&route(READER_B, "pin")).await.unwrap();
    pin["verified"].as_bool().unwrap()
}
