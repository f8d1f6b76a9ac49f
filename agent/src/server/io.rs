//! The I/O of one TCP connection (above TLS): closes it at its idle or request-head
//! deadline ([`ConnState::deadline`]), and puts the JSON error shape on hyper's own
//! refusals of malformed requests.
//!
//! hyper answers a request it cannot parse (a raw `0xFF` in the path, headers over its
//! limit, a negative `Content-Length`) by itself with an empty body, then closes; no
//! service sees it. Such an answer is recognised here as a response head written beyond
//! the requests handed to the service ([`ConnState::head_written`]) and replaced by the
//! same status with a JSON body (`malformed_request`, `headers_too_large`). HTTP/2 frames
//! are passed as they are (hyper's h2 refusals are RST_STREAM/GOAWAY frames, which carry
//! no body at all).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use passerelle_protocol::{ApiError, ErrorCode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::limits::ConnPermit;
use super::state::ConnState;

/// A connection's stream, with its deadlines and its place in the connection count.
pub struct ConnIo<T> {
    inner: T,
    state: Arc<ConnState>,
    sleep: Pin<Box<Sleep>>,
    /// Our answer in place of hyper's, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
    _permit: ConnPermit,
}

impl<T> ConnIo<T> {
    /// Wraps `inner`, counted by `permit` until dropped.
    pub fn new(inner: T, state: Arc<ConnState>, permit: ConnPermit) -> ConnIo<T> {
        let first = state.deadline().unwrap_or_else(tokio::time::Instant::now);
        ConnIo {
            inner,
            state,
            sleep: Box::pin(tokio::time::sleep_until(first)),
            replacement: None,
            _permit: permit,
        }
    }
}

/// The JSON answer that replaces hyper's refusal with `status` (a whole HTTP/1.1
/// response; the connection is closed after it).
pub fn refusal_response(status: u16) -> Vec<u8> {
    let (code, message) = match status {
        431 => (
            ErrorCode::HeadersTooLarge,
            "En-têtes de la requête trop volumineux.",
        ),
        408 => (
            ErrorCode::RequestTimeout,
            "Requête reçue trop lentement : la connexion est fermée.",
        ),
        _ => (
            ErrorCode::MalformedRequest,
            "Requête HTTP mal formée (chemin, en-têtes ou longueur du corps invalides).",
        ),
    };
    let body = serde_json::to_string(&ApiError::new(code, message)).unwrap_or_default();
    let status = code.http_status();
    let reason = axum::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The status of an HTTP/1.1 final response head at the start of `buf`.
fn response_status(buf: &[u8]) -> Option<u16> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status: u16 = std::str::from_utf8(rest.get(..3)?).ok()?.parse().ok()?;
    (status >= 200).then_some(status)
}

impl<T: AsyncWrite + Unpin> ConnIo<T> {
    /// Writes what is left of the replacement; ready once it is all written.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.replacement {
            if *written >= bytes.len() {
                self.replacement = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ConnIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.state.bytes_read();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.state.deadline() else {
                    return Poll::Pending;
                };
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "connection idle or request head too slow",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ConnIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.replacement.is_some() {
            // hyper writes nothing after its refusal but the rest of it: dropped.
            std::task::ready!(this.drain(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        let status = response_status(buf);
        if let Some(status) = status {
            if this.state.next_head_is_hyper_s() {
                this.state.head_written();
                tracing::debug!(status, "malformed request refused by hyper: JSON answer");
                this.replacement = Some((refusal_response(status), 0));
                std::task::ready!(this.drain(cx))?;
                return Poll::Ready(Ok(buf.len()));
            }
        }
        let written = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let (Some(_), Poll::Ready(Ok(n))) = (status, &written) {
            if *n > 0 {
                this.state.head_written();
            }
        }
        written
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_io_recognises_final_heads_only() {
        assert_eq!(response_status(b"HTTP/1.1 400 Bad Request\r\n"), Some(400));
        assert_eq!(response_status(b"HTTP/1.1 100 Continue\r\n"), None);
        assert_eq!(response_status(b"\x00\x00\x12\x04"), None, "an h2 frame");
        let text = String::from_utf8(refusal_response(431)).unwrap();
        assert!(text.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let err: ApiError = serde_json::from_str(body).unwrap();
        assert_eq!(err.error.code, ErrorCode::HeadersTooLarge);
        assert!(text.contains(&format!("content-length: {}\r\n", body.len())));
    }
}
