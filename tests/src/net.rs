//! Ports and local addresses.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::Duration;

/// A TCP port free on 127.0.0.1 right now (bound to port 0, read, released).
pub fn free_port() -> crate::Result<u16> {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// Whether this machine has the IPv6 loopback address (`::1` can be bound).
pub fn has_ipv6_loopback() -> bool {
    TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// The machine's own addresses that are not loopback (nor IPv6 link-local, which needs a
/// scope), as `hostname -I` lists them.
pub fn non_loopback_addrs() -> Vec<IpAddr> {
    let out = std::process::Command::new("hostname").arg("-I").output();
    let text = out
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    text.split_whitespace()
        .filter_map(|w| w.parse::<IpAddr>().ok())
        .filter(|ip| !ip.is_loopback())
        .filter(|ip| !matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80))
        .collect()
}

/// Tries a TCP connection to `addr` within `timeout`.
pub async fn tcp_connect(
    addr: SocketAddr,
    timeout: Duration,
) -> crate::Result<tokio::net::TcpStream> {
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(format!("connect {addr}: {e}")),
        Err(_) => Err(format!("connect {addr}: timed out after {timeout:?}")),
    }
}

/// A TLS connection to the daemon on `127.0.0.1:port`, trusting only the CA in `ca_pem`
/// (HTTP/1.1 spoken by hand over it: timeouts, malformed requests).
pub async fn tls_connect(
    ca_pem: &std::path::Path,
    port: u16,
) -> crate::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(ca_pem).map_err(|e| format!("read {}: {e}", ca_pem.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tcp_connect(
        SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        Duration::from_secs(10),
    )
    .await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    tokio::time::timeout(Duration::from_secs(10), connector.connect(name, tcp))
        .await
        .map_err(|_| "TLS handshake: no answer within 10 s".to_string())?
        .map_err(|e| format!("TLS handshake: {e}"))
}
