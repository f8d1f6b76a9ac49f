//! The audit log on disk (issue 12, finding 7): dropping its last lines is detected by
//! `passerelle audit verify` (a checkpoint kept apart from the log), and the log rotates
//! by size with the hash chain continued across files, verified as a set.

mod common;

use std::time::Duration;

use common::security::*;
use passerelle_tests::*;

fn verify(d: &Daemon) -> std::process::Output {
    std::process::Command::new(passerelle_bin())
        .args(["audit", "verify", "--data-dir"])
        .arg(d.data_dir())
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_last_lines_is_detected() {
    let dir = TestDir::new("dropping_the_last_lines_is_detected");
    let mut d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    pair_web(&d, APP, &["read_cards"]).await;
    d.stop();
    let ok = verify(&d);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let path = d.data_dir().join("audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 4, "{text}");
    let kept = lines[..lines.len() - 2].join("\n") + "\n";
    std::fs::write(&path, kept).unwrap();
    let out = verify(&d);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a truncated log must not verify");
    assert!(err.contains("tronqué"), "{err}");
    // A restarted daemon records the truncation it found, so it stays visible.
    d.restart().await.unwrap();
    let page = audit(&d).await;
    assert!(
        page.entries.iter().any(|e| e.action == "audit_truncated"),
        "{:?}",
        page.entries.iter().map(|e| &e.action).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_rotates_by_size_and_verifies_as_a_set() {
    let dir = TestDir::new("the_log_rotates_by_size_and_verifies_as_a_set");
    let d = Daemon::start_with(&dir, Backend::Simulated, "[audit]\nrotate_bytes = 4096\n")
        .await
        .unwrap();
    for i in 0..30 {
        let origin = format!("https://refused-{i}.example");
        get(&d, "/v1/readers", Some(&origin), None).await;
        pair_web(&d, APP, &["read_cards"]).await;
        if std::fs::read_dir(d.data_dir())
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("audit-") && name.ends_with(".jsonl")
            })
            .count()
            >= 2
        {
            break;
        }
    }
    let mut rotated: Vec<String> = std::fs::read_dir(d.data_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("audit-") && n.ends_with(".jsonl"))
        .collect();
    rotated.sort();
    assert!(rotated.len() >= 2, "no rotation: {rotated:?}");
    for name in &rotated {
        let size = std::fs::metadata(d.data_dir().join(name)).unwrap().len();
        assert!(size <= 4096 + 2048, "{name}: {size} bytes");
    }
    let ok = verify(&d);
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        said.contains(&format!("{} fichiers", rotated.len() + 1)),
        "{said}"
    );
    // The API pages through the whole set, in order.
    let page = audit(&d).await;
    let seqs: Vec<u64> = page.entries.iter().map(|e| e.seq).collect();
    assert_eq!(seqs[0], 1);
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    // A rotated file removed from the middle breaks the set.
    std::fs::remove_file(d.data_dir().join(&rotated[0])).unwrap();
    let out = verify(&d);
    assert!(
        !out.status.success(),
        "a set missing its first file must not verify"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusal_lines_are_bounded_per_os_user() {
    let dir = TestDir::new("refusal_lines_are_bounded_per_os_user");
    let d = Daemon::start_with(
        &dir,
        Backend::Simulated,
        "[security]\nrate_limit_per_second = 1\nrate_limit_burst = 5\n",
    )
    .await
    .unwrap();
    // Nine made-up origins, ten refused requests each, from one OS user.
    for i in 0..9 {
        let origin = format!("https://made-up-{i}.example");
        for _ in 0..10 {
            assert_eq!(
                get(&d, "/v1/readers", Some(&origin), None).await.status(),
                403
            );
        }
    }
    let text = std::fs::read_to_string(d.data_dir().join("audit.jsonl")).unwrap();
    let refused: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["action"] == "refused")
        .collect();
    assert!(
        refused.len() <= 10,
        "{} refusal lines for 90 refused requests of one OS user",
        refused.len()
    );
    // What was left out is summed up (within 10 s), under that OS user.
    let written: u64 = refused.len() as u64;
    let summed = poll_until(
        "the refusals summed up",
        Duration::from_secs(15),
        || async {
            let text = std::fs::read_to_string(d.data_dir().join("audit.jsonl")).unwrap();
            let total: u64 = text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .map(|v| match v["action"].as_str() {
                    Some("refusals_suppressed") => v["details"]["count"].as_u64().unwrap_or(0),
                    Some("refused") => v["details"]["suppressed_before"].as_u64().unwrap_or(0),
                    _ => 0,
                })
                .sum();
            if total + written >= 90 {
                Ok(total)
            } else {
                Err(format!("{total} summed up"))
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(
        summed + written,
        90,
        "every refusal is written or counted once"
    );
}
