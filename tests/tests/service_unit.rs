//! The daemon as its hardened system unit runs it (issue 6). There is no systemd as PID 1
//! here, so each restriction of the unit `passerelle-install` writes is checked on its own,
//! on a real run through pcscd:
//! - `systemd-analyze verify` accepts the unit, and `systemd-analyze security --offline`
//!   rates its exposure at most 2.0 ("OK");
//! - the daemon runs as an unprivileged uid with no capability and no new privileges
//!   (`DynamicUser=`, `CapabilityBoundingSet=`, `NoNewPrivileges=`), owns only its data dir
//!   (`StateDirectory=`), and still reaches the readers through pcscd;
//! - traced by `strace` while it reads both cards, verifies a PIN, signs, signs FSE and
//!   builds a lot, then stops on SIGTERM: every system call it makes is in the unit's
//!   `SystemCallFilter=` (expanded by `systemd-analyze` itself), it never asks for memory
//!   both writable and executable (`MemoryDenyWriteExecute=`), and it writes nowhere but
//!   in its data dir (`ProtectSystem=strict`).

mod common;
#[path = "service_unit/trace.rs"]
mod trace;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::billing::{accepted, from_vitale, json_of, post_keyed};
use common::{route, wait_card};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{CpxCard, FseSignResponse, LotList, VitaleCard};
use passerelle_tests::{
    Backend, Daemon, Launcher, PcscdRig, Simcard, TestDir, READER_0, READER_1, VPCD_PORT_0,
    VPCD_PORT_1,
};
use serde_json::{json, Value};

/// A uid of systemd's `DynamicUser=` range (61184–65519) that no account here uses.
const UID: u32 = 61_873;
const WAIT: Duration = Duration::from_secs(15);

/// The values of `key=` in `unit`, in order.
fn directive<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

fn run(argv: &[&str]) -> std::process::Output {
    Command::new(argv[0])
        .args(&argv[1..])
        .output()
        .unwrap_or_else(|e| panic!("{argv:?}: {e} (scripts/install-test-deps)"))
}

/// Writes the system unit for `program` next to it; checks it with `systemd-analyze`.
fn analysed_unit(dir: &TestDir, program: &Path) -> String {
    let unit =
        passerelle_installer::unit::system_unit(program, Path::new("/etc/passerelle/config.toml"));
    let path = dir.file("passerelle.service");
    std::fs::write(&path, &unit).unwrap();
    let path = path.to_str().unwrap();
    let verify = run(&["systemd-analyze", "verify", path]);
    assert!(
        verify.status.success() && verify.stderr.is_empty(),
        "systemd-analyze verify: {}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let security = run(&[
        "systemd-analyze",
        "security",
        "--offline=yes",
        "--threshold=20",
        "--no-pager",
        path,
    ]);
    let report = String::from_utf8_lossy(&security.stdout);
    std::fs::write(dir.file("systemd-analyze-security.txt"), report.as_bytes()).unwrap();
    let overall = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_default();
    eprintln!("{overall}");
    assert!(
        security.status.success(),
        "exposure above 2.0: {overall}\n{}",
        String::from_utf8_lossy(&security.stderr)
    );
    unit
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_works_within_its_system_units_restrictions() {
    let dir = TestDir::new("the_daemon_works_within_its_system_units_restrictions");
    // The raw trace holds the APDUs (a PIN among them): it stays in a private temp dir,
    // and only a copy without the data of reads and writes is kept as an artefact.
    let private = tempfile::tempdir().unwrap();
    let trace_file = private.path().join("daemon.strace");
    let _pcscd = PcscdRig::start(&dir).unwrap();
    let trace: Vec<String> = ["strace", "-f", "-q", "-s", "4096", "-o"]
        .iter()
        .map(|s| s.to_string())
        .chain([trace_file.display().to_string()])
        .collect();
    let mut daemon =
        Daemon::start_launched(&dir, Backend::Pcsc, "", Launcher::Unit { uid: UID, trace })
            .await
            .unwrap();
    let pid = daemon.pid().unwrap();
    let program = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    let unit = analysed_unit(&dir, &program);

    // Who it runs as: the unit's unprivileged user, nothing more.
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .unwrap_or_else(|| panic!("{name} in {status}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    let uid = UID.to_string();
    assert_eq!(field("Uid"), [uid.as_str(); 4]);
    assert_eq!(field("Gid"), [uid.as_str(); 4]);
    assert_eq!(field("Groups"), Vec::<&str>::new());
    for caps in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(field(caps), ["0000000000000000"], "{caps}");
    }
    assert_eq!(field("NoNewPrivs"), ["1"]);
    assert_eq!(directive(&unit, "DynamicUser"), ["yes"]);
    assert_eq!(directive(&unit, "CapabilityBoundingSet"), [""]);
    assert_eq!(directive(&unit, "NoNewPrivileges"), ["yes"]);

    // Its work, through pcscd: both cards, a PIN, a signature, FSE signed, a lot.
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", &[]).unwrap();
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, "cps:durand-sage-femme", &[]).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    cps.wait_line("inserted", WAIT).await.unwrap();
    wait_card(&daemon, READER_0, true).await;
    wait_card(&daemon, READER_1, true).await;
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let _: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
    let digest = "ab".repeat(32);
    let _: Value = daemon
        .post_json(
            &route(READER_1, "signature"),
            &json!({ "digest_sha256": digest }),
        )
        .await
        .unwrap();
    let day = format_date(paris_date(SystemClock.now()));
    let mut draft = from_vitale(&card, &day);
    draft.deferred_signature = true;
    let created = accepted(
        &json_of(post_keyed(&daemon, "/v1/fse", "fse-1", &json!({ "fse": [draft] })).await).await,
    );
    let ids: Vec<i64> = created.iter().map(|f| f.id).collect();
    let sign = json!({ "reader": READER_1, "fse": ids });
    let signed: FseSignResponse =
        json_of(post_keyed(&daemon, "/v1/fse/sign", "s-1", &sign).await).await;
    assert!(signed.results.iter().all(|r| r.fse.is_some()), "{signed:?}");
    let lot = json!({ "reader": READER_1, "situation": 0 });
    let lots: LotList = json_of(post_keyed(&daemon, "/v1/lots", "lot-1", &lot).await).await;
    assert_eq!(lots.lots.len(), 1);
    let data_dir = daemon.data_dir().to_path_buf();
    daemon.stop();

    // What strace saw, from the exec of the daemon to its exit.
    let traced = std::fs::read_to_string(&trace_file).unwrap();
    std::fs::write(dir.file("daemon.strace"), trace::redact_io(&traced)).unwrap();
    assert!(
        traced
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == [
                    pid.to_string().as_str(),
                    "+++",
                    "exited",
                    "with",
                    "0",
                    "+++"
                ]),
        "the daemon did not exit cleanly on SIGTERM; see {}",
        dir.file("daemon.strace").display()
    );
    let calls = trace::calls_after_exec(&traced, program.to_str().unwrap());

    let filter = directive(&unit, "SystemCallFilter");
    let tokens: Vec<&str> = filter.iter().flat_map(|v| v.split_whitespace()).collect();
    assert!(
        !tokens.is_empty() && tokens.iter().all(|t| !t.starts_with('~')),
        "an allow list: {tokens:?}"
    );
    let listing = run(&["systemd-analyze", "syscall-filter", "--no-pager"]);
    let allowed = trace::expand_filter(&String::from_utf8_lossy(&listing.stdout), &tokens);
    assert!(allowed.contains("read"), "{allowed:?}");
    let used: std::collections::BTreeSet<&str> = calls.iter().map(|c| c.name).collect();
    let outside: Vec<&&str> = used.iter().filter(|n| !allowed.contains(**n)).collect();
    eprintln!(
        "{} system calls used, all checked against {tokens:?}",
        used.len()
    );
    assert!(
        outside.is_empty(),
        "system calls outside SystemCallFilter={}: {outside:?}",
        tokens.join(" ")
    );

    assert_eq!(directive(&unit, "MemoryDenyWriteExecute"), ["yes"]);
    let wx: Vec<String> = trace::write_execute(&calls)
        .iter()
        .map(|c| format!("{} {}({}", c.pid, c.name, c.rest))
        .collect();
    assert!(wx.is_empty(), "writable and executable memory: {wx:#?}");

    assert_eq!(directive(&unit, "ProtectSystem"), ["strict"]);
    let written = trace::written_paths(&calls);
    for own in [
        "passerelle.sqlite3",
        "passerelle.sqlite3-wal",
        "audit.jsonl",
    ] {
        let path = data_dir.join(own).display().to_string();
        assert!(
            written.contains(&path),
            "{path} not seen written: {written:?}"
        );
    }
    let elsewhere: Vec<&String> = written
        .iter()
        .filter(|p| !Path::new(p).starts_with(&data_dir) && !PRIVATE_DEVICES.contains(&p.as_str()))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "written outside the data dir {}: {elsewhere:?}",
        data_dir.display()
    );

    // ProtectHome= and PrivateDevices=: no home looked at, no device but the basic ones.
    assert_eq!(directive(&unit, "ProtectHome"), ["yes"]);
    assert_eq!(directive(&unit, "PrivateDevices"), ["yes"]);
    let named = trace::named_paths(&calls);
    let hidden: Vec<&String> = named
        .iter()
        .filter(|p| {
            ["/home", "/root", "/run/user"]
                .iter()
                .any(|h| Path::new(p).starts_with(h))
                || (p.starts_with("/dev/") && !PRIVATE_DEVICES.contains(&p.as_str()))
        })
        .collect();
    assert!(
        hidden.is_empty(),
        "hidden by the unit, yet looked at: {hidden:?}"
    );
}

/// What `PrivateDevices=yes` leaves in `/dev` (besides pseudo-terminals and the like).
const PRIVATE_DEVICES: [&str; 6] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
];
