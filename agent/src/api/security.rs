//! Pairing, grants and audit routes. The checks already ran ([`auth::check`](super::auth::check));
//! handlers read the [`Caller`] they established.

use axum::extract::{Query, State};
use axum::{Extension, Json};
use passerelle_protocol::{
    AuditPage, ClientIdentity, ErrorCode, Grant, GrantList, PairingCreated, PairingRequest,
    PairingState, PendingPairing, PendingPairingList,
};
use serde::Deserialize;

use super::auth::Caller;
use super::json::JsonBody;
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::pairing::PairingError;

impl From<PairingError> for ApiFailure {
    fn from(e: PairingError) -> Self {
        match e {
            PairingError::NotFound => ApiFailure::new(
                ErrorCode::PairingNotFound,
                "Demande de jumelage ou autorisation inconnue (ou expirée).",
            ),
            PairingError::Invalid(message) => ApiFailure::new(ErrorCode::PairingInvalid, message),
            PairingError::TooMany => ApiFailure::new(
                ErrorCode::TooManyPairings,
                "Trop de demandes de jumelage en attente pour ce compte du poste. Décidez-les \
                 (passerelle pair list) ou réessayez dans quelques minutes.",
            ),
            PairingError::Io(e) => {
                tracing::error!(error = %e, "grants file");
                ApiFailure::new(
                    ErrorCode::StorageError,
                    "Passerelle n'a pas pu enregistrer l'autorisation (disque) : rien n'est changé, \
                     réessayez. L'incident a été journalisé.",
                )
            }
        }
    }
}

/// Who a pairing is for: the OS account of a caller on the local socket, else the web
/// application of the `Origin`, required over TCP.
fn pairing_client(caller: &Caller) -> Result<ClientIdentity, ApiFailure> {
    if let (true, Some(os_user)) = (caller.local, &caller.os_user) {
        return Ok(ClientIdentity::Local {
            os_user: os_user.clone(),
        });
    }
    caller
        .origin
        .clone()
        .map(|origin| ClientIdentity::Origin { origin })
        .ok_or_else(|| {
            ApiFailure::new(
                ErrorCode::PairingInvalid,
                "Jumelage sans en-tête Origin : un programme local se jumelle par le socket Unix \
                 (`passerelle pair request`).",
            )
        })
}

/// `POST /v1/pairings`
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<PairingRequest>,
) -> Result<Json<PairingCreated>, ApiFailure> {
    let client = pairing_client(&caller)?;
    let os_user = caller.os_user.as_ref();
    Ok(Json(state.pairings.request(client, os_user, body).await?))
}

/// `GET /v1/pairings/{pairing_id}`
pub async fn poll(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<Json<PairingState>, ApiFailure> {
    let client = pairing_client(&caller)?;
    Ok(Json(state.pairings.poll(&id, &client).await?))
}

/// `GET /v1/pairings` (admin)
pub async fn list(State(state): State<AppState>) -> Json<PendingPairingList> {
    Json(PendingPairingList {
        pairings: state.pairings.pending(),
    })
}

/// `POST /v1/pairings/{code}/approve` (admin)
pub async fn approve(
    state: State<AppState>,
    caller: Extension<Caller>,
    code: PathParams<String>,
) -> Result<Json<PendingPairing>, ApiFailure> {
    decide(state, caller, code, true).await
}

/// `POST /v1/pairings/{code}/deny` (admin)
pub async fn deny(
    state: State<AppState>,
    caller: Extension<Caller>,
    code: PathParams<String>,
) -> Result<Json<PendingPairing>, ApiFailure> {
    decide(state, caller, code, false).await
}

async fn decide(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(code): PathParams<String>,
    approve: bool,
) -> Result<Json<PendingPairing>, ApiFailure> {
    Ok(Json(
        state
            .pairings
            .decide(&code, approve, caller.actor())
            .await?,
    ))
}

/// `GET /v1/grants` (admin)
pub async fn grants(State(state): State<AppState>) -> Json<GrantList> {
    Json(GrantList {
        grants: state.pairings.grants(),
    })
}

/// `DELETE /v1/grants/{id}` (admin)
pub async fn revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Grant>, ApiFailure> {
    Ok(Json(state.pairings.revoke(&id, caller.actor()).await?))
}

/// Query of `GET /v1/audit`.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Entries after this sequence number (default 0: from the start); at most
    /// `i64::MAX`, the API document's integer range.
    #[serde(default)]
    after: i64,
    /// At most this many: 1 to [`MAX_AUDIT_PAGE`] (the default).
    limit: Option<usize>,
}

/// Most audit entries one page returns (and how many when the query says nothing).
pub const MAX_AUDIT_PAGE: usize = 1000;

/// `GET /v1/audit` (admin)
pub async fn audit(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>, ApiFailure> {
    let Query(q) = query.map_err(|_| {
        ApiFailure::new(
            ErrorCode::BadRequest,
            "Paramètres invalides : after et limit sont des nombres.",
        )
    })?;
    let limit = q.limit.unwrap_or(MAX_AUDIT_PAGE);
    let Ok(after) = u64::try_from(q.after) else {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            "Paramètre after invalide : un numéro positif ou nul.",
        ));
    };
    if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            format!("Paramètre limit invalide : entre 1 et {MAX_AUDIT_PAGE}."),
        ));
    }
    let log = state.audit.clone();
    let read = tokio::task::spawn_blocking(move || log.read_after(after, limit))
        .await
        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
    let entries = read.map_err(|e| {
        tracing::error!(error = %e, "audit log read");
        ApiFailure::new(
            ErrorCode::StorageError,
            "Journal d'audit illisible pour l'instant : réessayez ; `passerelle doctor` vérifie sa chaîne.",
        )
    })?;
    Ok(Json(AuditPage { entries }))
}
