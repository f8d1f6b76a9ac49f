//! The TCP side of the API server: what happens to a connection before and around the
//! router (issue 12, findings 1 and 3).
//!
//! [`ConnAcceptor`], for every accepted loopback connection, in this order:
//! 1. `TCP_NODELAY` (rustls writes the session ticket and the response separately; with
//!    Nagle the response would wait for the client's delayed ACK, ~40 ms);
//! 2. the OS user owning the peer socket ([`tcp_peer`](crate::platform::tcp_peer)), looked
//!    up once, by the resolver thread (in batches);
//! 3. its place among the open connections ([`limits`]: a cap in all and per OS user):
//!    beyond, the connection is closed at once;
//! 4. the TLS handshake, within `server.header_read_timeout_ms`;
//! 5. its I/O wrapped ([`io::ConnIo`]: idle and request-head deadlines, JSON on hyper's
//!    refusals) and its service ([`service::ConnService`]: the [`TcpPeer`] in every
//!    request's extensions, the whole-request deadline).
//!
//! The body deadline is the body middleware's (`api/body.rs`). Whether the OS user may
//! call at all is the security checks' first step (`api/auth`), so that the refusal is a
//! JSON answer and is audited.

pub mod io;
pub mod limits;
pub mod service;
pub mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use futures_util::future::BoxFuture;
use passerelle_protocol::OsUser;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

use crate::platform::tcp_peer::PeerResolver;
use io::ConnIo;
use limits::ConnLimits;
use service::ConnService;
use state::{ConnState, Timeouts};

/// Who is on the other end of a TCP connection (a request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpPeer {
    /// The OS account owning the peer socket; `None` when the OS did not say.
    pub os_user: Option<OsUser>,
    /// The peer's address.
    pub addr: SocketAddr,
}

/// The accept pipeline of the TCP listeners (see the module documentation).
#[derive(Clone)]
pub struct ConnAcceptor {
    tls: RustlsAcceptor,
    limits: Arc<ConnLimits>,
    timeouts: Timeouts,
    peers: PeerResolver,
}

impl ConnAcceptor {
    /// TLS with `config`, `limits` and `peers` shared by every listener, `timeouts` per
    /// connection.
    pub fn new(
        config: RustlsConfig,
        limits: Arc<ConnLimits>,
        timeouts: Timeouts,
        peers: PeerResolver,
    ) -> Self {
        ConnAcceptor {
            tls: RustlsAcceptor::new(config).handshake_timeout(timeouts.header_read),
            limits,
            timeouts,
            peers,
        }
    }
}

impl Accept<TcpStream, Router> for ConnAcceptor {
    type Stream = ConnIo<TlsStream<TcpStream>>;
    type Service = ConnService;
    type Future = BoxFuture<'static, std::io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, tcp: TcpStream, router: Router) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            tcp.set_nodelay(true)?;
            let (local, addr) = (tcp.local_addr()?, tcp.peer_addr()?);
            let os_user = this.peers.owner(local, addr).await;
            let permit = this.limits.admit(os_user.as_ref()).map_err(|refusal| {
                tracing::debug!(?os_user, ?refusal, "connection refused: limit reached");
                std::io::Error::other("connection limit reached")
            })?;
            let (tls, router) = this.tls.accept(tcp, router).await?;
            let state = ConnState::new(this.timeouts);
            let peer = TcpPeer { os_user, addr };
            Ok((
                ConnIo::new(tls, state.clone(), permit),
                ConnService::new(router, state, peer),
            ))
        })
    }
}
