//! The HTTP API (axum): routes under `/v1/`, JSON errors with stable codes.
//!
//! Handlers are thin: they read the [`hub`](crate::hub) and the [`events`](crate::events)
//! bus and convert layer errors once, here, into [`ApiFailure`].

mod assistants;
mod attachments;
pub mod auth;
mod billing;
mod billing_rights;
mod billing_sign;
pub mod body;
mod caller;
mod cards;
mod error;
mod events;
pub(crate) mod handlers;
mod json;
mod path;
mod pin;
mod replacements;
mod returns;
mod rights;
mod security;
#[cfg(test)]
mod test_support;
mod transmission;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};
use axum::{middleware, Router};
use tower_http::catch_panic::CatchPanicLayer;

pub use error::ApiFailure;

use crate::audit::AuditLog;
use crate::events::EventBus;
use crate::hub::Hub;
use crate::pairing::Pairings;
use crate::rights::{OnlineAnswers, RightsService};
use crate::simulator::SimulatorControl;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Readers and cards.
    pub hub: Arc<Hub>,
    /// Event bus.
    pub events: Arc<EventBus>,
    /// When the daemon started.
    pub started: Instant,
    /// The simulated backend, when that is the backend (lets the API insert/remove cards).
    pub simulator: Option<Arc<dyn SimulatorControl>>,
    /// Where rights come from when not from the card (ADRi, ApCV).
    pub rights: Arc<dyn RightsService>,
    /// The online rights answers given, by reference (for the FSE drawn up with them).
    pub online_rights: Arc<OnlineAnswers>,
    /// Billing and its store.
    pub billing: Arc<passerelle_billing::Billing>,
    /// Pairing requests and grants.
    pub pairings: Arc<Pairings>,
    /// The audit log (`GET /v1/audit`).
    pub audit: Arc<AuditLog>,
    /// Lot transmission: the outbox worker's wake-up, mail passwords, settings.
    pub transmission: Arc<crate::transmission::Transmission>,
    /// `security.pin_per_signature`: a PIN verification is used up by one signing request.
    pub pin_per_signature: bool,
    /// `attachments.max_bytes`: the largest scanned attachment accepted.
    pub attachment_max_bytes: usize,
}

/// The whole router, every route behind the security checks of [`auth::check`].
pub fn router(state: AppState, auth: Arc<auth::Auth>, body: body::BodyLimits) -> Router {
    Router::new()
        .route("/v1/status", get(handlers::status))
        .route("/v1/readers", get(handlers::readers))
        .route("/v1/readers/{reader}/vitale", get(cards::vitale))
        .route("/v1/readers/{reader}/cpx", get(cards::cpx))
        .route("/v1/readers/{reader}/jobs/{id}", delete(cards::cancel_job))
        .route("/v1/readers/{reader}/pin", get(pin::status))
        .route("/v1/readers/{reader}/pin/verify", post(pin::verify))
        .route("/v1/readers/{reader}/pin/unblock", post(pin::unblock))
        .route("/v1/readers/{reader}/signature", post(pin::sign))
        .route("/v1/rights", post(rights::query))
        .route("/v1/events", get(events::stream))
        .route("/v1/openapi.json", get(handlers::openapi))
        .route("/v1/simulator/cards", post(handlers::simulator_insert))
        .route(
            "/v1/simulator/cards/{reader}",
            delete(handlers::simulator_remove),
        )
        .route(
            "/v1/simulator/pin-pad/{reader}",
            post(handlers::simulator_pin_pad),
        )
        .route("/v1/fse", post(billing::create).get(billing::list))
        .route("/v1/fse.csv", get(billing::list_csv))
        .route("/v1/fse/sign", post(billing_sign::sign_fse))
        .route("/v1/fse/{id}", get(billing::get).delete(billing::delete))
        .route(
            "/v1/fse/{id}/attachments",
            // A scan is larger than a JSON body: billing refuses one over
            // `attachments.max_bytes` with its own code.
            post(attachments::upload)
                .layer(DefaultBodyLimit::max(body::DRAIN_LIMIT))
                .get(attachments::of_fse),
        )
        .route("/v1/attachments/missing", get(attachments::missing))
        .route("/v1/attachments/{id}", get(attachments::get))
        .route("/v1/attachments/{id}/pdf", get(attachments::pdf))
        .route("/v1/attachments/{id}/paper", get(attachments::paper))
        .route("/v1/pj-lots", get(attachments::pj_lots))
        .route("/v1/pj-lots/{id}", get(attachments::pj_lot))
        .route("/v1/pj-lots/{id}/posted", post(attachments::posted))
        .route("/v1/baskets", get(billing::baskets))
        .route(
            "/v1/baskets/{name}",
            get(billing::basket)
                .put(billing::put_basket)
                .delete(billing::delete_basket),
        )
        .route(
            "/v1/lots",
            get(billing::lots).post(billing_sign::build_lots),
        )
        .route("/v1/lots/{id}/b2", get(billing::lot_b2))
        .route("/v1/lots/{id}", get(transmission::lot_detail))
        .route("/v1/lots/{id}/send", post(transmission::send_lot))
        .route("/v1/lots/send", post(transmission::send_lots))
        .route("/v1/outbox", get(transmission::outbox))
        .route("/v1/outbox/{id}", delete(transmission::cancel_attempt))
        .route("/v1/mail", get(transmission::mail_settings))
        .route(
            "/v1/mail/{practitioner}",
            put(transmission::put_mail_settings),
        )
        .route(
            "/v1/transmission/schedule",
            get(transmission::schedule).put(transmission::put_schedule),
        )
        .route("/v1/lots/{id}/paper", get(returns::paper))
        .route("/v1/lots/{id}/posted", post(returns::paper_posted))
        .route("/v1/returns", get(returns::list))
        .route("/v1/reconciliation", get(returns::reconciliation))
        .route("/v1/reconciliation.csv", get(returns::reconciliation_csv))
        .route("/v1/simulator/clock", post(handlers::simulator_clock))
        .route("/v1/pairings", post(security::create).get(security::list))
        .route("/v1/pairings/{id}", get(security::poll))
        .route("/v1/pairings/{code}/approve", post(security::approve))
        .route("/v1/pairings/{code}/deny", post(security::deny))
        .route("/v1/grants", get(security::grants))
        .route("/v1/grants/{id}", delete(security::revoke))
        .route("/v1/audit", get(security::audit))
        .route("/v1/lots/{id}/signature", get(billing_sign::lot_signature))
        .route(
            "/v1/replacements",
            post(replacements::open).get(replacements::list),
        )
        .route("/v1/replacements/{id}", get(replacements::get))
        .route("/v1/replacements/{id}/close", post(replacements::close))
        .route("/v1/replacements/{id}/purge", post(replacements::purge))
        .route(
            "/v1/assistants",
            post(assistants::grant).get(assistants::list),
        )
        .route("/v1/assistants/{id}/revoke", post(assistants::revoke))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(body.max))
        // Inside the checks: the caller is known; an assistant's application never signs.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            assistants::guard,
        ))
        .layer(middleware::from_fn_with_state(auth, auth::check))
        // Outside the checks: a refused request's body is read too, so the connection
        // stays usable for the client's next request (keep-alive).
        .layer(middleware::from_fn_with_state(body, body::buffer))
        .layer(CatchPanicLayer::custom(error::panicked))
        .with_state(state)
}
