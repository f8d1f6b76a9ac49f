//! Benchmark of card reads (not a test): a Vitale read and a CPS read through the API
//! (`?refresh=true`, so each one goes to the card) against the very same APDU sequence
//! sent straight through PC/SC by a minimal client, on the same pcscd and simulated cards,
//! and against a bare HTTPS round trip (`GET /v1/status`, no card) with the same client.
//!
//! The three are interleaved request by request: each round makes one API read, one raw
//! read and one bare round trip, in an order that rotates from round to round, so drift on
//! a shared machine hits all three alike. Reported, from medians: API / raw (goal ≤ 1.15),
//! and API / (raw + bare round trip): what the daemon adds beyond the card's own time and
//! the HTTPS exchange any local API pays.
//!
//! The sequence is the one the daemon sent, as the simulated card logged it; the raw
//! client replays those bytes in one transaction per read, as the daemon does. The daemon
//! runs with the rate limit raised (300 reads a second would be refused otherwise, as
//! `scripts/schemathesis` does). `scripts/bench-card-read` (release build); `--quick` for
//! the CI smoke.

#[path = "bench_card_path/stats.rs"]
#[allow(dead_code)]
mod stats;

use std::ffi::CString;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use passerelle_tests::{Daemon, Simcard, TestDir, TwoCards, READER_0, READER_1};
use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
use stats::Summary;

const GOAL: f64 = 1.15;
/// The rate limit, raised for the run.
const UNLIMITED: &str = "[security]\nrate_limit_per_second = 100000\nrate_limit_burst = 100000\n";

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 20 } else { 300 };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_card_read: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(rounds)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nbench_card_read: a measurement could not be taken:\n{e}");
            ExitCode::FAILURE
        }
    }
}

fn route(reader: &str, what: &str) -> String {
    format!(
        "/v1/readers/{}/{what}?refresh=true",
        reader.replace(' ', "%20")
    )
}

/// The command APDUs the card logged after line `from` of its log.
fn logged_commands(log: &std::path::Path, from: usize) -> Result<Vec<Vec<u8>>, String> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("{}: {e}", log.display()))?;
    text.lines()
        .skip(from)
        .filter_map(|l| l.split("command=").nth(1))
        .map(|rest| {
            let hex = rest.split(" sw=").next().unwrap_or_default();
            hex.split_whitespace()
                .map(|b| u8::from_str_radix(b, 16).map_err(|e| format!("{hex}: {e}")))
                .collect()
        })
        .collect()
}

fn line_count(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .map(|t| t.lines().count())
        .unwrap_or(0)
}

/// One API call, timed from request to parsed answer.
async fn api_call(client: &reqwest::Client, url: &str) -> Result<Duration, String> {
    let t = Instant::now();
    let resp = client.get(url).send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
    let took = t.elapsed();
    match status.as_u16() {
        200 => Ok(took),
        _ => Err(format!("GET {url}: {status} {body}")),
    }
}

/// A minimal PC/SC client on its own thread, one connection for the whole run: each
/// message replays `apdus` in one transaction and answers how long that took.
struct RawClient {
    go: mpsc::Sender<()>,
    done: mpsc::Receiver<Result<Duration, String>>,
}

impl RawClient {
    fn start(reader: &str, apdus: Vec<Vec<u8>>) -> Result<RawClient, String> {
        let name = CString::new(reader).map_err(|e| e.to_string())?;
        let (go, rounds) = mpsc::channel::<()>();
        let (answer, done) = mpsc::channel();
        std::thread::spawn(move || {
            let card = Context::establish(Scope::User)
                .map_err(|e| format!("SCardEstablishContext: {e}"))
                .and_then(|ctx| {
                    ctx.connect(&name, ShareMode::Shared, Protocols::ANY)
                        .map_err(|e| format!("SCardConnect: {e}"))
                });
            let mut card = match card {
                Ok(card) => card,
                Err(e) => {
                    let _ = answer.send(Err(e));
                    return;
                }
            };
            let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
            for () in rounds {
                let t = Instant::now();
                let round = card
                    .transaction()
                    .map_err(|e| format!("transaction: {e}"))
                    .and_then(|tx| {
                        for apdu in &apdus {
                            let r = tx
                                .transmit(apdu, &mut buf)
                                .map_err(|e| format!("transmit: {e}"))?;
                            if r.len() < 2 {
                                return Err("answer without status word".into());
                            }
                        }
                        tx.end(Disposition::LeaveCard)
                            .map_err(|(_, e)| format!("end transaction: {e}"))
                    });
                if answer.send(round.map(|()| t.elapsed())).is_err() {
                    break;
                }
            }
            let _ = card.disconnect(Disposition::LeaveCard);
        });
        Ok(RawClient { go, done })
    }

    /// One raw read, timed on the client's thread.
    fn read(&self) -> Result<Duration, String> {
        self.go.send(()).map_err(|_| "raw client gone".to_owned())?;
        self.done.recv().map_err(|_| "raw client gone".to_owned())?
    }
}

/// The API read, the raw read and the bare round trip, `rounds` times, interleaved.
async fn compare(
    daemon: &Daemon,
    card: &Simcard,
    reader: &str,
    what: &str,
    rounds: usize,
) -> Result<([Summary; 3], usize), String> {
    let client = daemon.client();
    let (api_url, bare_url) = (daemon.url(&route(reader, what)), daemon.url("/v1/status"));
    for _ in 0..5 {
        api_call(&client, &api_url).await?; // warm-up
    }
    let from = line_count(card.log());
    api_call(&client, &api_url).await?;
    let apdus = logged_commands(card.log(), from)?;
    if apdus.is_empty() {
        return Err(format!("no APDU logged for {what}"));
    }
    let count = apdus.len();
    let raw = RawClient::start(reader, apdus)?;
    let mut samples: [Vec<Duration>; 3] = Default::default();
    for round in 0..rounds {
        for step in 0..3 {
            let which = (round + step) % 3;
            let took = match which {
                0 => api_call(&client, &api_url).await?,
                1 => tokio::task::block_in_place(|| raw.read())?,
                _ => api_call(&client, &bare_url).await?,
            };
            samples[which].push(took);
        }
    }
    Ok((samples.map(|s| Summary::of(&s)), count))
}

async fn run(rounds: usize) -> Result<(), String> {
    let dir = TestDir::new("bench_card_read");
    let TwoCards {
        pcscd: _pcscd,
        daemon,
        vitale,
        cpx: cps,
    } = TwoCards::start_with(
        &dir,
        "vitale:martin-famille",
        "cps:durand-sage-femme",
        &[],
        UNLIMITED,
    )
    .await?;
    let mut summary = serde_json::Map::new();
    println!("{rounds} rounds, each one API read, one raw read, one bare HTTPS round trip (GET /v1/status), interleaved; medians (p99) in ms");
    println!(
        "{:<8} {:>6} {:>16} {:>16} {:>16} {:>9} {:>16}",
        "read", "APDUs", "API", "raw PC/SC", "bare HTTPS", "API/raw", "API/(raw+bare)"
    );
    for (name, card, reader, what) in [
        ("vitale", &vitale, READER_0, "vitale"),
        ("cps", &cps, READER_1, "cpx"),
    ] {
        let ([api, raw, bare], apdus) = compare(&daemon, card, reader, what, rounds).await?;
        let ratio = api.median / raw.median;
        let floor = api.median / (raw.median + bare.median);
        let cell = |s: &Summary| format!("{:.3} ({:.3})", s.median, s.p99);
        println!(
            "{name:<8} {apdus:>6} {:>16} {:>16} {:>16} {ratio:>9.3} {floor:>16.3}  {}",
            cell(&api),
            cell(&raw),
            cell(&bare),
            if ratio <= GOAL { "ok" } else { "MISSED" }
        );
        summary.insert(
            name.into(),
            serde_json::json!({ "apdus": apdus, "api": api.json(), "raw": raw.json(), "bare_https": bare.json(),
                "ratio_median": ratio, "ratio_to_raw_plus_bare": floor,
                "goal": GOAL, "met": ratio <= GOAL }),
        );
    }
    println!("{}", serde_json::Value::Object(summary));
    Ok(())
}
