//! Pairing: applications ask, the practitioner compares a code and approves, the
//! application receives a token once; grants are listed, revoked and persisted.
//!
//! - [`secret`]: tokens (256 bits), ids, codes, token hashes.
//! - [`pending`]: requests waiting for the practitioner (memory only, a few minutes).
//! - [`store`]: the grants file (atomic writes, 0600, tokens hashed).
//!
//! Every decision is written to the [audit log](crate::audit).

pub mod pending;
pub mod secret;
pub mod store;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use passerelle_protocol::{
    AuditActor, ClientIdentity, EventKind, Grant, PairingCreated, PairingRequest, PairingState,
    PairingStatus, PendingPairing, Scope,
};
use serde_json::json;
use time::OffsetDateTime;

use crate::audit::{self, action};
use crate::config::SecurityConfig;
use crate::events::EventBus;
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
    /// The grants file could not be written.
    #[error("fichier des autorisations : {0}")]
    Io(#[from] std::io::Error),
}

/// Pairing requests and grants of one daemon.
pub struct Pairings {
    file: GrantFile,
    grants: Mutex<Vec<StoredGrant>>,
    pending: Mutex<Pending>,
    token_lifetime: Duration,
    preapproved: Vec<String>,
    events: Option<Arc<EventBus>>,
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
            grants: Mutex::new(grants),
            pending: Mutex::new(Pending::new(Duration::from_secs(
                config.pairing_timeout_seconds,
            ))),
            token_lifetime: Duration::from_secs(config.token_lifetime_seconds),
            preapproved: config.preapproved_origins.clone(),
            events,
        })
    }

    /// A new request from `client`. Origins pre-approved in the configuration are approved
    /// at once, unless they ask for `admin`.
    pub fn request(
        &self,
        client: ClientIdentity,
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
            && !scopes.contains(&Scope::Admin);
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let timeout = pending.timeout();
        let p = pending.insert(client.clone(), name, scopes, audit::now_rfc3339())?;
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
        drop(pending);
        let scope_names: Vec<String> = view.scopes.iter().map(|s| s.as_str().into()).collect();
        tracing::warn!(
            code = %view.code, client = %view.client, app = %view.app_name, scopes = ?scope_names,
            "pairing requested: compare the code, then `passerelle pair approve {}`", view.code
        );
        let actor = actor_of(&client);
        let details = json!({"code": view.code, "app_name": view.app_name, "scopes": scope_names});
        audit::record(action::PAIRING_REQUESTED, actor.clone(), details);
        if preapproved {
            audit::record(
                action::PAIRING_APPROVED,
                actor,
                json!({"code": view.code, "by": "security.preapproved_origins"}),
            );
        } else if let Some(events) = &self.events {
            events.publish(EventKind::PairingRequested {
                code: view.code,
                client: view.client.to_string(),
                app_name: view.app_name,
                scopes: scope_names,
            });
        }
        Ok(created)
    }

    /// The state of a request, asked by `client` (who must be the requester). After
    /// approval the first poll creates the grant and returns the token; later polls say
    /// `delivered`.
    pub fn poll(&self, id: &str, client: &ClientIdentity) -> Result<PairingState, PairingError> {
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
        {
            let mut grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
            let mut next = grants.clone();
            next.push(StoredGrant {
                grant: grant.clone(),
                token_sha256: secret::token_hash(&token),
                expires_unix: expires.unix_timestamp(),
            });
            self.file.save(&next)?;
            *grants = next;
        }
        p.status = PairingStatus::Delivered;
        let actor = AuditActor {
            grant_id: Some(grant.id.clone()),
            ..actor_of(client)
        };
        audit::record(
            action::TOKEN_ISSUED,
            actor,
            json!({"app_name": grant.app_name, "expires_at": grant.expires_at}),
        );
        Ok(PairingState {
            status: PairingStatus::Approved,
            token: Some(token),
            grant: Some(grant),
        })
    }

    /// Requests still known (waiting, approved, denied, delivered), oldest first.
    pub fn pending(&self) -> Vec<PendingPairing> {
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .list()
    }

    /// Approves or denies the waiting request with `code`; `by` is who decided.
    pub fn decide(
        &self,
        code: &str,
        approve: bool,
        by: AuditActor,
    ) -> Result<PendingPairing, PairingError> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let p = pending
            .waiting_by_code(code)
            .ok_or(PairingError::NotFound)?;
        p.status = if approve {
            PairingStatus::Approved
        } else {
            PairingStatus::Denied
        };
        let view = p.view();
        drop(pending);
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
        );
        Ok(view)
    }

    /// Every grant (expired ones included).
    pub fn grants(&self) -> Vec<Grant> {
        let grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        grants.iter().map(|g| g.grant.clone()).collect()
    }

    /// Removes a grant: its token stops working at once.
    pub fn revoke(&self, grant_id: &str, by: AuditActor) -> Result<Grant, PairingError> {
        let mut grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        let at = grants
            .iter()
            .position(|g| g.grant.id == grant_id)
            .ok_or(PairingError::NotFound)?;
        let mut next = grants.clone();
        let removed = next.remove(at).grant;
        self.file.save(&next)?;
        *grants = next;
        drop(grants);
        audit::record(
            action::GRANT_REVOKED,
            by,
            json!({"grant": removed.id, "client": removed.client.to_string(), "app_name": removed.app_name}),
        );
        Ok(removed)
    }

    /// The grant of `token` when it exists and has not expired; `None` otherwise (the
    /// caller must not tell which).
    pub fn authenticate(&self, token: &str) -> Option<Grant> {
        let hash = secret::token_hash(token);
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        grants
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
        let grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        grants
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
        ClientIdentity::Local { uid } => AuditActor {
            uid: Some(*uid),
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
