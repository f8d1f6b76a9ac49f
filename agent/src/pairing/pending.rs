//! Pairing requests waiting for the practitioner, in memory only (a restart forgets them).
//!
//! Floods are bounded on what cannot be forged: at most `max_per_user` waiting requests
//! per OS user (however many origins it makes up), [`MAX_PER_CLIENT`] per client, and
//! [`MAX_TOTAL`] over TCP in all. Requests made on the local socket (`passerelle pair
//! request`) are counted apart, within [`LOCAL_RESERVE`]: a flood over TCP never keeps the
//! practitioner's own command from pairing.

use std::time::{Duration, Instant};

use passerelle_protocol::{ClientIdentity, OsUser, PairingStatus, PendingPairing, Scope};

use super::{secret, PairingError};

/// At most this many requests from one client wait at the same time.
pub const MAX_PER_CLIENT: usize = 4;
/// At most this many requests over TCP wait at the same time.
pub const MAX_TOTAL: usize = 32;
/// Waiting requests of local-socket clients, counted apart from the others.
pub const LOCAL_RESERVE: usize = 8;

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
    /// The OS user of the connection that asked.
    pub os_user: Option<OsUser>,
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
    max_per_user: usize,
}

impl Pending {
    /// Requests forgotten `timeout` after they were made, whatever their status; at most
    /// `max_per_user` waiting per OS user.
    pub fn new(timeout: Duration, max_per_user: usize) -> Pending {
        Pending {
            items: Vec::new(),
            timeout,
            max_per_user,
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
        os_user: Option<OsUser>,
        app_name: String,
        scopes: Vec<Scope>,
        requested_at: String,
    ) -> Result<&PendingRequest, PairingError> {
        self.prune();
        let local = |c: &ClientIdentity| matches!(c, ClientIdentity::Local { .. });
        let waiting: Vec<&PendingRequest> = self
            .items
            .iter()
            .filter(|p| p.status == PairingStatus::Pending)
            .filter(|p| local(&p.client) == local(&client))
            .collect();
        let count = |f: &dyn Fn(&PendingRequest) -> bool| waiting.iter().filter(|p| f(p)).count();
        let full = match local(&client) {
            true => waiting.len() >= LOCAL_RESERVE,
            false => {
                count(&|p| p.client == client) >= MAX_PER_CLIENT
                    || count(&|p| p.os_user == os_user) >= self.max_per_user
                    || waiting.len() >= MAX_TOTAL
            }
        };
        if full {
            return Err(PairingError::TooMany);
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
            os_user,
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
