//! What a caller on the local socket may do: the one place that decides it.
//!
//! The socket is 0600 and belongs to the daemon's account, so the OS already keeps other
//! accounts out; a caller that still reaches it through another account (root excepted) is
//! refused and audited. An admitted caller — the daemon's own account or the superuser —
//! may use every route without a token (such a process can read and write the data
//! directory anyway). It pairs local programs as [`ClientIdentity::Local`] with its own OS
//! account. An `Origin` header is refused here: no browser reaches this socket, so any
//! `Origin` on it is forged.
//!
//! [`ClientIdentity::Local`]: passerelle_protocol::ClientIdentity::Local

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use passerelle_protocol::{AuditActor, ErrorCode};
use serde_json::json;

use super::{Auth, Caller};
use crate::api::ApiFailure;
use crate::platform::local_socket::{is_superuser, LocalPeer, CHANNEL};

/// Admits the daemon's own account and the superuser; refuses (and audits) anyone else.
pub async fn check(auth: &Auth, peer: LocalPeer, mut req: Request, next: Next) -> Response {
    let admitted = peer
        .os_user
        .as_ref()
        .filter(|u| auth.owner.as_ref() == Some(*u) || is_superuser(u));
    let Some(os_user) = admitted.cloned() else {
        let actor = AuditActor {
            os_user: peer.os_user.clone(),
            ..Default::default()
        };
        let path = req.uri().path().to_owned();
        tracing::info!(os_user = ?peer.os_user, path, "local socket request refused");
        auth.audit_refusal(
            actor,
            json!({"code": ErrorCode::Unauthorized.as_str(), "channel": CHANNEL,
                   "method": req.method().as_str(), "path": path}),
        );
        return ApiFailure::new(
            ErrorCode::Unauthorized,
            "Utilisateur non autorisé sur ce socket.",
        )
        .into_response();
    };
    if req.headers().contains_key(axum::http::header::ORIGIN) {
        return ApiFailure::new(
            ErrorCode::OriginNotAllowed,
            "En-tête Origin refusé sur le socket local : aucun navigateur n'y a accès.",
        )
        .into_response();
    }
    req.extensions_mut().insert(Caller {
        origin: None,
        grant: None,
        os_user: Some(os_user),
        local: true,
    });
    next.run(req).await
}
