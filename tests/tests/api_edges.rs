//! The edges of the API: TLS only, loopback only, and JSON errors. Simulated backend (no
//! pcscd), so these run in parallel with each other.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use common::*;
use passerelle_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_only_and_loopback_only() {
    let dir = TestDir::new("tls_only_and_loopback_only");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let port = daemon.port();

    // Plain HTTP to the TLS port: no HTTP answer.
    let mut s = net::tcp_connect(SocketAddr::from((Ipv4Addr::LOCALHOST, port)), T15)
        .await
        .unwrap();
    s.write_all(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(T15, s.read_to_end(&mut buf)).await;
    assert!(
        read.is_ok(),
        "the daemon should close a plain-HTTP connection, not keep it open"
    );
    assert!(
        !buf.starts_with(b"HTTP/"),
        "plain HTTP got an HTTP answer: {:?}",
        String::from_utf8_lossy(&buf)
    );
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = plain
        .get(format!("http://127.0.0.1:{port}/v1/status"))
        .timeout(T15)
        .send()
        .await;
    assert!(
        r.is_err(),
        "plain HTTP request must fail, got {:?}",
        r.map(|r| r.status())
    );

    // HTTPS on localhost by name (the certificate covers it).
    let r = daemon
        .client()
        .get(format!("https://localhost:{port}/v1/status"))
        .timeout(T15)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // IPv6 loopback.
    if net::has_ipv6_loopback() {
        let r = daemon
            .client()
            .get(format!("https://[::1]:{port}/v1/status"))
            .timeout(T15)
            .send()
            .await;
        assert_eq!(
            r.map(|r| r.status().as_u16()).map_err(|e| format!("{e:?}")),
            Ok(200),
            "HTTPS on [::1]:{port}"
        );
        let _ = Ipv6Addr::LOCALHOST;
    } else {
        eprintln!("SKIP ::1 check: this machine has no IPv6 loopback");
    }

    // Not on any other local address.
    let others = net::non_loopback_addrs();
    if others.is_empty() {
        eprintln!("SKIP non-loopback check: this machine has no non-loopback address");
    }
    for ip in others {
        let addr = SocketAddr::new(ip, port);
        let res = net::tcp_connect(addr, Duration::from_secs(3)).await;
        assert!(
            res.is_err(),
            "the daemon must not accept connections on {addr}"
        );
        eprintln!("{addr}: {}", res.err().unwrap());
        let _: IpAddr = ip;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_json_with_french_messages() {
    let dir = TestDir::new("errors_are_json_with_french_messages");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let c = daemon.client();
    let sim = daemon.url("/v1/simulator/cards");
    let send = |rb: reqwest::RequestBuilder| async move { rb.timeout(T15).send().await.unwrap() };

    expect_api_error(send(c.get(daemon.url("/v1/nope"))).await, 404, "not_found").await;
    expect_api_error(send(c.get(daemon.url("/nope"))).await, 404, "not_found").await;
    expect_api_error(
        send(c.delete(daemon.url("/v1/status"))).await,
        405,
        "method_not_allowed",
    )
    .await;
    let json = |body: &'static str| {
        c.post(&sim)
            .header("content-type", "application/json")
            .body(body)
    };
    expect_api_error(send(json("{\"reader\": ")).await, 400, "invalid_json").await;
    expect_api_error(send(json("not json at all")).await, 400, "invalid_json").await;
    expect_api_error(send(json("{\"unexpected\": 1}")).await, 400, "invalid_json").await;
    let ok_body = r#"{"reader": "Lecteur 1", "card": "vitale:nguyen"}"#;
    expect_api_error(
        send(
            c.post(&sim)
                .header("content-type", "text/plain")
                .body(ok_body),
        )
        .await,
        415,
        "unsupported_media_type",
    )
    .await;
    let big = format!(
        "{{\"reader\": \"{}\", \"card\": \"vitale:nguyen\"}}",
        "x".repeat(100 * 1024)
    );
    expect_api_error(
        send(
            c.post(&sim)
                .header("content-type", "application/json")
                .body(big),
        )
        .await,
        413,
        "payload_too_large",
    )
    .await;
    // Read whole before any answer (found by schemathesis: the connection used to be
    // closed under a client still sending, which then got a reset, not this answer).
    expect_api_error(
        send(
            c.post(&sim)
                .header("content-type", "text/plain")
                .body("x".repeat(2 * 1024 * 1024)),
        )
        .await,
        413,
        "payload_too_large",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_served() {
    let dir = TestDir::new("openapi_document_is_served");
    let daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let doc: serde_json::Value = daemon.get_json("/v1/openapi.json").await.unwrap();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{doc}"
    );
    for path in ["/v1/status", "/v1/readers", "/v1/events"] {
        assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
    }
    let st = daemon.status().await.unwrap();
    assert_eq!(st.api_version, passerelle_protocol::API_VERSION);
    assert_eq!(st.backend.kind, passerelle_protocol::BackendKind::Simulated);
}
