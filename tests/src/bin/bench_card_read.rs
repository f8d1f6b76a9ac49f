//! Benchmark of card reads (not a test): a Vitale read and a CPS read through the API
//! (`?refresh=true`, so each one goes to the card) against the very same APDU sequence
//! sent straight through PC/SC by a minimal client, in the same run, on the same pcscd and
//! simulated cards. Goal: API / raw ≤ 1.15 (medians).
//!
//! The sequence is the one the daemon sent, as the simulated card logged it; the raw
//! client replays those bytes in one transaction per read, as the daemon does.
//! `scripts/bench-card-read` (release build); `--quick` for the CI smoke.

#[path = "bench_card_path/stats.rs"]
#[allow(dead_code)]
mod stats;

use std::ffi::CString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use passerelle_tests::{Daemon, Simcard, TestDir, TwoCards, READER_0, READER_1};
use pcsc::{Context, Disposition, Protocols, Scope, ShareMode};
use stats::Summary;

const GOAL: f64 = 1.15;

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

/// `rounds` reads by the API, each timed from request to parsed answer.
async fn api_reads(daemon: &Daemon, path: &str, rounds: usize) -> Result<Vec<Duration>, String> {
    let client = daemon.client();
    let url = daemon.url(path);
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let resp = client.get(&url).send().await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        times.push(t.elapsed());
        if status != 200 {
            return Err(format!("GET {path}: {status} {body}"));
        }
    }
    Ok(times)
}

/// `rounds` replays of `apdus` in one transaction each, by a minimal PC/SC client.
fn raw_reads(reader: &str, apdus: &[Vec<u8>], rounds: usize) -> Result<Vec<Duration>, String> {
    let ctx = Context::establish(Scope::User).map_err(|e| format!("SCardEstablishContext: {e}"))?;
    let name = CString::new(reader).map_err(|e| e.to_string())?;
    let mut card = ctx
        .connect(&name, ShareMode::Shared, Protocols::ANY)
        .map_err(|e| format!("SCardConnect: {e}"))?;
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let tx = card
            .transaction()
            .map_err(|e| format!("transaction: {e}"))?;
        for apdu in apdus {
            let r = tx
                .transmit(apdu, &mut buf)
                .map_err(|e| format!("transmit: {e}"))?;
            if r.len() < 2 {
                return Err("answer without status word".into());
            }
        }
        tx.end(Disposition::LeaveCard)
            .map_err(|(_, e)| format!("end transaction: {e}"))?;
        times.push(t.elapsed());
    }
    card.disconnect(Disposition::LeaveCard)
        .map_err(|(_, e)| format!("disconnect: {e}"))?;
    Ok(times)
}

async fn compare(
    daemon: &Daemon,
    card: &Simcard,
    reader: &str,
    what: &str,
    rounds: usize,
) -> Result<(Summary, Summary, usize), String> {
    let path = route(reader, what);
    api_reads(daemon, &path, 5).await?; // warm-up
    let from = line_count(card.log());
    api_reads(daemon, &path, 1).await?;
    let apdus = logged_commands(card.log(), from)?;
    if apdus.is_empty() {
        return Err(format!("no APDU logged for {what}"));
    }
    let (mut api, mut raw) = (Vec::new(), Vec::new());
    // Interleaved batches, so drift on the machine hits both sides alike.
    for _ in 0..5 {
        api.extend(api_reads(daemon, &path, rounds / 5).await?);
        let (r, a) = (reader.to_owned(), apdus.clone());
        let n = rounds / 5;
        raw.extend(
            tokio::task::spawn_blocking(move || raw_reads(&r, &a, n))
                .await
                .map_err(|e| e.to_string())??,
        );
    }
    Ok((Summary::of(&api), Summary::of(&raw), apdus.len()))
}

async fn run(rounds: usize) -> Result<(), String> {
    let dir = TestDir::new("bench_card_read");
    let TwoCards {
        pcscd: _pcscd,
        daemon,
        vitale,
        cpx: cps,
    } = TwoCards::start(&dir, "vitale:martin-famille", "cps:durand-sage-femme").await?;
    let mut summary = serde_json::Map::new();
    println!(
        "{:<14} {:>6} {:>22} {:>22} {:>8}",
        "read", "APDUs", "API median (p99) ms", "raw median (p99) ms", "ratio"
    );
    for (name, card, reader, what) in [
        ("vitale", &vitale, READER_0, "vitale"),
        ("cps", &cps, READER_1, "cpx"),
    ] {
        let (api, raw, apdus) = compare(&daemon, card, reader, what, rounds).await?;
        let ratio = api.median / raw.median;
        println!(
            "{name:<14} {apdus:>6} {:>14.3} ({:>6.3}) {:>14.3} ({:>6.3}) {ratio:>8.3} {}",
            api.median,
            api.p99,
            raw.median,
            raw.p99,
            if ratio <= GOAL { "ok" } else { "MISSED" }
        );
        summary.insert(
            name.into(),
            serde_json::json!({ "apdus": apdus, "api": api.json(), "raw": raw.json(),
                "ratio_median": ratio, "goal": GOAL, "met": ratio <= GOAL }),
        );
    }
    // The floor of any API call with this client: a request that touches no card.
    let floor = Summary::of(&api_reads(&daemon, "/v1/status", rounds).await?);
    println!(
        "{:<14} {:>6} {:>14.3} ({:>6.3})   (HTTPS round trip of GET /v1/status, no card)",
        "api floor", 0, floor.median, floor.p99
    );
    summary.insert("status_floor".into(), floor.json());
    println!("{}", serde_json::Value::Object(summary));
    Ok(())
}
