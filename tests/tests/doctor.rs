//! `passerelle doctor` against real parts: pcscd with a virtual card, the daemon over TLS,
//! an NSS database handled with certutil, a port held by another program, and a service
//! manager (a `systemctl` on PATH) that answers "stopped" then "running".

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use passerelle_installation::{
    ca_fingerprint, ca_nickname, Installation, ServiceMode, RECORD_FORMAT,
};
use passerelle_tests::{
    passerelle_bin, Backend, Daemon, PcscdRig, Simcard, TestDir, READER_0, VPCD_PORT_0,
};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(10);

/// Runs `passerelle doctor --json` as a user whose home is `home`; exit success and findings.
fn doctor(config: &Path, home: &Path, path_prefix: Option<&Path>) -> (bool, Vec<Value>) {
    let mut path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(prefix) = path_prefix {
        let mut joined = prefix.as_os_str().to_owned();
        joined.push(":");
        joined.push(&path);
        path = joined;
    }
    let out = Command::new(passerelle_bin())
        .args(["doctor", "--json", "--config"])
        .arg(config)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("PATH", path)
        .output()
        .expect("passerelle doctor runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let findings: Vec<Value> = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json: {e}\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), findings)
}

/// The verdict and message of the one finding named `check`.
fn finding(findings: &[Value], check: &str) -> (String, String) {
    let matching: Vec<&Value> = findings.iter().filter(|f| f["check"] == check).collect();
    assert_eq!(matching.len(), 1, "one {check} finding in {findings:#?}");
    (
        matching[0]["verdict"].as_str().unwrap().to_owned(),
        matching[0]["message"].as_str().unwrap().to_owned(),
    )
}

fn certutil(db: &Path, args: &[&str]) {
    let out = Command::new("certutil")
        .arg("-d")
        .arg(format!("sql:{}", db.display()))
        .args(args)
        .output()
        .expect("certutil (libnss3-tools) runs");
    assert!(out.status.success(), "certutil {args:?}: {out:?}");
}

/// A `systemctl` that exits with `code` (systemctl status: 0 running, 3 stopped).
fn fake_systemctl(dir: &Path, code: i32) -> PathBuf {
    let bin = dir.join(format!("systemctl-{code}"));
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("systemctl");
    std::fs::write(&script, format!("#!/bin/sh\nexit {code}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_each_broken_condition() {
    let dir = TestDir::new("doctor_reports_each_broken_condition");
    let mut pcscd = PcscdRig::start(&dir).unwrap();
    let mut daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", &[]).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    let config = daemon.config_path().to_owned();
    let home = dir.subdir("home");

    // Everything runs; this user's Chromium has no certificate database yet.
    let (ok, f) = doctor(&config, &home, None);
    assert_eq!(finding(&f, "pcscd").0, "ok");
    let (verdict, readers) = finding(&f, "readers");
    assert_eq!(verdict, "ok");
    assert!(readers.contains(READER_0), "{readers}");
    assert_eq!(finding(&f, "certificate").0, "ok");
    let (verdict, port) = finding(&f, "port");
    assert_eq!(
        (verdict.as_str(), port.contains("répond")),
        ("ok", true),
        "{port}"
    );
    assert_eq!(finding(&f, "trust.nss:chromium").0, "warning");
    assert_eq!(finding(&f, "service").0, "skipped");
    assert_eq!(finding(&f, "store").0, "ok");
    assert_eq!(finding(&f, "audit").0, "ok");
    // The test's authority is not in this machine's system store: a warning when the
    // service was not installed for the system.
    assert_eq!(finding(&f, "trust.system").0, "warning");
    assert!(ok, "warnings alone do not fail the doctor: {f:#?}");

    // The authority in the database but not trusted for sites, then trusted.
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).unwrap();
    certutil(&db, &["-N", "--empty-password"]);
    let pem = std::fs::read_to_string(daemon.ca_path()).unwrap();
    let nickname = ca_nickname(&ca_fingerprint(&pem).unwrap());
    let ca = daemon.ca_path();
    let ca = ca.to_str().unwrap();
    certutil(&db, &["-A", "-t", ",,", "-n", &nickname, "-i", ca]);
    let (ok, f) = doctor(&config, &home, None);
    let (verdict, message) = finding(&f, "trust.nss:chromium");
    assert_eq!(verdict, "problem", "{message}");
    assert!(message.contains("sans la confiance"), "{message}");
    assert!(!ok);
    certutil(&db, &["-M", "-t", "C,,", "-n", &nickname]);
    let (ok, f) = doctor(&config, &home, None);
    assert_eq!(finding(&f, "trust.nss:chromium").0, "ok", "{f:#?}");
    assert!(ok, "{f:#?}");

    // Another program on the port.
    daemon.stop();
    let squatter = TcpListener::bind(("127.0.0.1", daemon.port())).unwrap();
    let (ok, f) = doctor(&config, &home, None);
    let (verdict, message) = finding(&f, "port");
    assert_eq!(verdict, "problem", "{message}");
    assert!(message.contains("autre programme"), "{message}");
    assert_eq!(finding(&f, "service").0, "warning");
    assert!(!ok);
    drop(squatter);
    let (_, f) = doctor(&config, &home, None);
    let (verdict, message) = finding(&f, "port");
    assert_eq!(
        (verdict.as_str(), message.contains("libre")),
        ("ok", true),
        "{message}"
    );

    // pcscd stopped.
    pcscd.kill_pcscd();
    let (ok, f) = doctor(&config, &home, None);
    let (verdict, message) = finding(&f, "pcscd");
    assert_eq!(verdict, "problem", "{message}");
    assert!(message.contains("pcscd"), "{message}");
    assert!(f.iter().all(|x| x["check"] != "readers"), "{f:#?}");
    assert!(!ok);

    // Installed as a user service: the service manager says stopped, then running.
    let record = Installation {
        format: RECORD_FORMAT,
        mode: ServiceMode::User,
        installed_at: "2026-11-23T12:00:00Z".into(),
        program: passerelle_bin(),
        config_file: config.clone(),
        data_dir: daemon.data_dir().to_owned(),
        unit_file: home.join(".config/systemd/user/passerelle.service"),
        ca_fingerprint: ca_fingerprint(&pem).unwrap(),
        app_origins: vec![],
        trust: vec![],
        policy_files: vec![],
        created: vec![],
    };
    std::fs::create_dir_all(home.join(".config/passerelle")).unwrap();
    record
        .save(&home.join(".config/passerelle/installation.json"))
        .unwrap();
    let (ok, f) = doctor(&config, &home, Some(&fake_systemctl(dir.path(), 3)));
    let (verdict, message) = finding(&f, "service");
    assert_eq!(verdict, "problem", "{message}");
    assert!(message.contains("arrêté"), "{message}");
    assert!(!ok);
    let (_, f) = doctor(&config, &home, Some(&fake_systemctl(dir.path(), 0)));
    assert_eq!(finding(&f, "service").0, "ok", "{f:#?}");
}
