//! Keeping the served certificate current while the daemon runs: a daemon that runs for
//! months moves to its next certificate without a restart.

use std::time::Duration;

use axum_server::tls_rustls::RustlsConfig;

use passerelle_installation::tls::{Ensured, TlsError, TlsFiles};

/// How often the certificate is checked (the switch has [`passerelle_installation::tls::RENEW_BEFORE_DAYS`] of
/// margin).
const CHECK_EVERY: Duration = Duration::from_secs(6 * 3600);

/// Every [`CHECK_EVERY`], runs [`TlsFiles::ensure`] and, when it changed the certificate,
/// gives the new one to the running server (new connections get it; open ones keep theirs).
pub async fn keep_current(files: TlsFiles, served: RustlsConfig) {
    let mut ticks = tokio::time::interval(CHECK_EVERY);
    ticks.tick().await; // the first tick is immediate: the daemon has just checked
    loop {
        ticks.tick().await;
        let checked = files.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            let ensured = checked.ensure()?;
            let config = match ensured {
                Ensured::Kept => None,
                _ => Some(checked.server_config()?),
            };
            Ok::<_, TlsError>((ensured, config))
        })
        .await;
        match outcome {
            Ok(Ok((_, None))) => {}
            Ok(Ok((ensured, Some(config)))) => {
                served.reload_from_config(config);
                if ensured == Ensured::NewAuthority {
                    tracing::warn!(
                        ca = %files.ca.display(),
                        "new local certificate authority: trust it again (passerelle-install install)"
                    );
                } else {
                    tracing::info!("moved to the next certificate of the same authority");
                }
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "certificate check failed; retried later"),
            Err(e) => tracing::warn!(error = %e, "certificate check did not finish"),
        }
    }
}
