//! How many TCP connections may be open: in all, and per OS user (issue 12, finding 3).
//! A connection holds a [`ConnPermit`] for as long as it is open.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use passerelle_protocol::OsUser;

/// The counts of open connections.
#[derive(Debug)]
pub struct ConnLimits {
    max: usize,
    per_user: usize,
    open: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_user: HashMap<Option<OsUser>, usize>,
}

/// One open connection, counted until dropped.
#[derive(Debug)]
pub struct ConnPermit {
    limits: Arc<ConnLimits>,
    user: Option<OsUser>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `server.max_connections` are open.
    Total,
    /// This OS user has `server.max_connections_per_user` open.
    User,
}

impl ConnLimits {
    /// At most `max` connections, and `per_user` of one OS user (unknown users count as
    /// one).
    pub fn new(max: usize, per_user: usize) -> Arc<ConnLimits> {
        Arc::new(ConnLimits {
            max,
            per_user: per_user.min(max),
            open: Mutex::new(Counts::default()),
        })
    }

    /// Counts a new connection of `user`, unless a limit is reached.
    pub fn admit(self: &Arc<Self>, user: Option<&OsUser>) -> Result<ConnPermit, Refusal> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.max {
            return Err(Refusal::Total);
        }
        let mine = open.by_user.entry(user.cloned()).or_default();
        if *mine >= self.per_user {
            return Err(Refusal::User);
        }
        *mine += 1;
        open.total += 1;
        Ok(ConnPermit {
            limits: self.clone(),
            user: user.cloned(),
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }
}

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_user.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conn_limits_total_and_per_user() {
        let limits = ConnLimits::new(3, 2);
        let (a, b) = (OsUser::unix(1), OsUser::unix(2));
        let a1 = limits.admit(Some(&a)).unwrap();
        let _a2 = limits.admit(Some(&a)).unwrap();
        assert_eq!(limits.admit(Some(&a)).unwrap_err(), Refusal::User);
        let _b1 = limits.admit(Some(&b)).unwrap();
        assert_eq!(limits.admit(Some(&b)).unwrap_err(), Refusal::Total);
        drop(a1);
        assert_eq!(limits.open(), 2);
        assert!(
            limits.admit(Some(&b)).is_ok(),
            "a closed connection frees its place"
        );
    }
}
