//! Assistants: `POST /v1/assistants` (the practitioner, CPS + PIN, grants an assistant's CPE
//! or a paired application acting for a named assistant the right to prepare FSE within
//! dates), `GET /v1/assistants`, `POST /v1/assistants/{id}/revoke`; [`guard`], the layer
//! that refuses an assistant's application every signing and sending route; and
//! [`preparer`], who prepares an FSE creation (the CPE named by the request, or the
//! assistant the calling application acts for).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use passerelle_protocol::{
    Assistant, AssistantGrant, AssistantGrantList, AssistantGrantRequest, AssistantInput, CardKind,
    ErrorCode, ReplacementCardRequest, Scope,
};
use serde_json::json;

use super::auth::{self, scopes};
use super::billing::blocking;
use super::caller::RequestCaller;
use super::json::JsonBody;
use super::path::PathParams;
use super::replacements::practitioner_card;
use super::{ApiFailure, AppState};
use crate::audit::{self, action};
use crate::service::{cards, Caller};
use passerelle_billing::BillingSigner;

fn invalid(field: &str, message: &str) -> ApiFailure {
    ApiFailure::new(
        ErrorCode::InvalidReplacement,
        format!("{field} : {message}"),
    )
    .details(json!({ "field": field }))
}

/// Writes an assistant operation's outcome to the audit log (before the answer).
async fn audited(
    caller: &Caller,
    op: &str,
    r: Result<AssistantGrant, ApiFailure>,
) -> Result<Json<AssistantGrant>, ApiFailure> {
    let details = match &r {
        Ok(g) => json!({
            "op": op, "outcome": "ok", "grant": g.id, "practitioner": g.practitioner,
            "assistant": g.assistant, "start": g.start, "end": g.end,
        }),
        Err(e) => json!({ "op": op, "outcome": "refused", "code": e.0.error.code }),
    };
    audit::record(action::ASSISTANT_GRANT, caller.actor.clone(), details)
        .written()
        .await;
    r.map(Json)
}

/// The CPE in `reader`, as an assistant.
async fn cpe(state: &AppState, caller: &Caller, reader: &str) -> Result<Assistant, ApiFailure> {
    let card = cards::cpx(&state.hub, reader, caller, false).await?;
    if card.kind != CardKind::Cpe {
        return Err(invalid(
            "assistant.reader",
            "la carte de ce lecteur n'est pas une carte d'assistant (CPE).",
        ));
    }
    Ok(Assistant::Cpe {
        serial: card.serial.clone(),
        last_name: card.holder.last_name.clone(),
        first_name: card.holder.first_name.clone(),
    })
}

/// `POST /v1/assistants`.
pub async fn grant(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    JsonBody(req): JsonBody<AssistantGrantRequest>,
) -> Result<Json<AssistantGrant>, ApiFailure> {
    let r = async {
        let signer = practitioner_card(&state, &caller, &req.reader, req.situation).await?;
        let assistant = match req.assistant {
            AssistantInput::Cpe { reader } => cpe(&state, &caller, &reader).await?,
            AssistantInput::Application { grant_id, name } => {
                if !state.pairings.grants().iter().any(|g| g.id == grant_id) {
                    return Err(invalid(
                        "assistant.grant_id",
                        "aucune application appairée n'a cet identifiant.",
                    ));
                }
                Assistant::Application { grant_id, name }
            }
        };
        let by = signer.identity();
        let (start, end) = (req.start, req.end);
        blocking(&state, move |b| {
            b.grant_assistant(&by, assistant, &start, &end)
        })
        .await
    }
    .await;
    audited(&caller, "grant", r).await
}

/// `GET /v1/assistants`.
pub async fn list(State(state): State<AppState>) -> Result<Json<AssistantGrantList>, ApiFailure> {
    let grants = blocking(&state, |b| b.assistant_grants()).await?;
    Ok(Json(AssistantGrantList { grants }))
}

/// `POST /v1/assistants/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    PathParams(id): PathParams<i64>,
    JsonBody(req): JsonBody<ReplacementCardRequest>,
) -> Result<Json<AssistantGrant>, ApiFailure> {
    let r = async {
        let signer = practitioner_card(&state, &caller, &req.reader, req.situation).await?;
        let by = signer.identity();
        blocking(&state, move |b| b.revoke_assistant(id, &by)).await
    }
    .await;
    audited(&caller, "revoke", r).await
}

/// Who prepares an FSE creation: the CPE in `cpe_reader` when the request names one, else
/// the assistant the calling application acts for, else nobody in particular.
pub async fn preparer(
    state: &AppState,
    caller: &Caller,
    cpe_reader: Option<&str>,
) -> Result<Option<Assistant>, ApiFailure> {
    if let Some(reader) = cpe_reader {
        return cpe(state, caller, reader).await.map(Some);
    }
    match caller.actor.grant_id.clone() {
        Some(id) => blocking(state, move |b| b.application_assistant(&id)).await,
        None => Ok(None),
    }
}

/// Refuses an assistant's application every route that signs or sends (scopes `sign`
/// and `transmit`), whatever its token's scopes: `assistant_cannot_sign`, audited.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let needs = scopes::required(req.method(), req.uri().path());
    let signs = matches!(needs, scopes::Access::Scope(Scope::Sign | Scope::Transmit));
    let grant_id = req
        .extensions()
        .get::<auth::Caller>()
        .and_then(|c| c.grant.as_ref().map(|g| g.id.clone()));
    let (true, Some(id)) = (signs, grant_id) else {
        return next.run(req).await;
    };
    match blocking(&state, move |b| b.application_assistant(&id)).await {
        Ok(None) => next.run(req).await,
        Ok(Some(assistant)) => {
            let actor = req
                .extensions()
                .get::<auth::Caller>()
                .map(auth::Caller::actor)
                .unwrap_or_default();
            audit::record(
                action::REFUSED,
                actor,
                json!({
                    "code": ErrorCode::AssistantCannotSign,
                    "method": req.method().as_str(),
                    "path": req.uri().path(),
                    "assistant": assistant,
                }),
            )
            .written()
            .await;
            ApiFailure::new(
                ErrorCode::AssistantCannotSign,
                "Un assistant prépare les feuilles de soins ; seul le praticien les signe et \
                 les envoie.",
            )
            .into_response()
        }
        Err(e) => e.into_response(),
    }
}
