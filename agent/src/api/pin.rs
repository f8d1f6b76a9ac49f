//! The CPx PIN and signatures: `/v1/readers/{reader}/pin`, `/pin/verify`, `/pin/unblock`,
//! `/signature`. Bodies that carry a code are read with [`JsonBody`]`<_, SECRET>`: a refusal never
//! quotes them.

use axum::extract::State;
use axum::Json;
use passerelle_protocol::{
    CardSignature, ErrorCode, PinStatus, PinUnblockRequest, PinVerified, PinVerifyRequest,
    SignatureRequest,
};

use super::caller::RequestCaller;
use super::json::{JsonBody, SECRET};
use super::path::PathParams;
use super::{ApiFailure, AppState};
use crate::service::pin::{self, PinInput};

/// `GET /v1/readers/{reader}/pin`
pub async fn status(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    RequestCaller(caller): RequestCaller,
) -> Result<Json<PinStatus>, ApiFailure> {
    Ok(Json(pin::status(&state.hub, &reader, &caller).await?))
}

/// `POST /v1/readers/{reader}/pin/verify`
pub async fn verify(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    RequestCaller(caller): RequestCaller,
    JsonBody(request): JsonBody<PinVerifyRequest, SECRET>,
) -> Result<Json<PinVerified>, ApiFailure> {
    let input = match (request.pin, request.secure_pin_entry) {
        (Some(pin), false) => PinInput::Given(pin),
        (None, true) => PinInput::PinPad,
        _ => {
            return Err(ApiFailure::new(
                ErrorCode::BadRequest,
                "Donnez soit le code PIN (« pin »), soit « secure_pin_entry »: true pour le saisir sur le lecteur, pas les deux.",
            ))
        }
    };
    Ok(Json(
        pin::verify(&state.hub, &reader, &caller, input).await?,
    ))
}

/// `POST /v1/readers/{reader}/pin/unblock`: answers the new PIN state.
pub async fn unblock(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    RequestCaller(caller): RequestCaller,
    JsonBody(request): JsonBody<PinUnblockRequest, SECRET>,
) -> Result<Json<PinStatus>, ApiFailure> {
    pin::unblock(
        &state.hub,
        &reader,
        &caller,
        request.unblock_code,
        request.new_pin,
    )
    .await?;
    Ok(Json(pin::status(&state.hub, &reader, &caller).await?))
}

/// `POST /v1/readers/{reader}/signature`
pub async fn sign(
    State(state): State<AppState>,
    PathParams(reader): PathParams<String>,
    RequestCaller(caller): RequestCaller,
    JsonBody(request): JsonBody<SignatureRequest>,
) -> Result<Json<CardSignature>, ApiFailure> {
    let digest = parse_digest(&request.digest_sha256)?;
    let signed = pin::sign(&state.hub, &reader, &caller, digest).await;
    // security.pin_per_signature: one verification, one signature.
    if state.pin_per_signature && signed.is_ok() {
        pin::consume(&state.hub, &reader, &caller);
    }
    Ok(Json(signed?))
}

fn parse_digest(text: &str) -> Result<[u8; 32], ApiFailure> {
    let mut digest = [0u8; 32];
    match hex::decode_to_slice(text, &mut digest) {
        Ok(()) => Ok(digest),
        Err(_) => Err(ApiFailure::new(
            ErrorCode::InvalidDigest,
            "L'empreinte à signer doit être un SHA-256 en hexadécimal (64 caractères).",
        )),
    }
}
