//! Benchmark of the card path (not a test): insertion → event at the client, warm status
//! calls against the daemon and nginx, idle RSS, cold start, raw APDU round trip.
//!
//! `cargo run --release -p passerelle-tests --bin bench_card_path -- [--quick]`, or
//! `scripts/bench-card-path` (installs the tools, builds release, runs it). Needs root-like
//! access to the machine's pcscd (the rig owns it) and `wrk`, `nginx`. Exit code 0 even when
//! a goal is missed; non-zero when a measurement could not be taken.

#[path = "bench_card_path/apdu.rs"]
mod apdu;
#[path = "bench_card_path/cold.rs"]
mod cold;
#[path = "bench_card_path/events.rs"]
mod events;
#[path = "bench_card_path/http.rs"]
mod http;
#[path = "bench_card_path/stats.rs"]
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use passerelle_tests::{
    passerelle_bin, Backend, Daemon, PcscdRig, Resume, Simcard, SseClient, TestDir, READER_0,
    READER_1, VPCD_PORT_0, VPCD_PORT_1,
};
use serde_json::json;
use stats::{ms, r3, verdict, Summary, Table};

/// Counts and durations of one run.
struct Plan {
    quick: bool,
    cold_starts: usize,
    rounds: usize,
    wrk_secs: u64,
    apdus: usize,
}

const USAGE: &str = "usage: bench_card_path [--quick]\n  \
    --quick  fewer samples and 2 s wrk runs (CI smoke, debug build)\n\
    env: PASSERELLE_BIN (daemon binary, default target/<profile>/passerelle)";

fn main() -> ExitCode {
    let mut quick = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("bench_card_path: unknown argument {a:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let plan = if quick {
        Plan {
            quick,
            cold_starts: 2,
            rounds: 5,
            wrk_secs: 2,
            apdus: 200,
        }
    } else {
        Plan {
            quick,
            cold_starts: 5,
            rounds: 20,
            wrk_secs: 10,
            apdus: 2000,
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench_card_path: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(&plan)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nbench_card_path: a measurement could not be taken:\n{e}");
            ExitCode::FAILURE
        }
    }
}

/// VmRSS of a process, in kB.
fn rss_kb(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in /proc/{pid}/status"))
}

fn mb(kb: u64) -> String {
    format!(
        "{:.1} MB ({:.1} MiB)",
        kb as f64 * 1024.0 / 1e6,
        kb as f64 / 1024.0
    )
}

async fn run(plan: &Plan) -> Result<(), String> {
    let t_run = std::time::Instant::now();
    let dir = TestDir::new("bench_card_path");
    eprintln!("[bench] daemon binary: {}", passerelle_bin().display());
    let _rig = PcscdRig::start(&dir)?;
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:nguyen", &[])?;
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, "cps:durand-sage-femme", &[])?;
    vitale
        .wait_line("inserted", Duration::from_secs(15))
        .await?;
    cps.wait_line("inserted", Duration::from_secs(15)).await?;

    // a. Cold start (both cards in, as on a workstation that reboots with them inserted).
    eprintln!("[bench] a. cold start x{}", plan.cold_starts);
    let cold = cold::ColdStart::new(&dir)?
        .measure(plan.cold_starts)
        .await?;
    let cold = Summary::of(&cold);

    // The daemon for everything else.
    let daemon = Daemon::start(&dir, Backend::Pcsc).await?;
    let pid = daemon.pid().ok_or("daemon has no pid")?;
    daemon
        .wait_readers(
            "the Vitale and the CPS seen by the daemon",
            Duration::from_secs(15),
            |l| {
                [READER_0, READER_1]
                    .iter()
                    .all(|n| l.readers.iter().any(|r| r.name == *n && r.card.is_some()))
            },
        )
        .await?;

    // c. Insertion/removal → event.
    eprintln!("[bench] c. insertion/removal → event x{}", plan.rounds);
    let mut sse = SseClient::connect(&daemon, Resume::None).await?;
    let mut watcher = events::Watcher::start(READER_0)?;
    let rounds =
        events::measure(&mut vitale, &mut sse, &mut watcher, READER_0, plan.rounds).await?;
    drop(watcher);
    drop(sse);

    // b. Idle RSS: some requests served, both cards in, 1 s idle.
    for _ in 0..50 {
        daemon.status().await?;
    }
    daemon.readers().await?;
    daemon
        .wait_readers(
            "both cards in after the rounds",
            Duration::from_secs(15),
            |l| {
                [READER_0, READER_1]
                    .iter()
                    .all(|n| l.readers.iter().any(|r| r.name == *n && r.card.is_some()))
            },
        )
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kb(pid)?;
    eprintln!("[bench] b. idle RSS {}", mb(idle_rss));

    // d. Warm status calls, daemon then nginx with the same certificate and body.
    let body = daemon
        .client()
        .get(daemon.url("/v1/status"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("GET /v1/status: {e}"))?
        .bytes()
        .await
        .map_err(|e| format!("GET /v1/status body: {e}"))?;
    let wrk_log = dir.file("wrk.log");
    if !plan.quick {
        http::wrk(&daemon.url("/v1/status"), 1, &wrk_log).await?; // warm-up
    }
    eprintln!("[bench] d. wrk {} s against the daemon", plan.wrk_secs);
    let wd = http::wrk(&daemon.url("/v1/status"), plan.wrk_secs, &wrk_log).await?;
    let rss_after_wrk = rss_kb(pid)?;
    let nginx = http::Nginx::start(
        &dir,
        &daemon.data_dir().join("tls"),
        &body,
        &daemon.client(),
    )
    .await?;
    if !plan.quick {
        http::wrk(&nginx.url(), 1, &wrk_log).await?; // warm-up
    }
    eprintln!("[bench] d. wrk {} s against nginx", plan.wrk_secs);
    let wn = http::wrk(&nginx.url(), plan.wrk_secs, &wrk_log).await?;
    drop(nginx);

    // e. Raw APDU round trips to the CPS (the daemon holds no transaction while idle).
    eprintln!("[bench] e. {} raw APDUs", plan.apdus);
    let (apdu_times, sw) = apdu::round_trips(READER_1, plan.apdus).await?;
    let apdu = Summary::of(&apdu_times);
    if !daemon.is_running_now() {
        return Err(format!(
            "the daemon died during the run:\n{}",
            daemon.log_tail(30)
        ));
    }

    // The table.
    let mut t = Table::default();
    t.row(
        &format!("cold start → first 200 (median of {})", cold.n),
        format!(
            "{} ms (min {}, max {})",
            ms(cold.median),
            ms(cold.min),
            ms(cold.max)
        ),
        "≤ 150 ms",
        verdict(cold.median <= 150.0),
    );
    t.row(
        "idle RSS (Vitale + CPS in, after requests)",
        mb(idle_rss),
        "≤ 15 MB",
        verdict(idle_rss as f64 * 1024.0 <= 15e6),
    );
    t.row(
        "  RSS after the wrk run (info)",
        mb(rss_after_wrk),
        "-",
        "-",
    );
    let mut ev_json = serde_json::Map::new();
    let mut goals = serde_json::Map::new();
    for (name, split) in [("insert", &rounds.insert), ("remove", &rounds.remove)] {
        let (tot, pc, dm) = (
            Summary::of(&split.total),
            Summary::of(&split.pcscd),
            Summary::of(&split.daemon),
        );
        let ev = if name == "insert" {
            "card_inserted"
        } else {
            "card_removed"
        };
        t.row(
            &format!("{name} → {ev} at client, total (n={})", tot.n),
            tot.p50_p99(),
            "≤ 50 ms (p99)",
            verdict(tot.p99 <= 50.0),
        );
        t.row(
            "  of which pcscd detects it (PC/SC watcher)",
            pc.p50_p99(),
            "- (pcscd polls vpcd)",
            "-",
        );
        t.row(
            "  of which the daemon (watcher → client)",
            dm.p50_p99(),
            "≤ 50 ms (p99)",
            verdict(dm.p99 <= 50.0),
        );
        ev_json.insert(
            name.into(),
            json!({"total": tot.json(), "pcscd": pc.json(), "daemon": dm.json()}),
        );
        goals.insert(
            format!("{name}_daemon_share_p99_le_50ms"),
            json!(dm.p99 <= 50.0),
        );
        goals.insert(format!("{name}_total_p99_le_50ms"), json!(tot.p99 <= 50.0));
    }
    let ratio = wd.rps / wn.rps;
    let c = format!("wrk -t1 -c10 -d{}s", plan.wrk_secs);
    t.row(
        &format!("status req/s, daemon vs nginx ({c})"),
        format!("{:.0} vs {:.0}", wd.rps, wn.rps),
        "daemon ≥ nginx",
        format!("{} (×{ratio:.2})", verdict(ratio >= 1.0)),
    );
    t.row(
        "  status latency p50, daemon vs nginx",
        format!("{} vs {} ms", ms(wd.p50_ms), ms(wn.p50_ms)),
        "-",
        format!("×{:.2}", wd.p50_ms / wn.p50_ms),
    );
    t.row(
        "  status latency p99, daemon vs nginx",
        format!("{} vs {} ms", ms(wd.p99_ms), ms(wn.p99_ms)),
        "-",
        format!("×{:.2}", wd.p99_ms / wn.p99_ms),
    );
    let apdu_ok = apdu.mean <= 0.5;
    t.row(
        &format!("raw APDU round trip (n={}, SW {sw})", apdu.n),
        format!("mean {} / p99 {} ms", ms(apdu.mean), ms(apdu.p99)),
        "≈ 0.2 ms (≤ 0.5)",
        format!("{} (×{:.1} of 0.22)", verdict(apdu_ok), apdu.mean / 0.22),
    );
    goals.insert(
        "cold_start_median_le_150ms".into(),
        json!(cold.median <= 150.0),
    );
    goals.insert(
        "idle_rss_le_15mb".into(),
        json!(idle_rss as f64 * 1024.0 <= 15e6),
    );
    goals.insert("status_rps_ge_nginx".into(), json!(ratio >= 1.0));
    goals.insert("apdu_mean_le_0_5ms".into(), json!(apdu_ok));

    println!(
        "\nPasserelle card-path benchmark ({}, {})",
        if plan.quick { "quick" } else { "full" },
        passerelle_bin().display()
    );
    println!("{}", t.render());
    let summary = json!({
        "bench": "card_path",
        "quick": plan.quick,
        "daemon_bin": passerelle_bin().display().to_string(),
        "cold_start": cold.json(),
        "idle_rss_kb": idle_rss,
        "rss_after_wrk_kb": rss_after_wrk,
        "events": ev_json,
        "status": {"wrk": c, "daemon": wd.json(), "nginx": wn.json(), "rps_ratio": r3(ratio)},
        "apdu": {"command": "00 A4 00 00 02 3F 00", "sw": sw, "round_trip": apdu.json()},
        "goals": goals,
        "run_seconds": r3(t_run.elapsed().as_secs_f64()),
    });
    println!("{summary}");
    Ok(())
}

/// `Daemon::is_running` needs `&mut`; the daemon is shared here, so ask /proc.
trait Alive {
    fn is_running_now(&self) -> bool;
}

impl Alive for Daemon {
    fn is_running_now(&self) -> bool {
        self.pid().is_some_and(passerelle_tests::proc::alive)
    }
}
