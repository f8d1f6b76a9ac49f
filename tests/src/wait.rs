//! Deadlines and polling.

use std::future::Future;
use std::time::{Duration, Instant};

/// A point in time after which a wait gives up.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// A deadline `d` from now.
    pub fn after(d: Duration) -> Deadline {
        Deadline(Instant::now() + d)
    }

    /// Whether it has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }

    /// Time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// Calls `probe` about every 100 ms until it returns `Ok`; fails after `timeout` with
/// `what` and the last `Err` the probe gave (a description of what it saw).
pub async fn poll_until<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> crate::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Deadline::after(timeout);
    loop {
        let last = match probe().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if deadline.passed() {
            return Err(format!(
                "timed out after {timeout:?} waiting for {what}; last: {last}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100).min(deadline.remaining())).await;
    }
}
