//! `POST /v1/rights`: rights from the online service (ADRi) or an e-carte Vitale (ApCV),
//! never from nor into the card. Each answer gets its reference and is kept a day: an FSE
//! names it to be drawn up with these rights.

use axum::extract::State;
use axum::Json;
use passerelle_protocol::{ErrorCode, RightsAnswer, RightsRequest};

use super::json::JsonBody;
use super::{ApiFailure, AppState};
use crate::rights::RightsError;

/// `POST /v1/rights`
pub async fn query(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<RightsRequest>,
) -> Result<Json<RightsAnswer>, ApiFailure> {
    let service = state.rights.clone();
    let answer = tokio::task::spawn_blocking(move || service.query(&request))
        .await
        .map_err(|_| {
            ApiFailure::new(ErrorCode::Internal, "Erreur interne du service de droits.")
        })?;
    answer
        .map(|a| Json(state.online_rights.keep(a)))
        .map_err(|e| {
            let code = match e {
                RightsError::Invalid(_) => ErrorCode::BadRequest,
                RightsError::NotFound => ErrorCode::RightsNotFound,
                RightsError::Unavailable => ErrorCode::RightsServiceUnavailable,
            };
            ApiFailure::new(code, e.to_string())
        })
}
