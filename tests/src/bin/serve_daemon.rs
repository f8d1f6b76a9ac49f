//! Starts a daemon through the test rig (simulated backend, paired with every scope) for
//! tools outside Rust (`scripts/schemathesis`), prints one JSON line on stdout:
//! `{"url", "port", "token", "ca", "data_dir"}`, and runs until its standard input closes.
//!
//! `serve_daemon [NAME] [EXTRA_CONFIG_FILE]`: logs go to `tests/artifacts/NAME/`
//! (default `serve_daemon`); the optional file is appended to the daemon's configuration.

use std::io::Read;

use passerelle_tests::{Backend, Daemon, TestDir};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "serve_daemon".to_owned());
    let extra = match args.next() {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => {
                eprintln!("serve_daemon: read {path}: {e}");
                std::process::exit(2);
            }
        },
        None => String::new(),
    };
    let dir = TestDir::new(&name);
    let daemon = match Daemon::start_with(&dir, Backend::Simulated, &extra).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("serve_daemon: {e}");
            std::process::exit(1);
        }
    };
    let line = serde_json::json!({
        "url": format!("https://localhost:{}", daemon.port()),
        "port": daemon.port(),
        "token": daemon.token(),
        "ca": daemon.ca_path(),
        "data_dir": daemon.data_dir(),
    });
    println!("{line}");
    // Runs until the caller closes stdin (or dies); the daemon stops on drop.
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
    drop(daemon);
}
