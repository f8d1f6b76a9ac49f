//! Who is calling, as the reader queue, the logs and the audit log show it.

use axum::extract::FromRequestParts;
use axum::http::header::ORIGIN;
use axum::http::request::Parts;
use passerelle_protocol::ClientIdentity;

use super::auth;
use crate::hub::PinHolder;
use crate::service::Caller;

/// Extracts the [`Caller`]: the application of the token the checks accepted (its name,
/// its origin or OS user, its grant id), else the request's `Origin` when printable.
pub struct RequestCaller(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for RequestCaller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let checked = parts.extensions.get::<auth::Caller>();
        let mut actor = checked.map(auth::Caller::actor).unwrap_or_default();
        let grant = checked.and_then(|c| c.grant.as_ref());
        if let Some(ClientIdentity::Local { os_user }) = grant.map(|g| &g.client) {
            actor.os_user = Some(os_user.clone());
        }
        let origin = parts
            .headers
            .get(ORIGIN)
            .and_then(|v| v.to_str().ok())
            .filter(|v| v.len() <= 200)
            .map(str::to_owned);
        let local = checked.filter(|c| c.local).and_then(|c| c.os_user.as_ref());
        let client = match (grant, &origin, local) {
            (Some(g), Some(o), _) => Some(format!("{} ({o})", g.app_name)),
            (Some(g), None, _) => Some(g.app_name.clone()),
            (None, None, Some(u)) => Some(format!("local:{u}")),
            (None, o, _) => o.clone(),
        };
        if actor.origin.is_none() {
            actor.origin = origin;
        }
        let holder = match (grant, local) {
            (Some(g), _) => Some(PinHolder::Grant(g.id.clone())),
            (None, Some(u)) => Some(PinHolder::Local(u.clone())),
            (None, None) => None,
        };
        Ok(RequestCaller(Caller {
            client,
            actor,
            holder,
        }))
    }
}
