//! The demo billing page (`clients/demo/`) in headless Chromium, served from another https
//! origin, pairs with the daemon (approved through the CLI), lists the readers and reads
//! a simulated Carte Vitale behind pcscd. Driven by `clients/demo/e2e.mjs`
//! (playwright-core, Debian's `/usr/bin/chromium`); screenshot in
//! `tests/artifacts/browser_demo_page_pairs_and_reads_a_vitale/demo.png`.
//!
//! Runs only with `PASSERELLE_BROWSER_TESTS=1` (set by `scripts/test-clients`, which
//! installs the npm packages and builds the TypeScript client first).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use passerelle_tests::{Backend, Daemon, PcscdRig, Simcard, TestDir, VPCD_PORT_0};
use tokio::io::{AsyncBufReadExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread")]
async fn browser_demo_page_pairs_and_reads_a_vitale() {
    if std::env::var("PASSERELLE_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set PASSERELLE_BROWSER_TESTS=1 (scripts/test-clients does)");
        return;
    }
    let dir = TestDir::new("browser_demo_page_pairs_and_reads_a_vitale");
    let _pcscd = PcscdRig::start(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", &[]).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    daemon
        .wait_readers("the Vitale identified", WAIT, |l| {
            l.readers.iter().any(|r| r.card.is_some())
        })
        .await
        .unwrap();

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/demo");
    let mut node = tokio::process::Command::new("node")
        .arg(demo.join("e2e.mjs"))
        .env("DAEMON_URL", format!("https://localhost:{}", daemon.port()))
        .env("TLS_DIR", daemon.data_dir().join("tls"))
        .env("OUT_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node (scripts/test-clients installs the demo's packages)");
    let mut out = BufReader::new(node.stdout.take().unwrap()).lines();
    let mut err = BufReader::new(node.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = err.next_line().await {
            eprintln!("[e2e] {line}");
        }
    });

    let mut app_origin = String::new();
    let mut result = None;
    let run = async {
        while let Ok(Some(line)) = out.next_line().await {
            eprintln!("[e2e] {line}");
            if let Some(origin) = line.strip_prefix("APP ") {
                app_origin = origin.to_owned();
            } else if let Some(code) = line.strip_prefix("CODE ") {
                // The practitioner compares the code and approves it with the CLI.
                let pending = daemon.cli(&["pair", "list"]).await.unwrap();
                let listed = String::from_utf8_lossy(&pending.stdout).to_string();
                assert!(listed.contains(code), "pair list: {listed}");
                assert!(listed.contains(&app_origin), "pair list: {listed}");
                let approve = daemon.cli(&["pair", "approve", code]).await.unwrap();
                assert!(
                    approve.status.success(),
                    "{}",
                    String::from_utf8_lossy(&approve.stderr)
                );
            } else if let Some(json) = line.strip_prefix("RESULT ") {
                result = Some(serde_json::from_str::<serde_json::Value>(json).unwrap());
            }
        }
        node.wait().await.unwrap()
    };
    let status = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the browser run ends within 120 s");
    let result = result.expect("the page's result");
    assert!(status.success(), "e2e driver failed: {result}");
    assert_eq!(result["state"], "lu", "{result}");
    assert!(app_origin.starts_with("https://127.0.0.1:"));
    assert_eq!(result["origin"], app_origin.as_str());
    assert_eq!(result["insured"], "MARTIN PIERRE");
    assert_eq!(result["nir"], "178067511223315");
    assert_eq!(result["beneficiaries"].as_array().map(Vec::len), Some(4));
    assert!(result["readers"].to_string().contains("vitale"), "{result}");
    assert!(dir.file("demo.png").exists(), "screenshot saved");

    // The grant is bound to the page's origin and has only the scope it asked for.
    let grants: serde_json::Value = daemon.get_json("/v1/grants").await.unwrap();
    let grant = grants["grants"]
        .as_array()
        .and_then(|g| {
            g.iter()
                .find(|g| g["client"].to_string().contains(&app_origin))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no grant for {app_origin}: {grants}"));
    assert_eq!(grant["scopes"], serde_json::json!(["read_cards"]));
}
