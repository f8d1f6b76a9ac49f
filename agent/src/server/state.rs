//! Where one connection stands, shared by its I/O ([`super::io::ConnIo`]) and its service
//! ([`super::service::ConnService`]): requests in flight, since when it has been idle or
//! reading a request head, and how many response heads were asked for.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The time limits of a connection (`[server]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A request head within this of its first byte; also the TLS handshake.
    pub header_read: Duration,
    /// A request body within this.
    pub body_read: Duration,
    /// No request for this long: closed.
    pub idle: Duration,
    /// A request answered (its response head) within this of its first byte.
    pub request: Duration,
}

impl Timeouts {
    /// From the configuration.
    pub fn from_config(server: &passerelle_installation::config::ServerConfig) -> Timeouts {
        Timeouts {
            header_read: Duration::from_millis(server.header_read_timeout_ms),
            body_read: Duration::from_millis(server.body_read_timeout_ms),
            idle: Duration::from_millis(server.idle_timeout_ms),
            request: Duration::from_millis(server.request_timeout_ms),
        }
    }
}

#[derive(Debug)]
struct Phase {
    /// Requests handed to the service whose response is not finished.
    in_flight: usize,
    /// Bytes of a new request arrived while nothing was in flight.
    head_started: bool,
    /// When the connection became idle, or the current head started.
    since: Instant,
    /// Requests handed to the service, in all.
    dispatched: u64,
    /// HTTP/1.1 response heads (not 1xx) written, in all.
    heads_written: u64,
}

/// The shared state of one connection.
#[derive(Debug)]
pub struct ConnState {
    phase: Mutex<Phase>,
    timeouts: Timeouts,
}

/// A request in flight: the connection is not idle until it is dropped (with the
/// response body, once hyper has sent it whole).
#[derive(Debug)]
pub struct InFlight(Arc<ConnState>);

impl ConnState {
    /// A connection that just finished its TLS handshake.
    pub fn new(timeouts: Timeouts) -> Arc<ConnState> {
        Arc::new(ConnState {
            phase: Mutex::new(Phase {
                in_flight: 0,
                head_started: false,
                since: Instant::now(),
                dispatched: 0,
                heads_written: 0,
            }),
            timeouts,
        })
    }

    fn phase(&self) -> std::sync::MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The limits of this connection.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// Bytes were read.
    pub fn bytes_read(&self) {
        let mut p = self.phase();
        if p.in_flight == 0 && !p.head_started {
            p.head_started = true;
            p.since = Instant::now();
        }
    }

    /// A request reached the service; returns its guard and when its head started.
    pub fn request_started(self: &Arc<Self>) -> (InFlight, Instant) {
        let mut p = self.phase();
        let started = match p.head_started {
            true => p.since,
            false => Instant::now(),
        };
        p.in_flight += 1;
        p.dispatched += 1;
        p.head_started = false;
        (InFlight(self.clone()), started)
    }

    /// When the connection must be closed if nothing happens: `None` while a request is
    /// in flight (its own limits apply; an event stream may last).
    pub fn deadline(&self) -> Option<Instant> {
        let p = self.phase();
        match (p.in_flight, p.head_started) {
            (0, true) => Some(p.since + self.timeouts.header_read),
            (0, false) => Some(p.since + self.timeouts.idle),
            _ => None,
        }
    }

    /// Whether a response head about to be written is hyper's own (one beyond the
    /// requests handed to the service: its refusal of a malformed request).
    pub fn next_head_is_hyper_s(&self) -> bool {
        let p = self.phase();
        p.heads_written + 1 > p.dispatched
    }

    /// An HTTP/1.1 final response head was written (or replaced).
    pub fn head_written(&self) {
        self.phase().heads_written += 1;
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut p = self.0.phase();
        p.in_flight = p.in_flight.saturating_sub(1);
        if p.in_flight == 0 {
            p.since = Instant::now();
            p.head_started = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeouts() -> Timeouts {
        Timeouts {
            header_read: Duration::from_secs(1),
            body_read: Duration::from_secs(2),
            idle: Duration::from_secs(3),
            request: Duration::from_secs(4),
        }
    }

    #[test]
    fn conn_state_deadlines_follow_the_phase() {
        let s = ConnState::new(timeouts());
        let idle = s.deadline().unwrap();
        assert!(idle > Instant::now() + Duration::from_millis(2900), "idle");
        std::thread::sleep(Duration::from_millis(5));
        s.bytes_read();
        let head = s.deadline().unwrap();
        assert!(
            head < idle && head > Instant::now() + Duration::from_millis(900),
            "head"
        );
        let (guard, started) = s.request_started();
        assert_eq!(
            started + Duration::from_secs(1),
            head,
            "the request counts from its head"
        );
        assert_eq!(s.deadline(), None, "in flight");
        s.bytes_read();
        assert_eq!(s.deadline(), None, "bytes during a request");
        assert!(!s.next_head_is_hyper_s(), "our own response");
        s.head_written();
        std::thread::sleep(Duration::from_millis(5));
        drop(guard);
        assert!(
            s.deadline().unwrap() > idle,
            "idle again, from the end of the answer"
        );
        assert!(
            s.next_head_is_hyper_s(),
            "a head nobody asked for is hyper's"
        );
    }
}
