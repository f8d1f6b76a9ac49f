//! OpenAPI stubs of the replacement and assistant routes.
#![allow(dead_code)]

use crate::{
    ApiError, AssistantGrant, AssistantGrantList, AssistantGrantRequest, ReplacementCardRequest,
    ReplacementList, ReplacementOpenRequest, ReplacementSession,
};

/// Opens a replacement session: the replaced practitioner's CPS in `reader`, its PIN
/// verified by this application (scope `sign`); the opening is signed with that CPS.
#[utoipa::path(post, path = "/v1/replacements", tag = "replacements", request_body = ReplacementOpenRequest,
    responses((status = 200, body = ReplacementSession), (status = "default", body = ApiError)))]
fn open_replacement() {}

/// Every replacement session, newest first (scope `read_cards`).
#[utoipa::path(get, path = "/v1/replacements", tag = "replacements",
    responses((status = 200, body = ReplacementList), (status = "default", body = ApiError)))]
fn list_replacements() {}

/// One replacement session (scope `read_cards`).
#[utoipa::path(get, path = "/v1/replacements/{id}", tag = "replacements", params(("id" = i64, Path, description = "session id")),
    responses((status = 200, body = ReplacementSession), (status = "default", body = ApiError)))]
fn get_replacement() {}

/// Closes a session early: the replaced practitioner's CPS, PIN verified (scope `sign`).
#[utoipa::path(post, path = "/v1/replacements/{id}/close", tag = "replacements", params(("id" = i64, Path, description = "session id")),
    request_body = ReplacementCardRequest,
    responses((status = 200, body = ReplacementSession), (status = "default", body = ApiError)))]
fn close_replacement() {}

/// Purges what was stored of the substitute of a closed one-time session, once every FSE
/// of it has its positive ARL: the replaced practitioner's CPS, PIN verified (scope `sign`).
#[utoipa::path(post, path = "/v1/replacements/{id}/purge", tag = "replacements", params(("id" = i64, Path, description = "session id")),
    request_body = ReplacementCardRequest,
    responses((status = 200, body = ReplacementSession), (status = "default", body = ApiError)))]
fn purge_replacement() {}

/// Grants an assistant (a CPE, or a paired application for a named assistant) the right to
/// prepare FSE for the practitioner within dates: the practitioner's CPS, PIN verified
/// (scope `sign`).
#[utoipa::path(post, path = "/v1/assistants", tag = "assistants", request_body = AssistantGrantRequest,
    responses((status = 200, body = AssistantGrant), (status = "default", body = ApiError)))]
fn grant_assistant() {}

/// Every assistant grant, newest first (scope `read_cards`).
#[utoipa::path(get, path = "/v1/assistants", tag = "assistants",
    responses((status = 200, body = AssistantGrantList), (status = "default", body = ApiError)))]
fn list_assistants() {}

/// Revokes an assistant grant: the practitioner's CPS, PIN verified (scope `sign`).
#[utoipa::path(post, path = "/v1/assistants/{id}/revoke", tag = "assistants", params(("id" = i64, Path, description = "grant id")),
    request_body = ReplacementCardRequest,
    responses((status = 200, body = AssistantGrant), (status = "default", body = ApiError)))]
fn revoke_assistant() {}
