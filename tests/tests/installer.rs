//! `passerelle-install --mode user` for real, in the sandbox of `installer/sandbox.rs` (a
//! private mount namespace with overlays on `/etc`, `/usr/local`, `/var/lib`, a temp
//! `HOME`, a fake `systemctl` that records its arguments): the user unit, Chromium trusting
//! the daemon through the NSS database the installer filled, and an uninstall that keeps a
//! database someone else uses. The system install is in `installer_system.rs`.
//!
//! Needs root and mount namespaces: the tests fail (never skip) without them. Needs
//! `passerelle` and `passerelle-install` built (`cargo test --workspace` builds them).

#[path = "installer/chromium.rs"]
mod chromium;
#[path = "installer/daemon.rs"]
mod daemon;
#[path = "installer/sandbox.rs"]
mod sandbox;
#[path = "installer/stores.rs"]
mod stores;

use std::path::{Path, PathBuf};
use std::time::Instant;

use daemon::InstalledDaemon;
use passerelle_installation::config::{BackendChoice, Config};
use passerelle_tests::TestDir;
use sandbox::{tree, Sandbox};
use stores::{add_other_ca, nss_list, ours, program};

/// The user unit, exactly.
fn expected_user_unit(program: &Path, config: &Path) -> String {
    format!(
        "[Unit]
Description=Passerelle, pont des lecteurs de cartes SESAM-Vitale (API TLS locale)

[Service]
Type=simple
ExecStart={} run --config {}
Restart=on-failure
RestartSec=2
UMask=0077
NoNewPrivileges=yes

[Install]
WantedBy=default.target
",
        program.display(),
        config.display()
    )
}

/// A user install trusts the authority in `~/.pki/nssdb`: headless Chromium with that
/// home loads the daemon's `/v1/status`, the same Chromium with an empty home does not.
#[test]
fn user_install_makes_chromium_trust_the_daemon() {
    let started = Instant::now();
    let dir = TestDir::new("installer_user_install_chromium");
    let sb = Sandbox::new();
    let program = program();
    let home = sb.home.clone();
    sb.install(&[
        "install",
        "--mode",
        "user",
        "--program",
        program.to_str().unwrap(),
    ]);

    let config = home.join(".config/passerelle/config.toml");
    let unit = home.join(".config/systemd/user/passerelle.service");
    assert_eq!(
        std::fs::read_to_string(&unit).unwrap(),
        expected_user_unit(&program, &config)
    );
    assert_eq!(
        sb.systemctl_calls(),
        [
            format!("--user enable {}", unit.display()),
            "--user daemon-reload".to_owned(),
            "--user start passerelle".to_owned()
        ]
    );
    let installed = Config::parse(&std::fs::read_to_string(&config).unwrap(), &config).unwrap();
    assert_eq!(installed.readers.backend, BackendChoice::Pcsc);
    let data_dir = home.join(".local/share/passerelle");
    assert_eq!(installed.storage.data_dir, data_dir);

    // The daemon on the installed data dir (simulated readers: no pcscd needed).
    let daemon = InstalledDaemon::start(&dir, &data_dir, "");
    let url = daemon.url("/v1/status");
    let trusted = chromium::dom(None, &home, &url, &[], &dir, "trusted");
    let empty_home = tempfile::tempdir().unwrap();
    let untrusted = chromium::dom(None, empty_home.path(), &url, &[], &dir, "untrusted");
    drop(daemon);
    assert!(
        trusted.contains("\"api_version\""),
        "Chromium with the installed trust: {trusted}"
    );
    assert!(
        !untrusted.contains("api_version"),
        "Chromium without it: {untrusted}"
    );
    // It was the authority Chromium refused, not something else.
    let why = std::fs::read_to_string(dir.file("chromium-untrusted.log")).unwrap();
    assert!(why.contains("ERR_CERT_AUTHORITY_INVALID"), "{why}");
    let trusted_log = std::fs::read_to_string(dir.file("chromium-trusted.log")).unwrap();
    assert!(!trusted_log.contains("ERR_CERT"), "{trusted_log}");

    sb.install(&["uninstall", "--purge"]);
    assert!(
        tree(&home).is_empty(),
        "the home is empty again: {:?}",
        tree(&home).keys().collect::<Vec<_>>()
    );
    eprintln!("[test] took {:?}", started.elapsed());
}

/// A browser database the install created is kept by `uninstall` when someone added
/// another certificate to it since: only the authority's entry goes.
#[test]
fn uninstall_keeps_a_created_database_that_holds_other_certificates() {
    let dir = TestDir::new("installer_keeps_a_database_in_use");
    let sb = Sandbox::new();
    let program = program();
    sb.install(&[
        "install",
        "--mode",
        "user",
        "--no-start",
        "--program",
        program.to_str().unwrap(),
    ]);
    assert_eq!(
        sb.systemctl_calls(),
        [
            format!(
                "--user enable {}",
                sb.home
                    .join(".config/systemd/user/passerelle.service")
                    .display()
            ),
            "--user daemon-reload".to_owned()
        ],
        "--no-start starts nothing"
    );
    let db = sb.home.join(".pki/nssdb");
    add_other_ca(&db, dir.path());
    assert_eq!(ours(&db).len(), 1);
    sb.install(&["uninstall"]);
    assert_eq!(
        nss_list(&db),
        [("Autre autorite".to_owned(), "C,,".to_owned())]
    );
    let left: Vec<PathBuf> = tree(&sb.home).into_keys().collect();
    let data = [".local", ".local/share", ".local/share/passerelle"];
    for path in &left {
        assert!(
            path.starts_with(".pki")
                || path.starts_with(".local/share/passerelle")
                || data.contains(&path.to_str().unwrap()),
            "left in the home: {} (all: {left:?})",
            path.display()
        );
    }
    assert!(
        left.contains(&PathBuf::from(".local/share/passerelle/tls/ca.pem")),
        "data kept without --purge"
    );
}
