//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod attachments;
pub mod billing;
pub mod misbehaving;
pub mod other_user;
pub mod returns;
pub mod security;
pub mod transmission;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use passerelle_protocol::ApiError;
use passerelle_tests::daemon::content_type;
use passerelle_tests::Daemon;

/// `/v1/readers/{reader}/{what}`, the reader name escaped.
pub fn route(reader: &str, what: &str) -> String {
    format!("/v1/readers/{}/{what}", reader.replace(' ', "%20"))
}

/// Waits (10 s at most) until `reader` has a card (`present`) or none.
pub async fn wait_card(daemon: &Daemon, reader: &str, present: bool) {
    daemon
        .wait_readers("card state", Duration::from_secs(10), |l| {
            l.readers
                .iter()
                .any(|r| r.name == reader && r.card.is_some() == present)
        })
        .await
        .unwrap();
}

/// Polls `GET path` (every 50 ms, `timeout` at most) until its JSON satisfies `pred`;
/// returns it, or panics with the last one seen.
pub async fn poll_json(
    daemon: &Daemon,
    path: &str,
    timeout: Duration,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let value: serde_json::Value = daemon.get_json(path).await.unwrap();
        if pred(&value) {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "GET {path}: not as expected within {timeout:?}: {value}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The usual wait limit.
pub const T15: Duration = Duration::from_secs(15);

/// Checks an error response: the expected status and code, a JSON content type, a body
/// that parses as [`ApiError`] with a non-empty message that is not one of axum's
/// English defaults. Returns the parsed error.
pub async fn expect_api_error(resp: reqwest::Response, status: u16, code: &str) -> ApiError {
    let got = resp.status().as_u16();
    let ctype = content_type(&resp);
    let body = resp.text().await.unwrap_or_default();
    assert!(got < 500, "no 5xx expected: {got} {body}");
    assert_eq!(got, status, "status; body {body}");
    assert!(
        ctype.starts_with("application/json"),
        "content-type {ctype:?}; body {body}"
    );
    let err: ApiError = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("body is not an ApiError ({e}): {body}"));
    assert_eq!(err.error.code.as_str(), code, "code; body {body}");
    let msg = err.error.message.trim();
    assert!(
        !msg.is_empty() && msg != code,
        "message must be a French sentence: {body}"
    );
    for english in [
        "Failed to",
        "Expected request",
        "length limit",
        "Not Found",
        "Method Not Allowed",
    ] {
        assert!(
            !msg.contains(english),
            "message looks like a framework default in English: {body}"
        );
    }
    err
}

/// What [`StatusPoller`] saw.
#[derive(Debug, Default, Clone)]
pub struct PollReport {
    /// Requests that did not give 200 + a valid status.
    pub failures: Vec<String>,
    /// Number of successful requests.
    pub ok: usize,
    /// A status with `backend.available == false` was seen.
    pub saw_unavailable: bool,
    /// Number of successful requests that said `backend.available == false`.
    pub unavailable_ok: usize,
    /// A status with `backend.available == true` was seen after an unavailable one.
    pub saw_available: bool,
}

/// Polls `GET /v1/status` every 50 ms in the background until stopped.
pub struct StatusPoller {
    stop: Arc<AtomicBool>,
    report: Arc<Mutex<PollReport>>,
    task: tokio::task::JoinHandle<()>,
}

impl StatusPoller {
    /// Starts polling `daemon`.
    pub fn start(daemon: &Daemon) -> StatusPoller {
        let stop = Arc::new(AtomicBool::new(false));
        let report = Arc::new(Mutex::new(PollReport::default()));
        let (client, url) = (daemon.client(), daemon.url("/v1/status"));
        let (s, r) = (stop.clone(), report.clone());
        let task = tokio::spawn(async move {
            while !s.load(Ordering::SeqCst) {
                let res = client
                    .get(&url)
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                let outcome = match res {
                    Ok(resp) if resp.status() == 200 => resp
                        .json::<passerelle_protocol::ServiceStatus>()
                        .await
                        .map_err(|e| format!("bad status body: {e}")),
                    Ok(resp) => Err(format!("status {}", resp.status())),
                    Err(e) => Err(format!("{e:?}")),
                };
                {
                    let mut rep = r.lock().unwrap();
                    match outcome {
                        Ok(st) => {
                            rep.ok += 1;
                            if !st.backend.available {
                                rep.saw_unavailable = true;
                                rep.unavailable_ok += 1;
                            } else if rep.saw_unavailable {
                                rep.saw_available = true;
                            }
                        }
                        Err(e) => rep.failures.push(e),
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        StatusPoller { stop, report, task }
    }

    /// A copy of what was seen so far.
    pub fn report(&self) -> PollReport {
        self.report.lock().unwrap().clone()
    }

    /// Stops polling and returns what was seen.
    pub async fn stop(self) -> PollReport {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.task.await;
        let rep = self.report.lock().unwrap().clone();
        rep
    }
}
