//! Starting the daemon: TLS material, reader backend, hub, API listeners on loopback only.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::Handle;

use crate::api::auth::Auth;
use crate::api::{self, AppState};
use crate::audit::{self, AuditLog};
use crate::config::{BackendChoice, Config};
use crate::events::EventBus;
use crate::hub::Hub;
use crate::local;
use crate::pairing::Pairings;
use crate::rights::ModelledRightsService;
use crate::sim::fixtures;
use crate::tls::{Ensured, TlsError, TlsFiles};
use crate::transport::pcsc::PcscBackend;
use crate::transport::sim::SimBackend;
use crate::transport::{ReaderBackend, TransportError};

/// Why the daemon could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// TLS material could not be made or loaded.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The listening port could not be bound.
    #[error(
        "impossible d'écouter sur {addr} : {source} (le port est-il déjà pris ? voir server.port)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The reader backend could not start.
    #[error("lecteurs de cartes : {0}")]
    Readers(#[from] TransportError),
    /// The billing store could not be opened.
    #[error("{0}")]
    Billing(#[from] crate::billing::BillingError),
    /// A listener failed while serving.
    #[error("serveur : {0}")]
    Serve(std::io::Error),
    /// The audit log, the grants file or the local socket could not be opened.
    #[error("{what} : {source}")]
    Security {
        /// Which.
        what: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Runs the daemon until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), DaemonError> {
    let started = Instant::now();
    let data_dir = config.data_dir();
    let tls = TlsFiles::in_dir(&data_dir);
    match tls.ensure()? {
        Ensured::Kept => {}
        Ensured::NextCertificate => {
            tracing::info!("moved to the next certificate of the same authority")
        }
        Ensured::NewAuthority => {
            tracing::info!(ca = %tls.ca.display(), "created a new local certificate authority")
        }
    }
    let rustls = RustlsConfig::from_config(tls.server_config()?);
    let rotation = tokio::spawn(crate::tls::rotation::keep_current(
        tls.clone(),
        rustls.clone(),
    ));

    let security = |what: &str| {
        let what = what.to_owned();
        move |source| DaemonError::Security { what, source }
    };
    let audit_path = data_dir.join(audit::FILE_NAME);
    let audit_log =
        Arc::new(AuditLog::open(&audit_path).map_err(security(&audit_path.display().to_string()))?);
    audit::install(audit_log.clone());
    let events = Arc::new(EventBus::new(config.events.buffer));
    let pairings = Arc::new(
        Pairings::open(&data_dir, &config.security, Some(events.clone()))
            .map_err(security("autorisations (grants.json)"))?,
    );

    let port = config.server.port;
    let mut listeners = vec![bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))?];
    match bind(SocketAddr::from((Ipv6Addr::LOCALHOST, port))) {
        Ok(l) => listeners.push(l),
        // A machine without IPv6 loopback still serves on 127.0.0.1; a taken port is fatal.
        Err(DaemonError::Bind { source, .. }) if source.kind() != std::io::ErrorKind::AddrInUse => {
            tracing::warn!(error = %source, "no IPv6 loopback: serving on 127.0.0.1 only");
        }
        Err(e) => return Err(e),
    }
    let socket = local::socket_path(&data_dir);
    let (unix, owner) = local::bind(&data_dir).map_err(security(&socket.display().to_string()))?;

    let billing = crate::billing::Billing::open(
        &data_dir.join(crate::store::FILE_NAME),
        Arc::new(crate::billing::SystemClock),
    )?;
    let (backend, simulator) = backend(&config);
    let hub = Hub::start(backend, events.clone())?;
    let auth = Arc::new(Auth::new(
        pairings.clone(),
        port,
        config.security.rate_limit_per_second,
        config.security.rate_limit_burst,
    ));
    let state = AppState {
        hub: hub.clone(),
        events,
        started,
        simulator,
        rights: Arc::new(ModelledRightsService::from_fixtures()),
        billing: Arc::new(billing),
        pairings,
        audit: audit_log,
    };
    let local_server = tokio::spawn(local::serve(unix, owner, state.clone()));
    let app = api::router(state, auth, config.server.max_body_bytes);

    let mut servers = tokio::task::JoinSet::new();
    let mut handles = Vec::new();
    for listener in listeners {
        let handle = Handle::new();
        handles.push(handle.clone());
        // TCP_NODELAY: rustls writes the session ticket and the response separately; with
        // Nagle, the response would wait for the client's delayed ACK (~40 ms per new
        // connection, measured by the card-path benchmark).
        let acceptor = RustlsAcceptor::new(rustls.clone()).acceptor(NoDelayAcceptor::new());
        let server = axum_server::from_tcp(listener)
            .map_err(DaemonError::Serve)?
            .acceptor(acceptor);
        let app = app.clone();
        servers.spawn(async move { server.handle(handle).serve(app.into_make_service()).await });
    }
    println!(
        "Passerelle {} : API sur https://localhost:{port}/v1/ (127.0.0.1 et ::1), lecteurs : {:?}.\n\
         Autorité de certification locale à faire approuver par le navigateur : {}\n\
         Jumelages : passerelle pair list --data-dir {} (socket {})",
        env!("CARGO_PKG_VERSION"),
        hub.backend_state().kind,
        tls.ca.display(),
        data_dir.display(),
        socket.display()
    );
    tracing::info!(
        port,
        startup_ms = started.elapsed().as_millis() as u64,
        "listening"
    );

    let outcome = tokio::select! {
        _ = shutdown_signal() => Ok(()),
        Some(result) = servers.join_next() => match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(DaemonError::Serve(e)),
            Err(e) => Err(DaemonError::Serve(std::io::Error::other(e))),
        },
    };
    tracing::info!("stopping");
    for handle in handles {
        handle.graceful_shutdown(Some(Duration::from_secs(2)));
    }
    while servers.join_next().await.is_some() {}
    local_server.abort();
    rotation.abort();
    let _ = std::fs::remove_file(&socket);
    hub.stop();
    outcome
}

fn backend(config: &Config) -> (Arc<dyn ReaderBackend>, Option<SimBackend>) {
    match config.readers.backend {
        BackendChoice::Pcsc => (Arc::new(PcscBackend::new()), None),
        BackendChoice::Simulated => {
            let readers = config
                .simulator
                .readers
                .iter()
                .enumerate()
                .map(|(i, spec)| {
                    // Specs were checked when the configuration was loaded.
                    let card = (!spec.is_empty())
                        .then(|| fixtures::card_from_spec(spec).ok())
                        .flatten();
                    (simulated_reader_name(i), card)
                })
                .collect();
            let mut sim = SimBackend::new(readers);
            for i in config.simulator.pin_pads() {
                sim = sim.with_pin_pad(&simulated_reader_name(i), PIN_PAD_TIMEOUT);
            }
            (Arc::new(sim.clone()), Some(sim))
        }
    }
}

/// How long a simulated PIN pad waits for the keys, as a real one does.
const PIN_PAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The name of simulated reader `i`.
fn simulated_reader_name(i: usize) -> String {
    format!("Passerelle lecteur simulé {i}")
}

fn bind(addr: SocketAddr) -> Result<TcpListener, DaemonError> {
    let listener = TcpListener::bind(addr).map_err(|source| DaemonError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| DaemonError::Bind { addr, source })?;
    Ok(listener)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
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
