//! Pairing requests waiting for the practitioner, in memory only (a restart forgets them).

use std::time::{Duration, Instant};

use passerelle_protocol::{ClientIdentity, PairingStatus, PendingPairing, Scope};

use super::{secret, PairingError};

/// At most this many requests from one client wait at the same time.
const MAX_PER_CLIENT: usize = 4;
/// At most this many requests wait at the same time.
const MAX_TOTAL: usize = 32;

/// One pairing request.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// Secret id (the requester polls with it).
    pub id: String,
    /// Comparison code.
    pub code: String,
    /// Who asks.
    pub client: ClientIdentity,
    /// Its name.
    pub app_name: String,
    /// Scopes asked for.
    pub scopes: Vec<Scope>,
    /// RFC 3339.
    pub requested_at: String,
    /// Where it stands.
    pub status: PairingStatus,
    created: Instant,
}

impl PendingRequest {
    /// The public view (no id: it is the requester's secret).
    pub fn view(&self) -> PendingPairing {
        PendingPairing {
            code: self.code.clone(),
            client: self.client.clone(),
            app_name: self.app_name.clone(),
            scopes: self.scopes.clone(),
            status: self.status,
            requested_at: self.requested_at.clone(),
        }
    }
}

/// The requests of the last `timeout`.
#[derive(Debug)]
pub struct Pending {
    items: Vec<PendingRequest>,
    timeout: Duration,
}

impl Pending {
    /// Requests forgotten `timeout` after they were made, whatever their status.
    pub fn new(timeout: Duration) -> Pending {
        Pending {
            items: Vec::new(),
            timeout,
        }
    }

    /// How long a request lives.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn prune(&mut self) {
        let timeout = self.timeout;
        self.items.retain(|p| p.created.elapsed() < timeout);
    }

    /// Adds a request, refusing floods; returns it.
    pub fn insert(
        &mut self,
        client: ClientIdentity,
        app_name: String,
        scopes: Vec<Scope>,
        requested_at: String,
    ) -> Result<&PendingRequest, PairingError> {
        self.prune();
        let waiting = |p: &&PendingRequest| p.status == PairingStatus::Pending;
        let mine = self
            .items
            .iter()
            .filter(waiting)
            .filter(|p| p.client == client)
            .count();
        if mine >= MAX_PER_CLIENT || self.items.iter().filter(waiting).count() >= MAX_TOTAL {
            return Err(PairingError::Invalid(
                "Trop de demandes de jumelage en attente. Réessayez dans quelques minutes.".into(),
            ));
        }
        let code = loop {
            let c = secret::new_code();
            if self.items.iter().all(|p| p.code != c) {
                break c;
            }
        };
        self.items.push(PendingRequest {
            id: secret::new_pairing_id(),
            code,
            client,
            app_name,
            scopes,
            requested_at,
            status: PairingStatus::Pending,
            created: Instant::now(),
        });
        Ok(self.items.last().expect("just pushed"))
    }

    /// The request with this secret id, if it is still known.
    pub fn by_id(&mut self, id: &str) -> Option<&mut PendingRequest> {
        self.prune();
        self.items.iter_mut().find(|p| p.id == id)
    }

    /// The request still waiting with this code.
    pub fn waiting_by_code(&mut self, code: &str) -> Option<&mut PendingRequest> {
        self.prune();
        let code = code.trim();
        self.items
            .iter_mut()
            .find(|p| p.status == PairingStatus::Pending && p.code == code)
    }

    /// Every request still known, oldest first.
    pub fn list(&mut self) -> Vec<PendingPairing> {
        self.prune();
        self.items.iter().map(PendingRequest::view).collect()
    }
}
