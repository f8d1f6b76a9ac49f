//! The replacement demo page (`clients/demo/replacements.html`) in headless Chromium,
//! served from another https origin, against the daemon behind the real pcscd with the
//! trainee's CPF (`cpf:moreau-remplacant`) and the GP's CPS (`cps:lefevre-medecin`): it
//! pairs (approved through the CLI), finds both cards, the GP opens a session with the PIN
//! typed in the page, the trainee bills an FSE in it (created with the trainee's situation,
//! billed under the GP's number, signed with the CPF), and the GP closes the session; the
//! replacement events are shown live. What the page showed is compared with the daemon's
//! answers. Driven by `clients/demo/e2e-replacements.mjs`; screenshots in
//! `tests/artifacts/browser_replacement_page_opens_bills_and_closes/`.
//!
//! Runs only with `PASSERELLE_BROWSER_TESTS=1` (set by `scripts/test-clients`).

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use passerelle_protocol::{Fse, FseList, ReplacementList, ReplacementState};
use passerelle_tests::{TestDir, TwoCards};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test(flavor = "multi_thread")]
async fn browser_replacement_page_opens_bills_and_closes() {
    if std::env::var("PASSERELLE_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set PASSERELLE_BROWSER_TESTS=1 (scripts/test-clients does)");
        return;
    }
    let dir = TestDir::new("browser_replacement_page_opens_bills_and_closes");
    let cards = TwoCards::start(&dir, "cpf:moreau-remplacant", "cps:lefevre-medecin")
        .await
        .unwrap();
    let daemon = &cards.daemon;
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/demo");
    let mut node = tokio::process::Command::new("node")
        .arg(demo.join("e2e-replacements.mjs"))
        .env("DAEMON_URL", format!("https://localhost:{}", daemon.port()))
        .env("TLS_DIR", daemon.data_dir().join("tls"))
        .env("OUT_DIR", dir.path())
        .env("REPLACED_PIN", "8153")
        .env("SUBSTITUTE_PIN", "3596")
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
    let mut result = None;
    let run = async {
        while let Ok(Some(line)) = out.next_line().await {
            eprintln!("[e2e] {line}");
            if let Some(code) = line.strip_prefix("CODE ") {
                let approve = daemon.cli(&["pair", "approve", code]).await.unwrap();
                assert!(approve.status.success());
            } else if let Some(json) = line.strip_prefix("RESULT ") {
                result = Some(serde_json::from_str::<Value>(json).unwrap());
            }
        }
        node.wait().await.unwrap()
    };
    let status = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the browser run ends within 180 s");
    let result = result.expect("the page's result");
    assert!(status.success(), "e2e driver failed: {result:#}");
    assert!(dir.file("replacement-closed.png").exists());

    // What the page showed is what the daemon says.
    let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
    assert_eq!(list.sessions.len(), 1);
    let s = &list.sessions[0];
    assert_eq!(s.state, ReplacementState::Closed);
    assert_eq!(s.closed_because.as_deref(), Some("early"));
    assert_eq!(
        result["sessions"],
        serde_json::json!(["closed"]),
        "{result:#}"
    );
    let fse: FseList = daemon.get_json("/v1/fse").await.unwrap();
    let f: &Fse = &fse.fse[0];
    assert_eq!(result["fse"]["number"], f.number.as_str());
    assert_eq!(result["fse"]["billedAs"], "75123456");
    assert_eq!(f.practitioner.billing_number, "75123456");
    assert_eq!(result["fse"]["substitute"], "MOREAU (75199001)");
    assert_eq!(
        f.replacement.as_ref().map(|r| r.session_id),
        Some(s.id),
        "{result:#}"
    );
    let events: Vec<&str> = result["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        events,
        [
            format!("replacement_closed n° {}", s.id),
            format!("replacement_opened n° {}", s.id)
        ]
    );
}
