//! An in-process API for unit tests: the whole router (checks included) over a simulated
//! backend, a billing store in a temporary directory, and a paired client's token.

use std::sync::Arc;
use std::time::Instant;

use passerelle_protocol::{ClientIdentity, PairingRequest, Scope};

use super::auth::Auth;
use super::{router, AppState};
use crate::audit::AuditLog;
use crate::events::EventBus;
use crate::hub::Hub;
use crate::pairing::Pairings;
use crate::rights::ModelledRightsService;
use passerelle_billing::{Billing, Clock};
use passerelle_installation::config::SecurityConfig;
use passerelle_simcard::backend::SimBackend;

/// The port the `Host` check expects.
pub(crate) const PORT: u16 = 39443;

/// The router, the token of a client paired as `identity` with `scopes`, and the pieces.
pub(crate) struct TestApi {
    pub app: axum::Router,
    pub token: String,
    pub billing: Arc<Billing>,
}

/// Builds the API over `sim`, data in `dir`, billing on `clock`.
pub(crate) async fn test_api(
    dir: &std::path::Path,
    sim: SimBackend,
    clock: Arc<dyn Clock>,
    identity: ClientIdentity,
    scopes: Vec<Scope>,
) -> TestApi {
    let events = Arc::new(EventBus::new(16));
    let hub = Hub::start(Arc::new(sim.clone()), events.clone()).unwrap();
    let pairings = Arc::new(Pairings::open(dir, &SecurityConfig::default(), None).unwrap());
    let asked = PairingRequest {
        app_name: "App".into(),
        scopes,
    };
    let created = pairings
        .request(identity.clone(), None, asked)
        .await
        .unwrap();
    pairings
        .decide(&created.code, true, Default::default())
        .await
        .unwrap();
    let token = pairings
        .poll(&created.pairing_id, &identity)
        .await
        .unwrap()
        .token
        .unwrap();
    let billing = Arc::new(Billing::open(&dir.join("passerelle.sqlite3"), clock.clone()).unwrap());
    let mut config = passerelle_installation::config::Config::default();
    config.storage.data_dir = dir.to_owned();
    let transmission =
        Arc::new(crate::transmission::Transmission::new(&config, clock, None).unwrap());
    let state = AppState {
        hub,
        events,
        started: Instant::now(),
        simulator: Some(Arc::new(sim)),
        rights: Arc::new(ModelledRightsService::from_fixtures()),
        online_rights: Arc::default(),
        billing: billing.clone(),
        pairings: pairings.clone(),
        audit: Arc::new(AuditLog::open(&dir.join("audit.jsonl")).unwrap()),
        transmission,
        pin_per_signature: false,
        attachment_max_bytes: 4 * 1024 * 1024,
    };
    let auth = Arc::new(Auth::new(pairings, PORT, 100, 100));
    TestApi {
        app: router(
            state,
            auth,
            super::body::BodyLimits {
                max: 1 << 20,
                timeout: std::time::Duration::from_secs(10),
            },
        )
        .layer(axum::Extension(crate::server::TcpPeer {
            os_user: Some(passerelle_protocol::OsUser::unix(0)),
            addr: ([127, 0, 0, 1], 50000).into(),
        })),
        token,
        billing,
    }
}
