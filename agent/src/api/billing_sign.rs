//! Signing routes with the practitioner's CPS: `POST /v1/fse/sign` (FSE in one go,
//! signature désynchronisée) and `POST /v1/lots` (lots built and signed). The card is
//! prepared asynchronously ([`CardSigner::prepare`]: situation, rights, PIN, certificate),
//! then the blocking billing call runs in `spawn_blocking`, each signature being one card
//! job. A card failure is answered with the card's own code (`pin_required`,
//! `card_refused`, `card_error`...), not a generic one. Both accept `Idempotency-Key`. Also
//! `GET /v1/lots/{id}/signature`, the lot's signature and certificate.

use std::sync::Arc;

use base64::Engine;
use sha2::{Digest, Sha256};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use passerelle_protocol::{
    ErrorCode, FseSignRequest, FseSignResponse, LotBuildRequest, LotList, LotSignature,
};

use super::billing::{acting_for_another, blocking, idempotency_key, outcome};
use super::caller::RequestCaller;
use super::json::JsonBody;
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::audit::{self, action};
use crate::service::billing_signer::{CardSigner, SignerSetupError};
use crate::service::Caller;
use passerelle_billing::{Billing, BillingError};
use passerelle_cards::CardError;

impl From<SignerSetupError> for ApiFailure {
    fn from(e: SignerSetupError) -> Self {
        match e {
            SignerSetupError::Card(e) => ApiFailure::from(e),
            SignerSetupError::Billing(e) => ApiFailure::from(e),
        }
    }
}

/// A billing error, or the card's own error when the card is why signing failed.
fn signing_error(e: BillingError, card: &Option<CardError>) -> ApiFailure {
    match (&e, card) {
        (BillingError::SigningFailed(_), Some(card)) => ApiFailure::from(card.clone()),
        _ => ApiFailure::from(e),
    }
}

/// Prepares the card, then runs `f` with it off the async threads; also gives back the
/// card's first failure.
async fn with_card<T: Send + 'static>(
    state: &AppState,
    caller: &Caller,
    reader: &str,
    situation: u8,
    lot: bool,
    f: impl FnOnce(&Billing, &CardSigner) -> Result<T, BillingError> + Send + 'static,
) -> Result<(Result<T, BillingError>, Option<CardError>), ApiFailure> {
    let signer = CardSigner::prepare(state.hub.clone(), reader, caller, situation, lot).await?;
    let billing: Arc<Billing> = state.billing.clone();
    let done = tokio::task::spawn_blocking(move || {
        let r = f(&billing, &signer);
        (r, signer.failure())
    })
    .await;
    // security.pin_per_signature: one verification, one signing request.
    if state.pin_per_signature {
        crate::service::pin::consume(&state.hub, reader, caller);
    }
    done.map_err(|_| ApiFailure::new(ErrorCode::Internal, "Erreur interne de Passerelle."))
}

/// `POST /v1/fse/sign`: the CPS signs draft FSE in one go; one outcome per FSE.
pub async fn sign_fse(
    State(state): State<AppState>,
    headers: HeaderMap,
    RequestCaller(caller): RequestCaller,
    JsonBody(request): JsonBody<FseSignRequest>,
) -> Result<Json<FseSignResponse>, ApiFailure> {
    let key = idempotency_key(&headers)?;
    let ids = request.fse;
    let ids_of = ids.clone();
    let (done, card) = with_card(
        &state,
        &caller,
        &request.reader,
        request.situation,
        false,
        move |b, signer| b.sign_fse_batch_keyed(signer, &ids, key.as_deref()),
    )
    .await?;
    let results: Vec<_> = done
        .map_err(|e| signing_error(e, &card))?
        .into_iter()
        .enumerate()
        .map(|(index, r)| outcome(index, r.map_err(|e| signing_error(e, &card))))
        .collect();
    // The replacement refusals (the replaced practitioner's card, another substitute, a
    // closed session), each its own audit line.
    for (index, r) in results.iter().enumerate() {
        if let Some(e) = r.error.as_ref().filter(|e| acting_for_another(e.code)) {
            let details =
                serde_json::json!({ "code": e.code, "index": index, "fse": ids_of[index] });
            audit::record(action::REFUSED, caller.actor.clone(), details)
                .written()
                .await;
        }
    }
    Ok(Json(FseSignResponse { results }))
}

/// `POST /v1/lots`: the CPS builds and signs the lots of the signed FSE (all or nothing).
pub async fn build_lots(
    State(state): State<AppState>,
    headers: HeaderMap,
    RequestCaller(caller): RequestCaller,
    JsonBody(request): JsonBody<LotBuildRequest>,
) -> Result<Json<LotList>, ApiFailure> {
    let key = idempotency_key(&headers)?;
    let (done, card) = with_card(
        &state,
        &caller,
        &request.reader,
        request.situation,
        true,
        move |b, signer| b.build_and_sign_lots_keyed(signer, key.as_deref()),
    )
    .await?;
    let lots = done.map_err(|e| signing_error(e, &card))?;
    Ok(Json(LotList { lots }))
}

/// `GET /v1/lots/{id}/signature`: the lot's signature and the signer's certificate.
pub async fn lot_signature(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<LotSignature>, ApiFailure> {
    let files = blocking(&state, move |b| b.lot_files(id)).await?;
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(Json(LotSignature {
        algorithm: "RSASSA-PKCS1-v1_5-SHA256".into(),
        signature: b64.encode(&files.signature),
        certificate: b64.encode(&files.certificate),
        b2_sha256: hex::encode(Sha256::digest(&files.bytes)),
    }))
}
