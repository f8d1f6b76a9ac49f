//! Replacement sessions: `POST /v1/replacements` (opened by the replaced practitioner, CPS
//! in a reader, PIN verified by this application; the opening signed by that CPS),
//! `GET /v1/replacements[/{id}]`, `POST /v1/replacements/{id}/close` and `…/purge` (the
//! replaced practitioner's card again). Every outcome, refusals included, is a
//! `replacement_session` line of the audit log; openings and closings are events.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use passerelle_billing::replacement::Opening;
use passerelle_billing::{Billing, BillingError};
use passerelle_cards::CardError;
use passerelle_protocol::{
    CardKind, ErrorCode, EventKind, PracticeMode, ReplacedSituation, ReplacementCardRequest,
    ReplacementList, ReplacementOpenRequest, ReplacementSession, Substitute, SubstituteInput,
};
use serde_json::json;

use super::billing::blocking;
use super::caller::RequestCaller;
use super::json::JsonBody;
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::audit::{self, action};
use crate::service::billing_signer::{CardSigner, SignerSetupError};
use crate::service::{cards, Caller};

/// The replaced practitioner's card, PIN verified by this caller: a PIN missing or
/// verified by another application is `replacement_pin_required`.
pub(super) async fn practitioner_card(
    state: &AppState,
    caller: &Caller,
    reader: &str,
    situation: u8,
) -> Result<CardSigner, ApiFailure> {
    match CardSigner::prepare(state.hub.clone(), reader, caller, situation, false).await {
        Ok(s) => Ok(s),
        Err(SignerSetupError::Card(CardError::PinRequired)) => Err(ApiFailure::new(
            ErrorCode::ReplacementPinRequired,
            "Le code PIN de la carte du praticien doit avoir été vérifié par cette application \
             (POST /v1/readers/{reader}/pin/verify) avant d'ouvrir, de fermer ou de purger un \
             remplacement, ou de gérer ses assistants.",
        )),
        Err(e) => Err(e.into()),
    }
}

fn invalid(field: &str, message: &str) -> ApiFailure {
    ApiFailure::new(
        ErrorCode::InvalidReplacement,
        format!("{field} : {message}"),
    )
    .details(json!({ "field": field }))
}

fn mismatch(message: &str) -> ApiFailure {
    ApiFailure::new(
        ErrorCode::ReplacementSubstituteMismatch,
        format!("substitute : {message}"),
    )
    .details(json!({ "field": "substitute" }))
}

/// The substitute: their CPS or CPF in a reader (its replacement situation), or typed and
/// checked (lengths, the billing number's key).
async fn substitute(
    state: &AppState,
    caller: &Caller,
    input: SubstituteInput,
    replaced_serial: &str,
) -> Result<Substitute, ApiFailure> {
    match input {
        SubstituteInput::Card { reader, situation } => {
            let card = cards::cpx(&state.hub, &reader, caller, false).await?;
            if card.serial == replaced_serial {
                return Err(ApiFailure::new(
                    ErrorCode::ReplacementOwnCard,
                    "substitute : c'est la carte du praticien remplacé, pas celle de son \
                     remplaçant.",
                )
                .details(json!({ "field": "substitute" })));
            }
            if !matches!(card.kind, CardKind::Cps | CardKind::Cpf) {
                return Err(mismatch("le remplaçant facture avec sa CPS ou sa CPF."));
            }
            let Some(s) = card.situations.iter().find(|s| s.index == situation) else {
                return Err(mismatch("la carte n'a pas cette situation d'exercice."));
            };
            if s.mode != PracticeMode::Remplacant || !s.billing_key_valid {
                return Err(mismatch(
                    "cette situation de la carte n'est pas une situation de remplaçant valide.",
                ));
            }
            Ok(Substitute {
                billing_number: s.billing_number.clone(),
                billing_key: s.billing_key.clone(),
                holder_id: card.holder.id.clone(),
                last_name: card.holder.last_name.clone(),
                first_name: card.holder.first_name.clone(),
                card_kind: Some(card.kind),
                card_serial: Some(card.serial.clone()),
            })
        }
        SubstituteInput::Typed {
            billing_number,
            billing_key,
            holder_id,
            last_name,
            first_name,
        } => {
            if billing_number.len() != 8 || !billing_number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("substitute.billing_number", "8 chiffres attendus."));
            }
            let key = passerelle_cards::billing_key(&billing_number).map(|k| k.to_string());
            if key.as_deref() != Some(billing_key.as_str()) {
                return Err(invalid(
                    "substitute.billing_key",
                    "la clé ne correspond pas au numéro de facturation.",
                ));
            }
            if !(8..=12).contains(&holder_id.len())
                || !holder_id.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(invalid(
                    "substitute.holder_id",
                    "de 8 à 12 lettres ou chiffres (RPPS, ADELI).",
                ));
            }
            for (field, v) in [
                ("substitute.last_name", &last_name),
                ("substitute.first_name", &first_name),
            ] {
                let n = v.trim().chars().count();
                if n == 0 || n > 27 || v.chars().any(char::is_control) {
                    return Err(invalid(field, "de 1 à 27 caractères imprimables."));
                }
            }
            Ok(Substitute {
                billing_number,
                billing_key,
                holder_id,
                last_name: last_name.trim().to_uppercase(),
                first_name: first_name.trim().to_uppercase(),
                card_kind: None,
                card_serial: None,
            })
        }
    }
}

/// Writes the outcome of a replacement operation to the audit log (before the answer).
async fn audited(
    caller: &Caller,
    op: &str,
    session: Option<i64>,
    r: Result<ReplacementSession, ApiFailure>,
) -> Result<Json<ReplacementSession>, ApiFailure> {
    let details = match &r {
        Ok(s) => json!({
            "op": op,
            "outcome": "ok",
            "session_id": s.id,
            "replaced": s.replaced.billing_number,
            "substitute": s.substitute.billing_number,
            "start": s.start,
            "end": s.end,
            "state": s.state,
        }),
        Err(e) => json!({
            "op": op,
            "outcome": "refused",
            "session_id": session,
            "code": e.0.error.code,
        }),
    };
    audit::record(action::REPLACEMENT_SESSION, caller.actor.clone(), details)
        .written()
        .await;
    r.map(Json)
}

/// Runs `f` with the card's identity and signer off the async threads.
async fn with_signer<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    reader: &str,
    signer: CardSigner,
    f: impl FnOnce(&Billing, &CardSigner) -> Result<T, BillingError> + Send + 'static,
) -> Result<T, ApiFailure> {
    let billing: Arc<Billing> = state.billing.clone();
    let done = tokio::task::spawn_blocking(move || {
        let r = f(&billing, &signer);
        (r, signer.failure())
    })
    .await
    .map_err(|_| ApiFailure::new(ErrorCode::Internal, "Erreur interne de Passerelle."))?;
    if state.pin_per_signature {
        crate::service::pin::consume(&state.hub, reader, caller);
    }
    match done {
        (Ok(v), _) => Ok(v),
        (Err(BillingError::SigningFailed(_)), Some(card)) => Err(card.into()),
        (Err(e), _) => Err(e.into()),
    }
}

async fn open_inner(
    state: &AppState,
    caller: &Caller,
    req: ReplacementOpenRequest,
) -> Result<ReplacementSession, ApiFailure> {
    let signer = practitioner_card(state, caller, &req.reader, req.situation).await?;
    let card = cards::cpx(&state.hub, &req.reader, caller, false).await?;
    let s = card
        .situations
        .iter()
        .find(|s| s.index == req.situation)
        .ok_or_else(|| invalid("situation", "la carte n'a pas cette situation d'exercice."))?;
    let replaced = ReplacedSituation {
        billing_number: s.billing_number.clone(),
        billing_key: s.billing_key.clone(),
        situation: s.index,
        profession: card.holder.profession.clone(),
        speciality: s.speciality.clone(),
        tariff_zone: s.tariff_zone.clone(),
        sector: s.agreement.clone(),
        mailbox: None,
        last_name: card.holder.last_name.clone(),
        first_name: card.holder.first_name.clone(),
        card_serial: card.serial.clone(),
    };
    let substitute = substitute(state, caller, req.substitute, &card.serial).await?;
    let opening = Opening {
        replaced,
        substitute,
        start: req.start,
        end: req.end,
        one_time: req.one_time,
    };
    let session = with_signer(state, caller, &req.reader, signer, move |b, signer| {
        b.open_replacement(opening, signer)
    })
    .await?;
    state.events.publish(EventKind::ReplacementOpened {
        session_id: session.id,
        replaced: session.replaced.billing_number.clone(),
        substitute: session.substitute.billing_number.clone(),
        start: session.start.clone(),
        end: session.end.clone(),
    });
    Ok(session)
}

/// `POST /v1/replacements`.
pub async fn open(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    JsonBody(req): JsonBody<ReplacementOpenRequest>,
) -> Result<Json<ReplacementSession>, ApiFailure> {
    let r = open_inner(&state, &caller, req).await;
    audited(&caller, "open", None, r).await
}

/// Closes the sessions whose period has ended, with their `replacement_closed` events.
pub async fn end_due(state: &AppState) {
    if let Ok(ended) = blocking(state, |b| b.end_due_replacements()).await {
        for s in ended {
            closed_event(state, &s);
        }
    }
}

fn closed_event(state: &AppState, s: &ReplacementSession) {
    state.events.publish(EventKind::ReplacementClosed {
        session_id: s.id,
        replaced: s.replaced.billing_number.clone(),
        reason: s.closed_because.clone().unwrap_or_default(),
    });
}

/// `GET /v1/replacements`: every session, newest first.
pub async fn list(State(state): State<AppState>) -> Result<Json<ReplacementList>, ApiFailure> {
    end_due(&state).await;
    let sessions = blocking(&state, |b| b.replacements()).await?;
    Ok(Json(ReplacementList { sessions }))
}

/// `GET /v1/replacements/{id}`.
pub async fn get(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<ReplacementSession>, ApiFailure> {
    end_due(&state).await;
    Ok(Json(blocking(&state, move |b| b.replacement(id)).await?))
}

/// `POST /v1/replacements/{id}/close`: closed early by the replaced practitioner.
pub async fn close(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    PathParams(id): PathParams<i64>,
    JsonBody(req): JsonBody<ReplacementCardRequest>,
) -> Result<Json<ReplacementSession>, ApiFailure> {
    end_due(&state).await;
    let r = async {
        let signer = practitioner_card(&state, &caller, &req.reader, req.situation).await?;
        let s = with_signer(&state, &caller, &req.reader, signer, move |b, signer| {
            b.close_replacement(id, &passerelle_billing::BillingSigner::identity(signer))
        })
        .await?;
        closed_event(&state, &s);
        Ok(s)
    }
    .await;
    audited(&caller, "close", Some(id), r).await
}

/// `POST /v1/replacements/{id}/purge`: the substitute's data of a closed one-time session,
/// once every FSE of it has its positive ARL.
pub async fn purge(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    PathParams(id): PathParams<i64>,
    JsonBody(req): JsonBody<ReplacementCardRequest>,
) -> Result<Json<ReplacementSession>, ApiFailure> {
    end_due(&state).await;
    let r = async {
        let signer = practitioner_card(&state, &caller, &req.reader, req.situation).await?;
        with_signer(&state, &caller, &req.reader, signer, move |b, signer| {
            b.purge_replacement(id, &passerelle_billing::BillingSigner::identity(signer))
        })
        .await
    }
    .await;
    audited(&caller, "purge", Some(id), r).await
}
