//! Every connection is bounded in time (issue 12, findings 3 and 8): a silent TLS
//! connection, a half-sent request line, trickled headers, a body shorter than its
//! `Content-Length` and an idle keep-alive connection are all closed at their configured
//! timeouts; hyper's own refusals of malformed requests answer the JSON error shape.

mod common;

use common::other_user::curl_as_nobody;

use std::time::{Duration, Instant};

use passerelle_tests::net::tls_connect;
use passerelle_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

/// Reads until the daemon closes `tls` (or `limit` passes); what it sent, and how long
/// the connection stayed open.
async fn read_until_closed(tls: &mut Tls, limit: Duration) -> (String, Option<Duration>) {
    let start = Instant::now();
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 4096];
        loop {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (
        String::from_utf8_lossy(&got).into_owned(),
        closed.then(|| start.elapsed()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_half_sent_connections_are_closed_with_the_defaults() {
    let dir = TestDir::new("silent_and_half_sent_connections_are_closed");
    let d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let mut silent = tls_connect(&d.ca_path(), d.port()).await.unwrap();
    let mut half = tls_connect(&d.ca_path(), d.port()).await.unwrap();
    half.write_all(b"GET /v1/sta").await.unwrap();
    half.flush().await.unwrap();
    // The defaults (server.header_read_timeout_ms = 10 s) close both well before 30 s.
    for (what, tls) in [("silent", &mut silent), ("half-sent", &mut half)] {
        let (_, open) = read_until_closed(tls, Duration::from_secs(30)).await;
        assert!(
            open.is_some(),
            "a {what} connection was still open after 30 s"
        );
    }
}

const SHORT: &str = "[server]\nheader_read_timeout_ms = 1000\nbody_read_timeout_ms = 1000\n\
                     idle_timeout_ms = 1500\nrequest_timeout_ms = 3000\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_timeout_closes_at_its_configured_value() {
    let dir = TestDir::new("each_timeout_closes_at_its_configured_value");
    let d = Daemon::start_with(&dir, Backend::Simulated, SHORT)
        .await
        .unwrap();
    let port = d.port();
    let ca = d.ca_path();
    let connect = || tls_connect(&ca, port);
    let within = |open: Option<Duration>, low: u64, high: u64, what: &str| {
        let open = open.unwrap_or_else(|| panic!("{what}: still open"));
        assert!(
            open >= Duration::from_millis(low) && open <= Duration::from_millis(high),
            "{what}: closed after {open:?}, expected {low}-{high} ms"
        );
    };

    // Trickled headers: one byte every 200 ms never completes a head within 1 s.
    let mut trickle = connect().await.unwrap();
    let head = format!("GET /v1/status HTTP/1.1\r\nHost: localhost:{port}\r\nX-Slow: ");
    trickle.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    let closed = loop {
        if trickle.write_all(b"a").await.is_err() || trickle.flush().await.is_err() {
            break start.elapsed();
        }
        let mut probe = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(200), trickle.read(&mut probe)).await {
            Ok(_) => break start.elapsed(),
            Err(_) if start.elapsed() > Duration::from_secs(10) => panic!("trickle: still open"),
            Err(_) => {}
        }
    };
    within(Some(closed), 500, 4000, "trickled headers");

    // A body shorter than its Content-Length: the JSON refusal, then the close.
    let mut short = connect().await.unwrap();
    let req = format!(
        "POST /v1/pairings HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: https://app.example\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"app_name\":"
    );
    short.write_all(req.as_bytes()).await.unwrap();
    let (text, open) = read_until_closed(&mut short, Duration::from_secs(10)).await;
    within(open, 800, 4000, "short body");
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"request_timeout\""), "{text}");

    // Idle keep-alive: one request answered, then closed after idle_timeout_ms.
    let mut idle = connect().await.unwrap();
    let req = format!("GET /v1/status HTTP/1.1\r\nHost: localhost:{port}\r\n\r\n");
    idle.write_all(req.as_bytes()).await.unwrap();
    let (text, open) = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    within(open, 1200, 5000, "idle keep-alive");

    // A silent connection: closed after header_read_timeout_ms.
    let mut silent = connect().await.unwrap();
    let (_, open) = read_until_closed(&mut silent, Duration::from_secs(10)).await;
    within(open, 800, 4000, "silent");
}

/// Sends `raw` on a new TLS connection; the daemon's whole answer. The daemon may answer
/// and close before it has read all of `raw` (1 MB of headers): the write then fails, and
/// the answer may be lost with the reset that follows; such a try is made again (3 at
/// most).
async fn answer_to(d: &Daemon, raw: &[u8]) -> String {
    let mut last = String::new();
    for _ in 0..3 {
        let mut tls = tls_connect(&d.ca_path(), d.port()).await.unwrap();
        let sent = tls.write_all(raw).await.and(tls.flush().await);
        let (text, open) = read_until_closed(&mut tls, Duration::from_secs(15)).await;
        assert!(open.is_some(), "no end of answer: {text}");
        if !text.is_empty() {
            return text;
        }
        last = format!("no answer (write: {sent:?})");
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_the_json_error_shape() {
    let dir = TestDir::new("malformed_requests_get_the_json_error_shape");
    let d = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let host = format!("Host: localhost:{}\r\n", d.port());
    let mut raw_ff = b"GET /v1/\xffstatus HTTP/1.1\r\n".to_vec();
    raw_ff.extend_from_slice(host.as_bytes());
    raw_ff.extend_from_slice(b"\r\n");
    let huge = format!(
        "GET /v1/status HTTP/1.1\r\n{host}X-Big: {}\r\n\r\n",
        "a".repeat(1024 * 1024)
    );
    let negative =
        format!("POST /v1/fse HTTP/1.1\r\n{host}Content-Length: -5\r\n\r\n").into_bytes();
    for (what, raw, status) in [
        ("0xFF in the path", raw_ff, "400"),
        ("1 MB of headers", huge.into_bytes(), "431"),
        ("negative Content-Length", negative, "400"),
    ] {
        let text = answer_to(&d, &raw).await;
        assert!(
            text.starts_with(&format!("HTTP/1.1 {status}")),
            "{what}: {text:.300}"
        );
        let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
        let err: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("{what}: body is not JSON ({e}): {text:.300}"));
        assert!(err["error"]["code"].is_string(), "{what}: {body}");
        assert!(!err["error"]["message"].as_str().unwrap_or("").is_empty());
    }
    // The daemon still serves.
    assert!(!d.status().await.unwrap().version.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_over_its_share_does_not_starve_another() {
    let dir = TestDir::new("one_user_over_its_share_does_not_starve_another");
    let config =
        "[server]\nmax_connections_per_user = 5\n\n[security]\nallowed_os_users = [\"*\"]\n";
    let d = Daemon::start_with(&dir, Backend::Simulated, config)
        .await
        .unwrap();
    // This user's connections (the rig's client holds some too) reach the share: the next
    // one is closed at once, without an answer.
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], d.port()));
    let mut held = Vec::new();
    let refused = loop {
        assert!(held.len() <= 5, "more than the share were admitted");
        let mut s = passerelle_tests::net::tcp_connect(addr, Duration::from_secs(5))
            .await
            .unwrap();
        let mut probe = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(500), s.read(&mut probe)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break held.len(),
            _ => held.push(s),
        }
    };
    eprintln!("share reached after {refused} more connections");
    // Another OS user is still served.
    let Some((status, body)) = curl_as_nobody(&d, "GET", "/v1/status", &[], None).await else {
        eprintln!("SKIP: needs root and setpriv to connect as another user");
        return;
    };
    assert_eq!(status, 200, "{body}");
    drop(held);
}
