//! `passerelle-install --mode system` for real, in a sandbox (see `installer/sandbox.rs`): each run is in
//! a private mount namespace where `/etc`, `/usr/local` and `/var/lib` are overlays, so
//! their upper directories are the exact diff of what the installer did to the machine;
//! `HOME` is a temp home; `systemctl` is a fake that records its arguments (no systemd
//! here). Everything else is real: `update-ca-certificates`, `certutil`, `openssl`,
//! Chromium, the daemon.
//!
//! `update-ca-certificates` is the real one, with its hooks directory masked inside the
//! sandbox: Debian's Java hook queues dpkg triggers and rewrites the Java keystore (with
//! timestamps), which would make "the machine is as it was" unmeasurable and would run the
//! machine's pending dpkg triggers. And since any `update-ca-certificates` run rewrites the
//! whole of `/etc/ssl/certs` (on a machine where someone copied a certificate there by
//! hand, that file becomes the tool's symlink), "as it was" is measured against a baseline
//! `update-ca-certificates --fresh` run in the sandbox before the installer's first run.
//!
//! Needs root and mount namespaces: the tests fail (never skip) without them. Needs
//! `passerelle` and `passerelle-install` built (`cargo test --workspace` builds them).

#[path = "installer/sandbox.rs"]
mod sandbox;
#[path = "installer/stores.rs"]
mod stores;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use passerelle_installation::config::{BackendChoice, Config};
use passerelle_installation::{
    ca_fingerprint, ca_nickname, Installation, ServiceMode, TrustEntry, SYSTEM_ANCHOR,
};
use passerelle_tests::TestDir;
use sandbox::{entry, run, tree, Entry, Sandbox};
use stores::{add_other_ca, nss_list, ours, program};

const ORIGIN: &str = "https://facturation.example";

/// The system unit, exactly, for `program`.
fn expected_system_unit(program: &Path) -> String {
    format!(
        "[Unit]
Description=Passerelle, pont des lecteurs de cartes SESAM-Vitale (API TLS locale)
Wants=pcscd.socket
After=pcscd.socket

[Service]
Type=simple
ExecStart={} run --config /etc/passerelle/config.toml
Restart=on-failure
RestartSec=2
DynamicUser=yes
StateDirectory=passerelle
StateDirectoryMode=0700
ConfigurationDirectory=passerelle
UMask=0077
CapabilityBoundingSet=
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
",
        program.display()
    )
}

/// Whether `openssl verify -CAfile ca cert` accepts `cert`.
fn verifies(ca: &Path, cert: &Path) -> bool {
    run(&[
        "openssl",
        "verify",
        "-CAfile",
        ca.to_str().unwrap(),
        cert.to_str().unwrap(),
    ])
    .contains(": OK")
}

fn public_key(argv: &[&str]) -> String {
    run(argv)
}

/// The temp home, file by file, leaving out the bytes (not the names) of NSS databases
/// certutil rewrites in place.
fn home_snapshot(home: &Path) -> Vec<(PathBuf, Option<Entry>)> {
    tree(home)
        .into_iter()
        .map(|(p, e)| {
            let nss = p.starts_with(".mozilla") && matches!(e, Entry::File(_));
            (p, if nss { None } else { Some(e) })
        })
        .collect()
}

/// A system install with the LNA policy and a home with a Firefox profile; checks every
/// file, trust store and service call; installs again (idempotent); uninstalls with
/// `--purge` and checks the machine and the home are as they were.
#[test]
fn system_install_then_uninstall_leaves_the_machine_as_it_was() {
    let started = Instant::now();
    let dir = TestDir::new("installer_system_install_uninstall");
    let sb = Sandbox::new();
    let program = program();
    let home = sb.home.clone();

    // A Firefox profile with a database holding another authority; the home belongs to
    // someone else than root (nobody), as a person's home would.
    let profile = home.join(".mozilla/firefox/abcd1234.default-release");
    std::fs::create_dir_all(&profile).unwrap();
    let ff_db = format!("sql:{}", profile.display());
    run(&["certutil", "-N", "-d", &ff_db, "--empty-password"]);
    add_other_ca(&profile, dir.path());
    run(&["chown", "-R", "65534:65534", home.to_str().unwrap()]);
    let ff_before = nss_list(&profile);
    let home_before = home_snapshot(&home);

    let baseline = sb.exec(&["update-ca-certificates", "--fresh"]);
    assert!(baseline.status.success(), "{baseline:?}");
    let uppers_baseline = sb.upper_entries();

    let home_arg = home.to_str().unwrap();
    let args = [
        "install",
        "--mode",
        "system",
        "--program",
        program.to_str().unwrap(),
        "--browser-home",
        home_arg,
        "--app-origin",
        ORIGIN,
    ];
    sb.install(&args);

    // The unit and the service calls.
    let unit_path = sb.changed("/etc/systemd/system/passerelle.service");
    let unit = std::fs::read_to_string(&unit_path).unwrap();
    assert_eq!(unit, expected_system_unit(&program));
    // pcscd's polkit rule for the unit's user, where polkit keeps local rules.
    let rule =
        std::fs::read_to_string(sb.changed("/etc/polkit-1/rules.d/60-passerelle-pcscd.rules"));
    if Path::new("/etc/polkit-1/rules.d").is_dir() {
        assert_eq!(rule.unwrap(), passerelle_installer::polkit::rule_text());
    } else {
        assert!(rule.is_err(), "no polkit here: no rule");
    }
    assert_eq!(
        sb.systemctl_calls(),
        [
            "enable /etc/systemd/system/passerelle.service",
            "daemon-reload",
            "start passerelle"
        ]
    );

    // The authority and the daemon's certificate.
    let tls = sb.changed("/var/lib/passerelle/tls");
    let (ca, leaf, key) = (
        tls.join("ca.pem"),
        tls.join("server.pem"),
        tls.join("server.key"),
    );
    let (ca_s, leaf_s) = (ca.to_str().unwrap(), leaf.to_str().unwrap());
    assert!(verifies(&ca, &leaf), "the chain verifies");
    let bundle = sb.changed("/etc/ssl/certs/ca-certificates.crt");
    assert!(
        verifies(&bundle, &leaf),
        "the system bundle trusts the daemon's certificate"
    );
    assert_eq!(
        std::fs::read(sb.changed(SYSTEM_ANCHOR)).unwrap(),
        std::fs::read(&ca).unwrap()
    );
    let san = run(&[
        "openssl",
        "x509",
        "-in",
        leaf_s,
        "-noout",
        "-ext",
        "subjectAltName",
    ]);
    let san: Vec<&str> = san
        .lines()
        .skip(1)
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .collect();
    assert_eq!(
        san,
        [
            "DNS:localhost",
            "IP Address:127.0.0.1",
            "IP Address:0:0:0:0:0:0:0:1"
        ]
    );
    let nc = run(&[
        "openssl",
        "x509",
        "-in",
        ca_s,
        "-noout",
        "-ext",
        "nameConstraints",
    ]);
    for permitted in [
        "DNS:localhost",
        "IP:127.0.0.1/255.255.255.255",
        "IP:0:0:0:0:0:0:0:1/",
    ] {
        assert!(nc.contains(permitted), "{nc}");
    }
    let verify_other = Command::new("openssl")
        .args([
            "verify",
            "-CAfile",
            ca_s,
            "-verify_hostname",
            "example.org",
            leaf_s,
        ])
        .output()
        .unwrap();
    assert!(
        !verify_other.status.success(),
        "the leaf is not for another name"
    );

    // No key on disk but the daemon's certificates' own: the current one and those to
    // come (tls/next/), each pairing with its certificate, each certificate issued by the
    // authority (checked by openssl at a date inside its own window), none the authority's.
    let mut keys = Vec::new();
    for root in [
        sb.upper("/etc"),
        sb.upper("/usr/local"),
        sb.upper("/var/lib"),
        home.clone(),
    ] {
        for (rel, e) in tree(&root) {
            if let Entry::File(bytes) = e {
                if String::from_utf8_lossy(&bytes).contains("PRIVATE KEY") {
                    keys.push(root.join(rel));
                }
            }
        }
    }
    keys.sort();
    let mut expected: Vec<PathBuf> = (1..passerelle_installation::tls::LEAVES)
        .map(|n| tls.join(format!("next/server-{n}.key")))
        .collect();
    expected.push(key.clone());
    expected.sort();
    assert_eq!(
        keys, expected,
        "the daemon certificates' keys, nothing else"
    );
    let ca_pub = public_key(&["openssl", "x509", "-in", ca_s, "-noout", "-pubkey"]);
    for key in &keys {
        let cert = key.with_extension("pem");
        let cert_s = cert.to_str().unwrap();
        let key_pub = public_key(&["openssl", "pkey", "-in", key.to_str().unwrap(), "-pubout"]);
        assert_eq!(
            key_pub,
            public_key(&["openssl", "x509", "-in", cert_s, "-noout", "-pubkey"])
        );
        assert_ne!(key_pub, ca_pub);
        let start = run(&["openssl", "x509", "-in", cert_s, "-noout", "-startdate"]);
        let start = start.trim().trim_start_matches("notBefore=");
        let epoch = run(&["date", "-d", start, "+%s"]);
        let inside = (epoch.trim().parse::<i64>().unwrap() + 86_400).to_string();
        let checked = run(&[
            "openssl", "verify", "-attime", &inside, "-CAfile", ca_s, cert_s,
        ]);
        assert!(checked.contains(": OK"), "{cert_s}: {checked}");
    }

    // The browsers' databases.
    let fingerprint = ca_fingerprint(&std::fs::read_to_string(&ca).unwrap()).unwrap();
    let nickname = ca_nickname(&fingerprint);
    let chromium_db = home.join(".pki/nssdb");
    for db in [&chromium_db, &profile] {
        assert_eq!(
            ours(db),
            [(nickname.clone(), "C,,".to_owned())],
            "{}: {:?}",
            db.display(),
            nss_list(db)
        );
        let keys = Command::new("certutil")
            .args(["-K", "-d", &format!("sql:{}", db.display())])
            .output()
            .unwrap();
        assert!(!keys.status.success(), "no private key in {}", db.display());
    }
    use std::os::unix::fs::MetadataExt;
    for f in ["", "cert9.db", "key4.db", "pkcs11.txt"] {
        let p = chromium_db.join(f);
        assert_eq!(
            std::fs::metadata(&p).unwrap().uid(),
            65534,
            "{} is the home owner's",
            p.display()
        );
    }

    // The policy, the configuration, the record.
    let policy =
        "{\n  \"LoopbackNetworkAllowedForUrls\": [\n    \"https://facturation.example\"\n  ]\n}\n";
    for p in [
        "/etc/chromium/policies/managed/passerelle.json",
        "/etc/opt/chrome/policies/managed/passerelle.json",
    ] {
        assert_eq!(
            std::fs::read_to_string(sb.changed(p)).unwrap(),
            policy,
            "{p}"
        );
    }
    let config_text = std::fs::read_to_string(sb.changed("/etc/passerelle/config.toml")).unwrap();
    let config = Config::parse(&config_text, Path::new("config.toml")).unwrap();
    assert_eq!(config.readers.backend, BackendChoice::Pcsc);
    assert_eq!(
        config.storage.data_dir,
        PathBuf::from("/var/lib/passerelle")
    );
    assert!(config.log.journald);
    assert_eq!(config.security.app_origins, [ORIGIN]);
    let record = Installation::load(&sb.changed("/etc/passerelle/installation.json"))
        .unwrap()
        .expect("the record");
    assert_eq!(record.mode, ServiceMode::System);
    assert_eq!(record.program, program);
    assert_eq!(record.ca_fingerprint, fingerprint);
    assert_eq!(record.app_origins, [ORIGIN]);
    assert_eq!(
        record.trust,
        [
            TrustEntry::System {
                anchor: SYSTEM_ANCHOR.into()
            },
            TrustEntry::Nss {
                browser: "chromium".into(),
                db: chromium_db.clone(),
                nickname: nickname.clone()
            },
            TrustEntry::Nss {
                browser: "firefox:abcd1234.default-release".into(),
                db: profile.clone(),
                nickname: nickname.clone()
            },
        ]
    );
    for created in [
        "/etc/passerelle",
        "/var/lib/passerelle",
        "/etc/passerelle/config.toml",
        SYSTEM_ANCHOR,
        "/etc/chromium/policies",
        "/etc/chromium/policies/managed/passerelle.json",
        "/etc/opt/chrome",
        "/etc/systemd/system/passerelle.service",
    ] {
        assert!(
            record.created.contains(&PathBuf::from(created)),
            "{created}: {:?}",
            record.created
        );
    }
    assert!(record.created.contains(&home.join(".pki")));
    assert!(
        !record.created.contains(&profile),
        "the Firefox profile was there before"
    );

    let status = sb.install(&["status"]);
    assert_eq!(status.matches(": présente").count(), 3, "{status}");
    assert!(status.contains("état du service : arrêté"), "{status}");

    // Installing again changes nothing but re-trusts the same authority.
    sb.install(&args);
    assert_eq!(std::fs::read_to_string(&unit_path).unwrap(), unit);
    for db in [&chromium_db, &profile] {
        assert_eq!(
            ours(db),
            [(nickname.clone(), "C,,".to_owned())],
            "one nickname in {}",
            db.display()
        );
    }
    let again = Installation::load(&sb.changed("/etc/passerelle/installation.json"))
        .unwrap()
        .unwrap();
    assert_eq!(
        (&again.created, &again.trust),
        (&record.created, &record.trust)
    );
    assert_eq!(
        sb.systemctl_calls()[3..],
        [
            "status passerelle",
            "enable /etc/systemd/system/passerelle.service",
            "daemon-reload",
            "stop passerelle",
            "start passerelle"
        ]
    );

    // A renewed authority (as the daemon makes 30 days before expiry): installing again
    // trusts the new one and removes the old one's entries.
    std::fs::remove_dir_all(&tls).unwrap();
    sb.install(&args);
    let renewed = ca_fingerprint(&std::fs::read_to_string(&ca).unwrap()).unwrap();
    assert_ne!(renewed, fingerprint);
    for db in [&chromium_db, &profile] {
        assert_eq!(
            ours(db),
            [(ca_nickname(&renewed), "C,,".to_owned())],
            "{}",
            db.display()
        );
    }
    assert_eq!(
        std::fs::read(sb.changed(SYSTEM_ANCHOR)).unwrap(),
        std::fs::read(&ca).unwrap()
    );
    assert!(
        verifies(&bundle, &leaf),
        "the system bundle trusts the renewed authority"
    );

    // Uninstall: nothing left.
    sb.install(&["uninstall", "--purge"]);
    assert_eq!(
        sb.systemctl_calls()[12..],
        [
            "stop passerelle",
            "disable /etc/systemd/system/passerelle.service",
            "daemon-reload"
        ]
    );
    let mut changed = Vec::new();
    for (path, e) in sb.upper_entries() {
        let same_as_lower = match &e {
            Entry::Dir => std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()),
            _ => entry(&path).as_ref() == Some(&e),
        };
        if !same_as_lower && uppers_baseline.get(&path) != Some(&e) {
            changed.push(format!(
                "{} ({})",
                path.display(),
                match e {
                    Entry::Dir => "new directory".to_owned(),
                    Entry::File(_) => "file differs".to_owned(),
                    Entry::Symlink(t) => format!("symlink to {}", t.display()),
                    Entry::Other(t) => format!("{t}: a whiteout, something was deleted"),
                }
            ));
        }
    }
    assert!(
        changed.is_empty(),
        "left on the machine:\n{}",
        changed.join("\n")
    );
    assert_eq!(home_snapshot(&home), home_before, "the home is as it was");
    assert_eq!(nss_list(&profile), ff_before);
    eprintln!("[test] took {:?}", started.elapsed());
}
