//! The workspace's layers, as its dependency graph shows them, and what a packaged build
//! leaves out (issue 11):
//! - the card crate has no async runtime, no HTTP server and no SQLite; the billing crate
//!   no PC/SC, no cards and no HTTP; the installer and the installation crate none of axum,
//!   pcsc or rusqlite (`cargo tree`, normal dependencies);
//! - `passerelle-agent --no-default-features` builds a daemon without the simulator: no
//!   fixture key in the binary (the default build has them, so the search can fail), no
//!   `simcard` command.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The names of every crate `package` depends on (normal dependencies, host target).
fn dependencies(package: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .args(["--format", "{lib}"])
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or("").to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn assert_none(package: &str, forbidden: &[&str]) {
    let deps = dependencies(package);
    assert!(deps.len() > 3, "{package}: too few crates read: {deps:?}");
    let found: Vec<_> = forbidden.iter().filter(|f| deps.contains(**f)).collect();
    assert!(found.is_empty(), "{package} depends on {found:?}");
}

#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    assert_none(
        "passerelle-cards",
        &["tokio", "axum", "hyper", "rusqlite", "passerelle_billing"],
    );
    assert_none(
        "passerelle-billing",
        &["pcsc", "axum", "hyper", "tokio", "passerelle_cards"],
    );
    assert_none(
        "passerelle-installation",
        &["axum", "pcsc", "rusqlite", "tokio"],
    );
    assert_none(
        "passerelle-installer",
        &["axum", "pcsc", "rusqlite", "passerelle_agent", "reqwest"],
    );
    assert_none("passerelle-simcard", &["tokio", "axum", "rusqlite"]);
    assert_none(
        "passerelle-transmission",
        &["axum", "pcsc", "passerelle_cards", "passerelle_agent"],
    );
    assert_none(
        "passerelle-protocol",
        &["tokio", "axum", "pcsc", "rusqlite"],
    );
    // The checks can fail: the daemon does have what the others must not.
    let daemon = dependencies("passerelle-agent");
    for needed in [
        "axum",
        "pcsc",
        "tokio",
        "passerelle_cards",
        "passerelle_billing",
    ] {
        assert!(daemon.contains(needed), "the daemon lacks {needed}");
    }
}

/// A line of a fixture's private key: in the binary only if the simulator is.
fn fixture_key_line() -> String {
    let key = std::fs::read_to_string(
        workspace().join("simcard/fixtures/keys/durand-sage-femme-sig.key"),
    )
    .unwrap();
    let line = key.lines().nth(5).unwrap().to_owned();
    assert!(line.len() >= 60, "{line}");
    line
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_packaged_build_has_no_simulator_and_no_fixture_key() {
    let target = workspace().join("target/packaged");
    let status = Command::new(env!("CARGO"))
        .current_dir(workspace())
        .args([
            "build",
            "-q",
            "-p",
            "passerelle-agent",
            "--bin",
            "passerelle",
        ])
        .args(["--no-default-features", "--target-dir"])
        .arg(&target)
        .status()
        .expect("cargo build");
    assert!(status.success());
    let packaged = target.join("debug/passerelle");
    let key = fixture_key_line();
    let default = std::fs::read(passerelle_tests::passerelle_bin()).unwrap();
    assert!(
        contains(&default, key.as_bytes()),
        "the default build should hold the simulator's test keys"
    );
    let bytes = std::fs::read(&packaged).unwrap();
    assert!(
        !contains(&bytes, key.as_bytes()),
        "a fixture key is in the packaged binary"
    );
    // Nor the fictitious people (the default configuration's text still names the
    // simulated cards a simulator build would put in its readers).
    for marker in ["DURAND", "NGUYEN", "SANTONI"] {
        assert!(
            !contains(&bytes, marker.as_bytes()),
            "{marker} is in the packaged binary"
        );
    }
    let help = Command::new(&packaged).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("doctor") && !help.contains("simcard"),
        "{help}"
    );
}
