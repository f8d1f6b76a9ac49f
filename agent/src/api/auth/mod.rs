//! The security checks of every request, as one axum middleware ([`check`]).
//!
//! A request that came through the local socket (it carries [`LocalPeer`] connection info)
//! is judged by [`local`] alone: the one place that decides what a local caller may do.
//! Over TCP, in this order (TLS, loopback and the connection limits are the listener's
//! job, before any of this: `crate::server`):
//! 0. the OS user owning the peer socket ([`TcpPeer`], found once per connection) is in
//!    `security.allowed_os_users`, else `os_user_not_allowed`, before anything else;
//! 1. [`host`]: `Host` is `localhost`, `127.0.0.1` or `[::1]` with our port (DNS rebinding);
//! 2. [`origin`]: an `Origin`, when present, is approved (pairing routes: any pairable
//!    origin); a CORS preflight from such an origin is answered here ([`cors`]);
//! 3. [`token`]: a valid, unexpired token bound to that origin (a local client's token
//!    with no `Origin` at all, from the OS user it was issued to) — unless [`scopes`] says
//!    the route needs none;
//! 4. [`scopes`]: the token has the route's scope;
//! 5. [`rate`]: the token's bucket (without a token: the OS user's, never the origin's,
//!    which a program can make up) is not empty.
//!
//! The body limit applies after, when the handler reads the body. Every refusal is JSON
//! with a stable code, carries CORS headers only for an approved origin, and is written to
//! the audit log (at most at the rate limit per OS user, then one line sums up the rest).
//! Handlers find the authenticated [`Caller`] in the request extensions.

pub mod cors;
pub mod host;
pub mod local;
pub mod origin;
pub mod rate;
pub mod scopes;
pub mod token;

use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passerelle_protocol::{AuditActor, ClientIdentity, ErrorCode, Grant, OsUser, Scope};
use serde_json::json;

use super::ApiFailure;
use crate::audit::{self, action};

use crate::pairing::Pairings;
use crate::platform::local_socket::LocalPeer;
use crate::platform::os_users::AllowedUsers;
use crate::server::TcpPeer;
use scopes::Access;

/// What the checks need.
pub struct Auth {
    /// Grants and pairing requests.
    pub pairings: Arc<Pairings>,
    /// Our TLS port (the `Host` check).
    pub port: u16,
    /// Requests per token / client.
    pub limiter: rate::RateLimiter,
    /// Audit lines about refusals per client: a flood of refused requests must not fill
    /// the disk. Refusals beyond it are counted, and the count goes into the next line.
    pub refusal_audit: rate::RateLimiter,
    /// Refusals not written since the last written one, per OS user.
    pub suppressed: std::sync::Mutex<std::collections::HashMap<String, u64>>,
    /// The daemon's own OS account: served on the local socket, with the superuser.
    pub owner: Option<OsUser>,
    /// Who may call over TCP (`security.allowed_os_users`); by default only the superuser.
    pub allowed: AllowedUsers,
}

impl Auth {
    /// The checks for a daemon on `port`, with the configured rate limit.
    pub fn new(pairings: Arc<Pairings>, port: u16, per_second: u32, burst: u32) -> Auth {
        Auth {
            pairings,
            port,
            limiter: rate::RateLimiter::new(per_second, burst),
            refusal_audit: rate::RateLimiter::new(per_second, burst),
            suppressed: Default::default(),
            owner: None,
            allowed: AllowedUsers::Only(Default::default()),
        }
    }

    /// The same checks, admitting `allowed` over TCP.
    pub fn with_allowed_users(mut self, allowed: AllowedUsers) -> Auth {
        self.allowed = allowed;
        self
    }

    /// The same checks, serving `owner` (and the superuser) on the local socket.
    pub fn with_local_owner(mut self, owner: OsUser) -> Auth {
        self.owner = Some(owner);
        self
    }

    /// Writes a refusal to the audit log, unless this OS user's refusals are flooding it
    /// (keyed on what cannot be forged: the OS user, not the origin or the token).
    fn audit_refusal(&self, actor: AuditActor, mut details: serde_json::Value) {
        let key = match &actor.os_user {
            Some(u) => format!("os_user:{u}"),
            None => "os_user:unknown".to_owned(),
        };
        if self.refusal_audit.check(&key).is_err() {
            let mut counts = self.suppressed.lock().unwrap_or_else(|p| p.into_inner());
            if counts.len() < 4096 || counts.contains_key(&key) {
                *counts.entry(key).or_default() += 1;
            }
            return;
        }
        let suppressed = self
            .suppressed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key)
            .unwrap_or(0);
        if suppressed > 0 {
            details["suppressed_before"] = json!(suppressed);
        }
        // Refusals are not synced: nothing to wait for.
        drop(audit::record(action::REFUSED, actor, details));
    }

    /// Writes one summary line (`refusals_suppressed`, with the count) per OS user whose
    /// refusals were left out since its last line: the daemon calls it every few seconds,
    /// so a flood that stops is still summed up.
    pub fn flush_suppressed(&self) {
        let counts =
            std::mem::take(&mut *self.suppressed.lock().unwrap_or_else(|p| p.into_inner()));
        for (key, count) in counts {
            let os_user = key
                .strip_prefix("os_user:")
                .filter(|u| *u != "unknown")
                .map(|u| OsUser(u.to_owned()));
            let actor = AuditActor {
                os_user,
                ..Default::default()
            };
            drop(audit::record(
                action::REFUSALS_SUPPRESSED,
                actor,
                json!({ "count": count }),
            ));
        }
    }
}

/// Who is calling, as established by the checks (a request extension).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The `Origin` header, already approved (or pairable, on pairing routes).
    pub origin: Option<String>,
    /// The grant of the token, on routes that need one.
    pub grant: Option<Grant>,
    /// The OS account behind the connection (the peer credentials of the local socket,
    /// the owner of the peer socket over TCP).
    pub os_user: Option<OsUser>,
    /// The caller came through the local socket (admitted by [`local`]: it may do
    /// everything the daemon's own account may, without a token).
    pub local: bool,
}

impl Caller {
    /// Whether the caller's token has `scope` (a local-socket caller has every scope).
    pub fn has(&self, scope: Scope) -> bool {
        self.local
            || self
                .grant
                .as_ref()
                .is_some_and(|g| g.scopes.contains(&scope))
    }

    /// The caller for the audit log.
    pub fn actor(&self) -> AuditActor {
        AuditActor {
            origin: self.origin.clone(),
            grant_id: self.grant.as_ref().map(|g| g.id.clone()),
            os_user: self.os_user.clone(),
            ..Default::default()
        }
    }
}

/// Whether `grant` may be used by a request with this `origin` from `os_user`: a web
/// grant from its origin, a local program's grant without an `Origin`, from the OS user
/// it was issued to (or the superuser).
fn bound_to(grant: &Grant, origin: Option<&str>, os_user: Option<&OsUser>) -> bool {
    match (&grant.client, origin) {
        (ClientIdentity::Origin { origin: o }, Some(given)) => o == given,
        (ClientIdentity::Local { os_user: owner }, None) => {
            os_user.is_some_and(|u| u == owner || u.uid() == Some(0))
        }
        _ => false,
    }
}

/// The middleware: see the module documentation for the order.
pub async fn check(State(auth): State<Arc<Auth>>, mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<LocalPeer>>().cloned() {
        return local::check(&auth, peer, req, next).await;
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let authority = req.uri().authority().map(|a| a.to_string());
    let peer = req.extensions().get::<TcpPeer>().cloned();
    let os_user = peer.as_ref().and_then(|p| p.os_user.clone());
    let headers = req.headers();
    let refuse = |failure: ApiFailure, origin: Option<&str>, cors: bool, grant: Option<&Grant>| {
        let code = failure.0.error.code;
        let actor = AuditActor {
            origin: origin.map(str::to_owned),
            grant_id: grant.map(|g| g.id.clone()),
            os_user: os_user.clone(),
            ..Default::default()
        };
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or(authority.as_deref())
            .map(|h| h.chars().take(100).collect::<String>());
        tracing::info!(code = code.as_str(), %method, path, ?origin, "request refused");
        auth.audit_refusal(
            actor,
            json!({"code": code.as_str(), "method": method.as_str(), "path": path,
                   "query": token::redact_query(query.as_deref()), "host": host}),
        );
        let mut resp = failure.into_response();
        if code == ErrorCode::Unauthorized {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let (true, Some(o)) = (cors, origin) {
            cors::decorate(&mut resp, o);
        }
        resp
    };

    // 0. The OS user (a request without a known TCP peer, or from a user not allowed).
    if peer.is_none() || !auth.allowed.allows(os_user.as_ref()) {
        let shown = os_user.as_ref().map(|u| u.to_string());
        let f = ApiFailure::new(
            ErrorCode::OsUserNotAllowed,
            "Ce programme tourne sous un compte du poste qui n'est pas autorisé à utiliser \
             Passerelle (security.allowed_os_users).",
        )
        .details(json!({ "os_user": shown }));
        return refuse(f, None, false, None);
    }
    // 1. Host.
    if !host::allowed(req.uri(), headers, auth.port) {
        let f = ApiFailure::new(
            ErrorCode::HostNotAllowed,
            "Adresse refusée : Passerelle ne répond qu'à localhost, 127.0.0.1 ou [::1] sur son port.",
        );
        return refuse(f, None, false, None);
    }
    // 2. Origin.
    let Ok(origin) = origin::from_headers(headers) else {
        let f = ApiFailure::new(ErrorCode::OriginNotAllowed, "En-tête Origin invalide.");
        return refuse(f, None, false, None);
    };
    // A preflight is judged by the method it announces.
    let preflight = cors::is_preflight(&method, headers);
    let announced = headers
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .and_then(|m| m.parse::<axum::http::Method>().ok());
    let access = match (preflight, announced) {
        (true, Some(m)) => scopes::required(&m, &path),
        _ => scopes::required(&method, &path),
    };
    if let Some(o) = &origin {
        let ok = match access {
            Access::Pairing => origin::is_pairable(o),
            _ => auth.pairings.origin_approved(o),
        };
        if !ok {
            let f = ApiFailure::new(
                ErrorCode::OriginNotAllowed,
                "Cette application web n'est pas jumelée avec Passerelle : demandez un jumelage.",
            )
            .details(json!({ "origin": o }));
            return refuse(f, Some(o), false, None);
        }
        if preflight {
            return cors::preflight(o, headers);
        }
    }
    // 3 and 4. Token bound to the origin, with the route's scope.
    let mut caller = Caller {
        origin: origin.clone(),
        grant: None,
        os_user: os_user.clone(),
        local: false,
    };
    if let Access::Scope(scope) = access {
        let grant = token::bearer(headers)
            .and_then(|t| auth.pairings.authenticate(&t))
            .filter(|g| bound_to(g, origin.as_deref(), os_user.as_ref()));
        let Some(grant) = grant else {
            let message = if token::in_query(query.as_deref()) {
                "Application non autorisée : le jeton se transmet dans l'en-tête « Authorization: Bearer », jamais dans l'adresse."
            } else {
                "Application non autorisée : jeton absent, invalide ou expiré. Jumelez l'application avec Passerelle."
            };
            let f = ApiFailure::new(ErrorCode::Unauthorized, message);
            return refuse(f, origin.as_deref(), true, None);
        };
        if !grant.scopes.contains(&scope) {
            let f = ApiFailure::new(
                ErrorCode::ScopeMissing,
                format!(
                    "Cette application n'a pas l'autorisation « {} » nécessaire ici.",
                    scope.as_str()
                ),
            )
            .details(json!({ "required": scope.as_str() }));
            return refuse(f, origin.as_deref(), true, Some(&grant));
        }
        caller.grant = Some(grant);
    }
    // 5. Rate limit.
    let key = match (&caller.grant, &os_user) {
        (Some(g), _) => format!("grant:{}", g.id),
        (None, Some(u)) => format!("os_user:{u}"),
        (None, None) => "os_user:unknown".to_owned(),
    };
    if let Err(wait) = auth.limiter.check(&key) {
        let ms = wait.as_millis().max(1) as u64;
        let f = ApiFailure::new(
            ErrorCode::RateLimited,
            "Trop de requêtes : ralentissez puis réessayez.",
        )
        .details(json!({ "retry_after_ms": ms }));
        let mut resp = refuse(f, origin.as_deref(), true, caller.grant.as_ref());
        let secs = ms.div_ceil(1000).to_string();
        if let Ok(v) = HeaderValue::from_str(&secs) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    req.extensions_mut().insert(caller);
    let mut resp = next.run(req).await;
    if let Some(o) = &origin {
        cors::decorate(&mut resp, o);
    }
    resp
}

#[cfg(test)]
mod tests;
