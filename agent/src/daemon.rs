//! Starting the daemon: TLS material, reader backend, hub, API listeners on loopback only.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum_server::tls_rustls::RustlsConfig;
use axum_server::Handle;

use crate::api::auth::Auth;
use crate::api::{self, AppState};
use crate::audit::{self, AuditLog};
use crate::events::EventBus;
use crate::hub::worker::Deadlines;
use crate::hub::Hub;
use crate::instance::InstanceLock;
use crate::pairing::Pairings;
use crate::platform::local_socket::{self, LocalPeer};
use crate::platform::os_users::AllowedUsers;
use crate::platform::{limits, signals};
use crate::server::limits::ConnLimits;
use crate::server::state::Timeouts;
use crate::server::ConnAcceptor;
use crate::simulator::SimulatorControl;
use crate::transmission::schedule::Daily;
use crate::transmission::Transmission;
use passerelle_cards::transport::pcsc::PcscBackend;
use passerelle_cards::transport::{ReaderBackend, TransportError};
use passerelle_installation::config::{BackendChoice, Config};
use passerelle_installation::tls::{Ensured, TlsError, TlsFiles};

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
    Billing(#[from] passerelle_billing::BillingError),
    /// A listener failed while serving.
    #[error("serveur : {0}")]
    Serve(std::io::Error),
    /// Another daemon already runs on this data directory.
    #[error(transparent)]
    Instance(#[from] crate::instance::InstanceError),
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
    let open_files = limits::raise_open_files();
    let max_connections = limits::connection_budget(config.server.max_connections, open_files);
    tracing::info!(?open_files, max_connections, "open-file limit");
    let data_dir = config.data_dir();
    let _instance = InstanceLock::acquire(&data_dir, config.server.port)?;
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
    let rotation = tokio::spawn(crate::tls_rotation::keep_current(
        tls.clone(),
        rustls.clone(),
    ));

    let security = |what: &str| {
        let what = what.to_owned();
        move |source| DaemonError::Security { what, source }
    };
    let audit_path = data_dir.join(audit::FILE_NAME);
    let audit_log = Arc::new(
        AuditLog::open_rotating(&audit_path, config.audit.rotate_bytes)
            .map_err(security(&audit_path.display().to_string()))?,
    );
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
    let socket = local_socket::socket_path(&data_dir);
    let (local_listener, owner) =
        local_socket::bind(&data_dir).map_err(security(&socket.display().to_string()))?;

    let (clock, movable) = clock(&config);
    let billing = Arc::new(passerelle_billing::Billing::open(
        &data_dir.join(passerelle_billing::store::FILE_NAME),
        clock.clone(),
    )?);
    let transmission = Arc::new(
        Transmission::new(&config, clock, movable).map_err(security("transmission (ca_file)"))?,
    );
    let mut background = transmission.start(billing.clone(), events.clone());
    let (backend, simulator) = backend(&config);
    let deadlines = Deadlines {
        apdu: config.readers.apdu_timeout(),
        job: config.readers.job_timeout(),
    };
    let hub = Hub::start_with(backend, events.clone(), deadlines)?;
    let auth = Arc::new(
        Auth::new(
            pairings.clone(),
            port,
            config.security.rate_limit_per_second,
            config.security.rate_limit_burst,
        )
        .with_allowed_users(allowed_users(&config, &owner))
        .with_local_owner(owner),
    );
    // Refusals left out of the audit log are summed up every 10 s, and at stop.
    let flush = auth.clone();
    let summaries = {
        let auth = auth.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(10));
            loop {
                every.tick().await;
                auth.flush_suppressed();
            }
        })
    };
    let state = AppState {
        hub: hub.clone(),
        events,
        started,
        simulator,
        rights: rights_service(),
        online_rights: Arc::default(),
        billing,
        pairings,
        audit: audit_log,
        transmission: transmission.clone(),
        pin_per_signature: config.security.pin_per_signature,
        attachment_max_bytes: config.attachments.max_bytes,
    };
    background.push(tokio::spawn(
        Daily {
            state: state.clone(),
            transmission,
        }
        .run(),
    ));
    let timeouts = Timeouts::from_config(&config.server);
    let body = api::body::BodyLimits {
        max: config.server.max_body_bytes,
        timeout: timeouts.body_read,
    };
    let app = api::router(state, auth, body);
    let conn_limits = ConnLimits::new(max_connections, config.server.max_connections_per_user);
    let peers = crate::platform::tcp_peer::PeerResolver::start().map_err(DaemonError::Serve)?;
    // The same router on the local socket: the caller is the OS account of its peer.
    let local_app = app.clone();
    let local_server = tokio::spawn(async move {
        let service = local_app.into_make_service_with_connect_info::<LocalPeer>();
        if let Err(e) = axum::serve(local_listener, service).await {
            tracing::error!(error = %e, "local socket server stopped");
        }
    });

    let mut servers = tokio::task::JoinSet::new();
    let mut handles = Vec::new();
    for listener in listeners {
        let handle = Handle::new();
        handles.push(handle.clone());
        // Peer OS user, connection limits, TLS, deadlines: see `crate::server`.
        let acceptor =
            ConnAcceptor::new(rustls.clone(), conn_limits.clone(), timeouts, peers.clone());
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
        _ = signals::shutdown() => Ok(()),
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
    summaries.abort();
    flush.flush_suppressed();
    rotation.abort();
    for task in background {
        task.abort();
    }
    local_socket::remove(&data_dir);
    hub.stop();
    outcome
}

/// Who may call over TCP: `security.allowed_os_users`, or its default for this kind of
/// install (a system install keeps its data in the system data directory).
fn allowed_users(config: &Config, own: &passerelle_protocol::OsUser) -> AllowedUsers {
    let system = passerelle_installation::ServiceMode::System
        .places()
        .is_ok_and(|p| p.data_dir == config.data_dir());
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let (allowed, unknown) = AllowedUsers::resolve(
        config.security.allowed_os_users.as_deref(),
        own,
        system,
        &read("/etc/passwd"),
        &read("/etc/group"),
    );
    for entry in unknown {
        tracing::warn!(entry, "security.allowed_os_users: names no account");
    }
    tracing::info!(
        ?allowed,
        system_install = system,
        "OS users allowed over TCP"
    );
    allowed
}

/// The reader backend the configuration names, and the simulator's controls when it is
/// the simulated one.
fn backend(config: &Config) -> (Arc<dyn ReaderBackend>, Option<Arc<dyn SimulatorControl>>) {
    match config.readers.backend {
        BackendChoice::Pcsc => (Arc::new(PcscBackend::new()), None),
        // Refused when the configuration was loaded (`config::check_build`).
        #[cfg(not(feature = "simulator"))]
        BackendChoice::Simulated => (Arc::new(PcscBackend::new()), None),
        #[cfg(feature = "simulator")]
        BackendChoice::Simulated => {
            use passerelle_simcard::{backend::SimBackend, fixtures};
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
            (Arc::new(sim.clone()), Some(Arc::new(sim)))
        }
    }
}

/// The billing clock: the system's, or one the tests may move forward
/// (`simulator.movable_clock`, in builds with the simulator).
fn clock(
    config: &Config,
) -> (
    Arc<dyn passerelle_billing::Clock>,
    Option<Arc<passerelle_billing::ShiftedClock>>,
) {
    if cfg!(feature = "simulator") && config.simulator.movable_clock {
        let shifted = Arc::new(passerelle_billing::ShiftedClock::default());
        tracing::warn!(
            "simulator.movable_clock: POST /v1/simulator/clock may move the billing clock"
        );
        return (shifted.clone(), Some(shifted));
    }
    (Arc::new(passerelle_billing::SystemClock), None)
}

/// The rights service of this build: the modelled one over the simulator's fixtures, or
/// none (ADRi and ApCV are licensed to approved vendors).
fn rights_service() -> Arc<dyn crate::rights::RightsService> {
    #[cfg(feature = "simulator")]
    return Arc::new(crate::rights::ModelledRightsService::from_fixtures());
    #[cfg(not(feature = "simulator"))]
    return Arc::new(crate::rights::NoRightsService);
}

/// How long a simulated PIN pad waits for the keys, as a real one does.
#[cfg(feature = "simulator")]
const PIN_PAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The name of simulated reader `i`.
#[cfg(feature = "simulator")]
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
