//! A refusal answered before the body is read must not cost the connection: a client that
//! sent a body with a request the checks refuse (no token) reuses the same keep-alive
//! connection for its next request, as browsers and HTTP pools do.

use std::time::Duration;

use passerelle_tests::{Backend, Daemon, TestDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn tls_stream(daemon: &Daemon) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    passerelle_tests::net::tls_connect(&daemon.ca_path(), daemon.port())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_with_a_body_keeps_the_connection() {
    let dir = TestDir::new("a_refused_request_with_a_body_keeps_the_connection");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let port = daemon.port();
    let body = format!("{{\"fse\": [], \"padding\": \"{}\"}}", "x".repeat(60_000));
    for (what, token) in [("no token", None), ("a good token", Some(daemon.token()))] {
        let mut tls = tls_stream(&daemon).await;
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let first = format!(
            "POST /v1/fse HTTP/1.1\r\nHost: localhost:{port}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        tls.write_all(first.as_bytes()).await.unwrap();
        tls.write_all(body.as_bytes()).await.unwrap();
        let second = format!(
            "GET /v1/status HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n"
        );
        tls.write_all(second.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        let read =
            tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut answer)).await;
        let text = String::from_utf8_lossy(&answer);
        assert!(read.is_ok(), "{what}: no end of answers: {text}");
        let statuses: Vec<&str> = text
            .match_indices("HTTP/1.1 ")
            .map(|(i, _)| &text[i + 9..i + 12])
            .collect();
        assert_eq!(
            statuses.len(),
            2,
            "{what}: both requests answered on one connection: {text}"
        );
        assert_eq!(statuses[1], "200", "{what}: {text}");
    }
}
