//! Chrome's Local Network Access, for real: a billing page on a *public* https origin
//! calls the daemon on localhost. Chromium blocks that (no permission prompt headless)
//! unless the `LoopbackNetworkAllowedForUrls` policy lists the page's origin, which
//! `passerelle-install install --app-origin` writes. The page is made public for Chromium
//! with `--ip-address-space-overrides` (it is served from 127.0.0.1 here); the install runs
//! in the sandbox of `installer/sandbox.rs`, and Chromium runs once inside it (where
//! `/etc/chromium/policies` holds the installer's file) and once outside (without it).

#[path = "installer/chromium.rs"]
mod chromium;
#[path = "installer/daemon.rs"]
mod daemon;
#[path = "installer/sandbox.rs"]
mod sandbox;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;

use daemon::InstalledDaemon;
use passerelle_tests::{passerelle_bin, TestDir};
use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use sandbox::Sandbox;

/// Serves `html` on 127.0.0.1:`port` over HTTPS with the certificate in `tls` (the
/// daemon's, valid for 127.0.0.1), on a thread, for the rest of the test.
fn serve_page(listener: TcpListener, tls: &Path, html: String) {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(tls.join("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(tls.join("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let config = Arc::new(config);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, stream);
            let mut reader = BufReader::new(&mut tls);
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                line.clear();
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = tls.write_all(response.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
}

#[test]
fn the_installed_policy_lets_a_public_page_call_the_daemon() {
    let dir = TestDir::new("installer_lna_policy");
    let sb = Sandbox::new();
    let page = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let page_port = page.local_addr().unwrap().port();
    let origin = format!("https://127.0.0.1:{page_port}");
    let program = passerelle_bin();
    sb.install(&[
        "install",
        "--mode",
        "user",
        "--no-start",
        "--program",
        program.to_str().unwrap(),
        "--app-origin",
        &origin,
    ]);
    let policy = sb.changed("/etc/chromium/policies/managed/passerelle.json");
    let text = std::fs::read_to_string(&policy).unwrap();
    assert!(text.contains(&origin), "{text}");

    // `passerelle doctor`, in the sandbox, reads the installation and agrees.
    let doctor = sb.exec(&[program.to_str().unwrap(), "doctor", "--json"]);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&doctor.stdout)
        .unwrap_or_else(|e| panic!("doctor --json: {e}: {doctor:?}"));
    let verdict = |check: &str| {
        let f = findings.iter().find(|f| f["check"] == check);
        f.map(|f| f["verdict"].as_str().unwrap_or_default().to_owned())
    };
    for check in ["certificate", "trust.nss:chromium", "lna_policy"] {
        assert_eq!(
            verdict(check).as_deref(),
            Some("ok"),
            "{check}: {findings:#?}"
        );
    }
    // A user install leaves the system store alone; the fake systemctl says "stopped".
    assert_eq!(verdict("trust.system").as_deref(), Some("warning"));
    assert_eq!(verdict("service").as_deref(), Some("problem"));

    // The daemon approves the origin in advance so CORS lets the page read the answer.
    let data_dir = sb.home.join(".local/share/passerelle");
    let daemon = InstalledDaemon::start(
        &dir,
        &data_dir,
        &format!("[security]\npreapproved_origins = [{origin:?}]\n"),
    );
    let html = format!(
        "<!doctype html><title>facturation</title><p id=r>en attente</p><script>\
         fetch({:?}).then(r => r.json())\
         .then(s => document.getElementById('r').textContent = 'OK api ' + s.api_version)\
         .catch(e => document.getElementById('r').textContent = 'ERR ' + e);</script>",
        daemon.url("/v1/status")
    );
    serve_page(page, &data_dir.join("tls"), html);
    let flags = [
        format!("--ip-address-space-overrides=127.0.0.1:{page_port}=public"),
        "--virtual-time-budget=10000".to_owned(),
    ];

    let allowed = chromium::dom(Some(&sb), &sb.home, &origin, &flags, &dir, "with-policy");
    assert!(allowed.contains("OK api 1."), "with the policy: {allowed}");

    let blocked = chromium::dom(None, &sb.home, &origin, &flags, &dir, "without-policy");
    assert!(
        blocked.contains("ERR TypeError"),
        "without the policy: {blocked}"
    );
    // The page itself loaded (trusted certificate): only the call to loopback failed.
    assert!(blocked.contains("<title>facturation</title>"), "{blocked}");

    drop(daemon);
    sb.install(&["uninstall", "--purge"]);
    assert!(!sb
        .changed("/etc/chromium/policies/managed/passerelle.json")
        .exists());
}
