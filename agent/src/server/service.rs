//! The service of one TCP connection: hands each request to the router with the
//! connection's [`TcpPeer`], bounds the time to its answer (`server.request_timeout_ms`,
//! from the first byte of its head), and keeps the connection busy until the response body
//! is sent whole (an event stream is never cut by the idle deadline).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request};
use axum::response::{IntoResponse, Response};
use axum::Router;
use axum_server::tls::TlsService;
use futures_util::future::BoxFuture;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use passerelle_protocol::ErrorCode;
use tower::Service;

use super::state::{ConnState, InFlight};
use super::TcpPeer;
use crate::api::ApiFailure;

/// The router (behind the TLS acceptor's own service), for one connection.
#[derive(Clone)]
pub struct ConnService {
    inner: TlsService<Router>,
    state: std::sync::Arc<ConnState>,
    peer: TcpPeer,
}

impl ConnService {
    /// `inner` serving the connection of `peer`.
    pub fn new(
        inner: TlsService<Router>,
        state: std::sync::Arc<ConnState>,
        peer: TcpPeer,
    ) -> ConnService {
        ConnService { inner, state, peer }
    }
}

impl Service<Request<Incoming>> for ConnService {
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<Incoming>) -> Self::Future {
        let (in_flight, started) = self.state.request_started();
        let mut req = req;
        req.extensions_mut().insert(self.peer.clone());
        let limit = self.state.timeouts().request;
        let answer = self.inner.call(req);
        Box::pin(async move {
            let response = match tokio::time::timeout_at(started + limit, answer).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
                    let mut r = ApiFailure::new(
                        ErrorCode::RequestTimeout,
                        "La requête n'a pas abouti dans le délai imparti : réessayez.",
                    )
                    .details(serde_json::json!({ "timeout_ms": limit.as_millis() as u64 }))
                    .into_response();
                    r.headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                    r
                }
            };
            Ok(response.map(|body| {
                Body::new(Tracked {
                    inner: body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

/// A response body that keeps its request in flight until hyper drops it.
struct Tracked {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
