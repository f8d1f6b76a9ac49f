//! When to stop: SIGINT or SIGTERM on Unix (systemd stops a unit with SIGTERM). Windows
//! (not written: it cannot be built here): Ctrl-C from a console, and, run as a service,
//! the stop control received through the `windows-service` crate's dispatcher, which
//! would resolve this same future.

/// Resolves when the daemon is asked to stop.
pub async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
