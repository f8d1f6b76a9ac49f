//! Open-file limits. Each connection is a file descriptor: with the usual soft limit of
//! 1,024, about a thousand idle connections used to make new clients time out (issue 12,
//! finding 3). At start the daemon raises its soft limit to the hard one (no privilege
//! needed), and caps its connections below what it got ([`connection_budget`]).
//! Windows has no per-process descriptor limit to raise.

/// Descriptors kept for everything that is not a client connection (readers, the store,
/// the audit log, logs, the local socket, TLS files, blocking threads' files).
pub const RESERVED_FILES: u64 = 256;

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force
/// (`None` where the OS has no such limit or it could not be read).
pub fn raise_open_files() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(e) => {
                tracing::warn!(error = %e, "could not raise the open-file limit");
                rlimit::getrlimit(rlimit::Resource::NOFILE)
                    .ok()
                    .map(|(soft, _)| soft)
            }
        }
    }
    #[cfg(not(unix))]
    None
}

/// How many client connections fit in `open_files` descriptors, at most `configured`.
pub fn connection_budget(configured: usize, open_files: Option<u64>) -> usize {
    match open_files {
        Some(limit) => {
            let room = limit.saturating_sub(RESERVED_FILES).max(16);
            configured.min(usize::try_from(room).unwrap_or(usize::MAX))
        }
        None => configured,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_budget_leaves_room_for_the_daemon() {
        assert_eq!(connection_budget(4096, Some(1024)), 768);
        assert_eq!(connection_budget(100, Some(1_048_576)), 100);
        assert_eq!(connection_budget(100, None), 100);
        assert_eq!(connection_budget(4096, Some(10)), 16);
    }

    #[cfg(unix)]
    #[test]
    fn limits_soft_is_raised_to_hard() {
        let soft = raise_open_files().unwrap();
        let (now, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
        assert_eq!(soft, now);
        assert!(now == hard || now >= 1 << 20, "soft {now}, hard {hard}");
    }
}
