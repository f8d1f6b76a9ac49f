//! The result table and the one-line JSON summary.

use passerelle_tests::passerelle_bin;
use serde_json::json;

use crate::events::Rounds;
use crate::http::Wrk;
use crate::stats::{ms, r3, verdict, Summary, Table};

/// Everything one run measured.
pub struct Results {
    pub quick: bool,
    pub wrk_secs: u64,
    /// Spawn → first 200.
    pub cold: Summary,
    /// The answering request alone (TLS handshake + GET).
    pub cold_req: Summary,
    /// VmRSS in kB.
    pub idle_rss: u64,
    pub rss_after_wrk: u64,
    pub rounds: Rounds,
    /// wrk against the daemon, against nginx.
    pub wd: Wrk,
    pub wn: Wrk,
    /// Status calls on a new TLS connection each: daemon, nginx.
    pub fd: Summary,
    pub fnx: Summary,
    pub apdu: Summary,
    /// Status word of the APDU answers.
    pub sw: String,
    pub run_secs: f64,
}

/// `12.3 MB (11.7 MiB)` from kB.
pub fn mb(kb: u64) -> String {
    format!(
        "{:.1} MB ({:.1} MiB)",
        kb as f64 * 1024.0 / 1e6,
        kb as f64 / 1024.0
    )
}

/// Prints the table, then the JSON summary as the last line of standard output.
pub fn print(r: Results) {
    let Results {
        quick,
        wrk_secs,
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
        run_secs,
    } = r;
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
        "  of which the answering request (TLS + GET)",
        format!("median {} ms", ms(cold_req.median)),
        "-",
        "-",
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
    let c = format!("wrk -t1 -c10 -d{}s", wrk_secs);
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
    t.row(
        &format!(
            "status, new TLS connection each, daemon vs nginx (n={})",
            fd.n
        ),
        format!("p50 {} vs {} ms", ms(fd.p50), ms(fnx.p50)),
        "-",
        format!("×{:.2}", fd.p50 / fnx.p50),
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
        if quick { "quick" } else { "full" },
        passerelle_bin().display()
    );
    println!("{}", t.render());
    let summary = json!({
        "bench": "card_path",
        "quick": quick,
        "daemon_bin": passerelle_bin().display().to_string(),
        "cold_start": cold.json(),
        "cold_start_answering_request": cold_req.json(),
        "idle_rss_kb": idle_rss,
        "rss_after_wrk_kb": rss_after_wrk,
        "events": ev_json,
        "status": {"wrk": c, "daemon": wd.json(), "nginx": wn.json(), "rps_ratio": r3(ratio),
            "new_connection_each": {"daemon": fd.json(), "nginx": fnx.json()}},
        "apdu": {"command": "00 A4 00 00 02 3F 00", "sw": sw, "round_trip": apdu.json()},
        "goals": goals,
        "run_seconds": r3(run_secs),
    });
    println!("{summary}");
}
