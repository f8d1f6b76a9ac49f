//! Pairing: applications ask, the practitioner compares a code and approves, the
//! application receives a token once; grants are listed, revoked and persisted.
//!
//! - [`secret`]: tokens (256 bits), ids, codes, token hashes.
//! - [`pending`]: requests waiting for the practitioner (memory only, a few minutes).
//! - [`store`]: the grants file (atomic writes, 0600, tokens hashed).
//!
//! Every decision is written to the [audit log](crate::audit), and answered only once
//! written. Token checks never wait for the disk: they read the current snapshot of the
//! grants, which a change replaces only after the grants file was written (on a blocking
//! thread, one change at a time).

pub mod pending;
pub mod secret;
pub mod store;

use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use passerelle_protocol::{
    AuditActor, ClientIdentity, EventKind, Grant, OsUser, PairingCreated, PairingRequest,
    PairingState, PairingStatus, PendingPairing, Scope,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::{self, action};
use crate::events::EventBus;
use passerelle_installation::config::SecurityConfig;
use pending::Pending;
use store::{GrantFile, StoredGrant};

/// Why a pairing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    /// No such request or grant (or not visible to this client).
    #[error("demande de jumelage ou autorisation inconnue")]
    NotFound,
    /// The request is malformed or refused; the message is French.
    #[error("{0}")]
    Invalid(String),
    /// Too many requests of this OS user (or client) wait for the practitioner.
    #[error("trop de demandes de jumelage en attente")]
    TooMany,
    /// The grants file could not be written.
    #[error("fichier des autorisations : {0}")]
    Io(#[from] std::io::Error),
}

/// The grants as the checks see them; replaced whole after each write.
type Snapshot = Arc<Vec<StoredGrant>>;

/// Pairing requests and grants of one daemon.
pub struct Pairings {
    file: GrantFile,
    grants: RwLock<Snapshot>,
    /// Held across a change of the grants file: one change at a time, in order.
    writes: tokio::sync::Mutex<()>,
    pending: Mutex<Pending>,
    token_lifetime: Duration,
    preapproved: Vec<String>,
    events: Option<Arc<EventBus>>,
    /// Bumped after every change of the grants (open event streams re-check theirs).
    changes: tokio::sync::watch::Sender<u64>,
}

impl Pairings {
    /// Loads the grants of `data_dir`; `events` receives `pairing_requested` (admin only).
    pub fn open(
        data_dir: &std::path::Path,
        config: &SecurityConfig,
        events: Option<Arc<EventBus>>,
    ) -> std::io::Result<Pairings> {
        let file = GrantFile::new(&data_dir.join(store::FILE_NAME));
        let grants = file.load()?;
        Ok(Pairings {
            file,
            grants: RwLock::new(Arc::new(grants)),
            writes: tokio::sync::Mutex::new(()),
            pending: Mutex::new(Pending::new(
                Duration::from_secs(config.pairing_timeout_seconds),
                config.max_pending_pairings_per_user,
            )),
            token_lifetime: Duration::from_secs(config.token_lifetime_seconds),
            preapproved: config.preapproved_origins.clone(),
            events,
            changes: tokio::sync::watch::Sender::new(0),
        })
    }

    /// A new request from `client`, whose connection belongs to `os_user` (counted per OS
    /// user: see [`pending`]). Origins pre-approved in the configuration are approved at
    /// once when the OS user is known (the checks admitted it), unless they ask for `sign`,
    /// `transmit` or `admin`, which always need the practitioner once.
    pub async fn request(
        &self,
        client: ClientIdentity,
        os_user: Option<&OsUser>,
        req: PairingRequest,
    ) -> Result<PairingCreated, PairingError> {
        let name = req.app_name.trim().to_owned();
        // The length as sent (the API document's limit), then what is left once trimmed.
        let too_long = req.app_name.chars().count() > 64;
        if too_long || name.is_empty() || name.chars().any(char::is_control) {
            return Err(PairingError::Invalid(
                "Le nom de l'application doit compter de 1 à 64 caractères imprimables.".into(),
            ));
        }
        let mut scopes = req.scopes;
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(PairingError::Invalid(
                "Indiquez au moins une autorisation (scopes).".into(),
            ));
        }
        let preapproved = matches!(&client, ClientIdentity::Origin { origin } if self.preapproved.contains(origin))
            && os_user.is_some()
            && !scopes
                .iter()
                .any(|s| matches!(s, Scope::Sign | Scope::Transmit | Scope::Admin));
        let (created, view) = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let timeout = pending.timeout();
            let p = pending.insert(
                client.clone(),
                os_user.cloned(),
                name,
                scopes,
                audit::now_rfc3339(),
            )?;
            let created = PairingCreated {
                pairing_id: p.id.clone(),
                code: p.code.clone(),
                poll: format!("/v1/pairings/{}", p.id),
                expires_in_seconds: timeout.as_secs(),
            };
            let view = p.view();
            if preapproved {
                if let Some(p) = pending.by_id(&created.pairing_id) {
                    p.status = PairingStatus::Approved;
                }
            }
            (created, view)
        };
        let scope_names: Vec<String> = view.scopes.iter().map(|s| s.as_str().into()).collect();
        tracing::warn!(
            code = %view.code, client = %view.client, app = %view.app_name, scopes = ?scope_names,
            "pairing requested: compare the code, then `passerelle pair approve {}`", view.code
        );
        let actor = actor_of(&client);
        let details = json!({"code": view.code, "app_name": view.app_name, "scopes": scope_names});
        let requested = audit::record(action::PAIRING_REQUESTED, actor.clone(), details);
        if preapproved {
            let approved = audit::record(
                action::PAIRING_APPROVED,
                actor,
                json!({"code": view.code, "by": "security.preapproved_origins"}),
            );
            requested.written().await;
            approved.written().await;
        } else if let Some(events) = &self.events {
            events.publish(EventKind::PairingRequested {
                code: view.code,
                client: view.client.to_string(),
                app_name: view.app_name,
                scopes: scope_names,
            });
            requested.written().await;
        }
        Ok(created)
    }

    /// The state of a request, asked by `client` (who must be the requester). After
    /// approval the first poll creates the grant and returns the token; later polls say
    /// `delivered`.
    pub async fn poll(
        &self,
        id: &str,
        client: &ClientIdentity,
    ) -> Result<PairingState, PairingError> {
        // Held until the grant is written: a second poll of the same request waits, then
        // finds it delivered.
        let _writing = self.writes.lock().await;
        let (token, stored) = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let p = pending.by_id(id).ok_or(PairingError::NotFound)?;
            if &p.client != client {
                return Err(PairingError::NotFound);
            }
            if p.status != PairingStatus::Approved {
                return Ok(PairingState {
                    status: p.status,
                    token: None,
                    grant: None,
                });
            }
            let token = secret::new_token();
            let now = OffsetDateTime::now_utc();
            let expires = now + self.token_lifetime;
            let grant = Grant {
                id: secret::new_grant_id(),
                client: p.client.clone(),
                app_name: p.app_name.clone(),
                scopes: p.scopes.clone(),
                created_at: rfc3339(now),
                expires_at: rfc3339(expires),
            };
            let stored = StoredGrant {
                grant,
                token_sha256: secret::token_hash(&token),
                expires_unix: expires.unix_timestamp(),
            };
            (token, stored)
        };
        let grant = stored.grant.clone();
        let mut next = (*self.snapshot()).clone();
        next.push(stored);
        self.save(next).await?;
        if let Some(p) = self
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .by_id(id)
        {
            p.status = PairingStatus::Delivered;
        }
        let actor = AuditActor {
            grant_id: Some(grant.id.clone()),
            ..actor_of(client)
        };
        audit::record(
            action::TOKEN_ISSUED,
            actor,
            json!({"app_name": grant.app_name, "expires_at": grant.expires_at}),
        )
        .written()
        .await;
        Ok(PairingState {
            status: PairingStatus::Approved,
            token: Some(token),
            grant: Some(grant),
        })
    }

    /// The grants as they stand (a cheap copy of a pointer).
    fn snapshot(&self) -> Snapshot {
        self.grants
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Writes `next` to the grants file on a blocking thread, then makes it current. The
    /// caller holds `writes`.
    async fn save(&self, next: Vec<StoredGrant>) -> Result<(), PairingError> {
        let next = Arc::new(next);
        let (file, written) = (self.file.clone(), next.clone());
        tokio::task::spawn_blocking(move || file.save(&written))
            .await
            .map_err(std::io::Error::other)??;
        *self.grants.write().unwrap_or_else(|p| p.into_inner()) = next;
        self.changes.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Changes whenever the grants change (a revocation, a new grant).
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// When grant `id` expires (Unix seconds), if it still exists.
    pub fn expiry(&self, id: &str) -> Option<i64> {
        self.snapshot()
            .iter()
            .find(|g| g.grant.id == id)
            .map(|g| g.expires_unix)
    }

    /// Requests still known (waiting, approved, denied, delivered), oldest first.
    pub fn pending(&self) -> Vec<PendingPairing> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .list()
    }

    /// Approves or denies the waiting request with `code`; `by` is who decided.
    pub async fn decide(
        &self,
        code: &str,
        approve: bool,
        by: AuditActor,
    ) -> Result<PendingPairing, PairingError> {
        let view = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            let p = pending
                .waiting_by_code(code)
                .ok_or(PairingError::NotFound)?;
            p.status = if approve {
                PairingStatus::Approved
            } else {
                PairingStatus::Denied
            };
            p.view()
        };
        let what = if approve {
            action::PAIRING_APPROVED
        } else {
            action::PAIRING_DENIED
        };
        tracing::info!(code = %view.code, client = %view.client, what, "pairing decided");
        audit::record(
            what,
            by,
            json!({"code": view.code, "client": view.client.to_string(), "app_name": view.app_name}),
        )
        .written()
        .await;
        Ok(view)
    }

    /// Every grant (expired ones included).
    pub fn grants(&self) -> Vec<Grant> {
        self.snapshot().iter().map(|g| g.grant.clone()).collect()
    }

    /// Removes a grant: its token stops working once the grants file no longer holds it,
    /// before this answers.
    pub async fn revoke(&self, grant_id: &str, by: AuditActor) -> Result<Grant, PairingError> {
        let _writing = self.writes.lock().await;
        let mut next = (*self.snapshot()).clone();
        let at = next
            .iter()
            .position(|g| g.grant.id == grant_id)
            .ok_or(PairingError::NotFound)?;
        let removed = next.remove(at).grant;
        self.save(next).await?;
        audit::record(
            action::GRANT_REVOKED,
            by,
            json!({"grant": removed.id, "client": removed.client.to_string(), "app_name": removed.app_name}),
        )
        .written()
        .await;
        Ok(removed)
    }

    /// The grant of `token` when it exists and has not expired; `None` otherwise (the
    /// caller must not tell which).
    pub fn authenticate(&self, token: &str) -> Option<Grant> {
        let hash = secret::token_hash(token);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.snapshot()
            .iter()
            .find(|g| g.token_sha256 == hash && g.expires_unix > now)
            .map(|g| g.grant.clone())
    }

    /// Whether `origin` may call the API: it holds a grant (even expired: the page then
    /// reads a CORS-visible `unauthorized` and knows to pair again), or an administrator
    /// pre-approved it. A revoked grant no longer counts.
    pub fn origin_approved(&self, origin: &str) -> bool {
        if self.preapproved.iter().any(|o| o == origin) {
            return true;
        }
        self.snapshot()
            .iter()
            .any(|g| matches!(&g.grant.client, ClientIdentity::Origin { origin: o } if o == origin))
    }
}

/// The audit actor for a client identity.
pub fn actor_of(client: &ClientIdentity) -> AuditActor {
    match client {
        ClientIdentity::Origin { origin } => AuditActor {
            origin: Some(origin.clone()),
            ..Default::default()
        },
        ClientIdentity::Local { os_user } => AuditActor {
            os_user: Some(os_user.clone()),
            ..Default::default()
        },
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
