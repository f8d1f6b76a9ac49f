//! Transmission routes: a lot's detail and history, sending lots (the outbox), cancelling a
//! queued attempt, the mail settings of each situation and the daily emission. Sending
//! answers at once (202) with the attempt; the outbox worker does the mail and reports on
//! the event stream.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use passerelle_protocol::{
    AttemptReason, DailySchedule, ErrorCode, EventKind, LotDetail, MailSettings, MailSettingsInput,
    MailSettingsList, OutboxAttempt, OutboxList, ScheduleRequest, Scope, SendLotsRequest,
    SendLotsResponse,
};
use serde::Deserialize;

use super::auth::Caller;
use super::billing::blocking;
use super::json::{JsonBody, SECRET};
use super::path::PathParams;
use super::{ApiFailure, AppState};
use passerelle_transmission::settings::{self, SettingsError};

impl From<SettingsError> for ApiFailure {
    fn from(e: SettingsError) -> Self {
        match &e {
            SettingsError::Invalid { field, .. } => {
                ApiFailure::new(ErrorCode::InvalidMailSettings, e.to_string())
                    .details(serde_json::json!({ "field": field }))
            }
            SettingsError::NoPassword(_) => {
                ApiFailure::new(ErrorCode::InvalidMailSettings, e.to_string())
                    .details(serde_json::json!({ "field": "password" }))
            }
            SettingsError::PasswordFile { .. } => {
                tracing::error!(error = %e, "mail password file");
                ApiFailure::new(
                    ErrorCode::StorageError,
                    "Passerelle n'a pas pu enregistrer le mot de passe de messagerie (disque) : \
                     rien n'est changé, réessayez.",
                )
            }
        }
    }
}

/// `GET /v1/lots/{id}`
pub async fn lot_detail(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<LotDetail>, ApiFailure> {
    Ok(Json(blocking(&state, move |b| b.lot_detail(id)).await?))
}

/// The mail settings of `practitioner` exist, or a refusal saying how to set them.
async fn settings_of(state: &AppState, practitioner: &str) -> Result<MailSettings, ApiFailure> {
    let p = practitioner.to_owned();
    blocking(state, move |b| b.mail_settings(&p))
        .await?
        .ok_or_else(|| no_settings(practitioner))
}

fn no_settings(practitioner: &str) -> ApiFailure {
    ApiFailure::new(
        ErrorCode::MailSettingsNotFound,
        format!(
            "Messagerie non réglée pour le praticien {practitioner} : réglez-la d'abord \
             (`passerelle mail set` ou PUT /v1/mail/{practitioner})."
        ),
    )
    .details(serde_json::json!({ "practitioner": practitioner }))
}

/// Announces queued attempts and wakes the worker.
fn queued(state: &AppState, attempts: &[OutboxAttempt]) {
    for a in attempts {
        state.events.publish(EventKind::LotQueued {
            lot_id: a.lot_id,
            lot_number: a.lot_number.clone(),
            attempt_id: a.id,
        });
    }
    state.transmission.nudge();
}

/// `POST /v1/lots/{id}/send`
pub async fn send_lot(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<(StatusCode, Json<OutboxAttempt>), ApiFailure> {
    let lot = blocking(&state, move |b| b.lot_detail(id)).await?.lot;
    settings_of(&state, &lot.practitioner).await?;
    let attempt = blocking(&state, move |b| b.queue_lot(id, AttemptReason::First)).await?;
    queued(&state, std::slice::from_ref(&attempt));
    Ok((StatusCode::ACCEPTED, Json(attempt)))
}

/// `POST /v1/lots/send`
pub async fn send_lots(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SendLotsRequest>,
) -> Result<(StatusCode, Json<SendLotsResponse>), ApiFailure> {
    let who = request.practitioner.clone();
    let lots = blocking(&state, move |b| b.lots(who.as_deref())).await?;
    let mut practitioners: Vec<&str> = lots
        .iter()
        .filter(|l| l.status == passerelle_protocol::LotStatus::Signed)
        .map(|l| l.practitioner.as_str())
        .collect();
    practitioners.dedup();
    for p in practitioners {
        settings_of(&state, p).await?;
    }
    let who = request.practitioner;
    let attempts = blocking(&state, move |b| {
        b.queue_signed_lots(who.as_deref(), AttemptReason::First)
    })
    .await?;
    queued(&state, &attempts);
    Ok((StatusCode::ACCEPTED, Json(SendLotsResponse { attempts })))
}

/// Query of `GET /v1/outbox`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    limit: Option<u32>,
}

/// `GET /v1/outbox`
pub async fn outbox(
    State(state): State<AppState>,
    query: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Json<OutboxList>, ApiFailure> {
    let Query(q) = query.map_err(|e| {
        ApiFailure::new(
            ErrorCode::BadRequest,
            "Paramètres invalides : limit de 1 à 1000.",
        )
        .details(serde_json::json!({ "cause": e.body_text() }))
    })?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiFailure::new(
            ErrorCode::BadRequest,
            "Paramètre limit invalide : de 1 à 1000.",
        ));
    }
    let attempts = blocking(&state, move |b| b.outbox(limit)).await?;
    Ok(Json(OutboxList { attempts }))
}

/// `DELETE /v1/outbox/{id}`
pub async fn cancel_attempt(
    State(state): State<AppState>,
    PathParams(id): PathParams<i64>,
) -> Result<Json<OutboxAttempt>, ApiFailure> {
    let (attempt, _) = blocking(&state, move |b| b.cancel_attempt(id)).await?;
    Ok(Json(attempt))
}

/// `GET /v1/mail`
pub async fn mail_settings(
    State(state): State<AppState>,
) -> Result<Json<MailSettingsList>, ApiFailure> {
    let settings = blocking(&state, |b| b.all_mail_settings()).await?;
    Ok(Json(MailSettingsList { settings }))
}

/// `PUT /v1/mail/{practitioner}`: the password, when given, goes to its own file first.
pub async fn put_mail_settings(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(practitioner): PathParams<String>,
    JsonBody(input): JsonBody<MailSettingsInput, SECRET>,
) -> Result<Json<MailSettings>, ApiFailure> {
    let passwords = state.transmission.passwords.clone();
    let checked = settings::check(&practitioner, &input, passwords.is_set(&practitioner))?;
    let password_changed = input.password.is_some();
    if let Some(password) = input.password {
        let (p, who) = (passwords, practitioner.clone());
        tokio::task::spawn_blocking(move || p.store(&who, &password))
            .await
            .map_err(|_| ApiFailure::new(ErrorCode::Internal, "Erreur interne de Passerelle."))??;
    }
    let stored = checked.clone();
    blocking(&state, move |b| b.put_mail_settings(&stored)).await?;
    // The inbox reads the new settings at once (a new mailbox to fetch).
    state.transmission.nudge();
    crate::audit::record(
        "mail_settings_changed",
        caller.actor(),
        serde_json::json!({ "practitioner": practitioner, "from": checked.from,
            "smtp": checked.smtp.host, "password_changed": password_changed }),
    )
    .written()
    .await;
    Ok(Json(checked))
}

/// The schedule as the API shows it.
async fn schedule_view(state: &AppState) -> Result<DailySchedule, ApiFailure> {
    let record = blocking(state, |b| b.schedule()).await?;
    let config = &state.transmission.config;
    let next_run = match (config.daily_time(), &record) {
        (Some((h, m)), Some(r)) => {
            let now = state.transmission.clock.now();
            crate::transmission::schedule::run_at(now, h, m).map(|at| {
                let today = passerelle_billing::clock::format_date(
                    passerelle_billing::clock::paris_time(now).date(),
                );
                let at = if now >= at || r.last_run.as_deref() == Some(today.as_str()) {
                    at + time::Duration::days(1)
                } else {
                    at
                };
                passerelle_billing::clock::format_instant(at)
            })
        }
        _ => None,
    };
    Ok(DailySchedule {
        daily_at: (!config.daily_at.is_empty()).then(|| config.daily_at.clone()),
        grant_id: record.as_ref().map(|r| r.grant_id.clone()),
        next_run,
        last_report: record.and_then(|r| r.last_report),
    })
}

/// `GET /v1/transmission/schedule`
pub async fn schedule(State(state): State<AppState>) -> Result<Json<DailySchedule>, ApiFailure> {
    Ok(Json(schedule_view(&state).await?))
}

/// `PUT /v1/transmission/schedule`: on for the calling application (which needs `transmit`
/// and `sign`), or off.
pub async fn put_schedule(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<ScheduleRequest>,
) -> Result<Json<DailySchedule>, ApiFailure> {
    if request.enabled && state.transmission.config.daily_time().is_none() {
        return Err(ApiFailure::new(
            ErrorCode::ScheduleUnavailable,
            "Aucune heure d'émission quotidienne n'est configurée (transmission.daily_at).",
        ));
    }
    if request.enabled && !(caller.has(Scope::Transmit) && caller.has(Scope::Sign)) {
        return Err(ApiFailure::new(
            ErrorCode::ScheduleUnavailable,
            "L'émission quotidienne signe et envoie des lots : l'application doit avoir les \
             autorisations « transmit » et « sign ».",
        ));
    }
    let owner = match (&caller.grant, &caller.os_user) {
        (Some(g), _) => Some(g.id.clone()),
        (None, Some(u)) => Some(format!("local:{u}")),
        (None, None) => None,
    };
    let owner = request.enabled.then_some(owner).flatten();
    let set = owner.clone();
    blocking(&state, move |b| b.set_schedule(set.as_deref())).await?;
    crate::audit::record(
        "daily_emission_set",
        caller.actor(),
        serde_json::json!({ "enabled": request.enabled, "owner": owner }),
    )
    .written()
    .await;
    state.transmission.nudge();
    Ok(Json(schedule_view(&state).await?))
}
