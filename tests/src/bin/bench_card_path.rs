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
#[path = "bench_card_path/report.rs"]
mod report;
#[path = "bench_card_path/stats.rs"]
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use passerelle_tests::{
    passerelle_bin, Backend, Daemon, PcscdRig, Resume, Simcard, SseClient, TestDir, READER_0,
    READER_1, VPCD_PORT_0, VPCD_PORT_1,
};
use stats::Summary;

/// Counts and durations of one run.
struct Plan {
    quick: bool,
    cold_starts: usize,
    rounds: usize,
    wrk_secs: u64,
    apdus: usize,
    /// `server.worker_threads` of the daemon (`None`: its default).
    workers: Option<usize>,
    /// nginx's `worker_processes`.
    nginx_workers: usize,
}

const USAGE: &str = "usage: bench_card_path [--quick] [--workers N] [--nginx-workers N]\n  \
    --quick  fewer samples and 2 s wrk runs (CI smoke, debug build)\n  \
    --workers N  the daemon's server.worker_threads (default: the daemon's default)\n  \
    --nginx-workers N  nginx's worker_processes (default 1)\n\
    env: PASSERELLE_BIN (daemon binary, default target/<profile>/passerelle)";

fn main() -> ExitCode {
    let mut quick = false;
    let (mut workers, mut nginx_workers) = (None, 1);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = || args.next().and_then(|n| n.parse::<usize>().ok());
        match a.as_str() {
            "--quick" => quick = true,
            "--workers" | "--nginx-workers" => {
                let Some(n) = number().filter(|n| *n > 0) else {
                    eprintln!("bench_card_path: {a} takes a number of threads\n{USAGE}");
                    return ExitCode::from(2);
                };
                match a.as_str() {
                    "--workers" => workers = Some(n),
                    _ => nginx_workers = n,
                }
            }
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
            workers,
            nginx_workers,
        }
    } else {
        Plan {
            quick,
            cold_starts: 5,
            rounds: 20,
            wrk_secs: 10,
            apdus: 2000,
            workers,
            nginx_workers,
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

/// Whether both vpcd readers are listed with a card.
fn both_cards_in(l: &passerelle_protocol::ReaderList) -> bool {
    [READER_0, READER_1]
        .iter()
        .all(|n| l.readers.iter().any(|r| r.name == *n && r.card.is_some()))
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
    let cold_req = Summary::of(&cold.iter().map(|c| c.1).collect::<Vec<_>>());
    let cold = Summary::of(&cold.iter().map(|c| c.0).collect::<Vec<_>>());

    // The daemon for everything else.
    // The rate limit would turn most of wrk's requests into 429s: lift it for the bench.
    let mut config =
        "[security]\nrate_limit_per_second = 1000000000\nrate_limit_burst = 1000000000\n"
            .to_owned();
    if let Some(n) = plan.workers {
        config.push_str(&format!("\n[server]\nworker_threads = {n}\n"));
    }
    eprintln!(
        "[bench] daemon worker threads: {}, nginx workers: {}",
        plan.workers.map_or("default".to_owned(), |n| n.to_string()),
        plan.nginx_workers
    );
    let daemon = Daemon::start_with(&dir, Backend::Pcsc, &config).await?;
    let pid = daemon.pid().ok_or("daemon has no pid")?;
    daemon
        .wait_readers(
            "the Vitale and the CPS seen by the daemon",
            Duration::from_secs(15),
            both_cards_in,
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
            both_cards_in,
        )
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kb(pid)?;
    eprintln!("[bench] b. idle RSS {}", report::mb(idle_rss));

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
        plan.nginx_workers,
    )
    .await?;
    if !plan.quick {
        http::wrk(&nginx.url(), 1, &wrk_log).await?; // warm-up
    }
    eprintln!("[bench] d. wrk {} s against nginx", plan.wrk_secs);
    let wn = http::wrk(&nginx.url(), plan.wrk_secs, &wrk_log).await?;
    // Status calls without keep-alive (a new TLS connection each), daemon vs nginx.
    let fresh = cold::tls_client(&daemon.ca_path())?;
    let fresh_n = if plan.quick { 10 } else { 50 };
    let fd = Summary::of(&http::fresh_calls(&fresh, &daemon.url("/v1/status"), fresh_n).await?);
    let fnx = Summary::of(&http::fresh_calls(&fresh, &nginx.url(), fresh_n).await?);
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

    report::print(report::Results {
        quick: plan.quick,
        wrk_secs: plan.wrk_secs,
        cold,
        cold_req,
        idle_rss,
        rss_after_wrk,
        rounds,
        wd,
        wn,
        fd,
        fnx,
        apdu,
        sw,
        run_secs: t_run.elapsed().as_secs_f64(),
    });
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
