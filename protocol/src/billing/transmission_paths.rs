//! OpenAPI descriptions of the transmission routes (stubs carrying `#[utoipa::path]` only).
#![allow(dead_code)]

use crate::{
    ApiError, DailySchedule, LotDetail, MailSettings, MailSettingsInput, MailSettingsList,
    OutboxAttempt, OutboxList, Reconciliation, ReturnMailList, ScheduleRequest, SendLotsRequest,
    SendLotsResponse,
};

/// A lot and its transmission history (every attempt, oldest first).
#[utoipa::path(get, path = "/v1/lots/{id}", tag = "transmission", params(("id" = i64, Path, description = "lot id")),
    responses((status = 200, body = LotDetail), (status = "default", body = ApiError)))]
fn lot_detail() {}

/// Puts a lot in the outbox (`signed`, `needs_attention` or `rejected`); answers at once with
/// the attempt, followed on the event stream (`lot_sending`, `lot_sent`, `lot_send_failed`).
/// A lot already on its way answers its open attempt: sending twice never queues twice.
#[utoipa::path(post, path = "/v1/lots/{id}/send", tag = "transmission", params(("id" = i64, Path, description = "lot id")),
    responses((status = 202, body = OutboxAttempt), (status = "default", body = ApiError)))]
fn send_lot() {}

/// Puts every signed lot (optionally of one practitioner) in the outbox.
#[utoipa::path(post, path = "/v1/lots/send", tag = "transmission", request_body = SendLotsRequest,
    responses((status = 202, body = SendLotsResponse), (status = "default", body = ApiError)))]
fn send_lots() {}

/// The outbox: attempts, newest first, with their state, error and next try.
#[utoipa::path(get, path = "/v1/outbox", tag = "transmission",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "at most this many (default 100)")),
    responses((status = 200, body = OutboxList), (status = "default", body = ApiError)))]
fn outbox() {}

/// Cancels a queued attempt; its lot goes back to where it was.
#[utoipa::path(delete, path = "/v1/outbox/{id}", tag = "transmission", params(("id" = i64, Path, description = "attempt id")),
    responses((status = 200, body = OutboxAttempt), (status = "default", body = ApiError)))]
fn cancel_attempt() {}

/// Every practitioner situation's mail settings (never a password).
#[utoipa::path(get, path = "/v1/mail", tag = "transmission",
    responses((status = 200, body = MailSettingsList), (status = "default", body = ApiError)))]
fn mail_settings() {}

/// Sets a situation's mail settings; the password, when given, goes to a file of its own
/// (0600) and is never shown again.
#[utoipa::path(put, path = "/v1/mail/{practitioner}", tag = "transmission", request_body = MailSettingsInput,
    params(("practitioner" = String, Path, description = "billing number, 8 digits")),
    responses((status = 200, body = MailSettings), (status = "default", body = ApiError)))]
fn put_mail_settings() {}

/// The daily emission: its time, who turned it on, its next run and last report.
#[utoipa::path(get, path = "/v1/transmission/schedule", tag = "transmission",
    responses((status = 200, body = DailySchedule), (status = "default", body = ApiError)))]
fn schedule() {}

/// Turns the daily emission on (for the calling application, which needs the `transmit`
/// and `sign` scopes) or off.
#[utoipa::path(put, path = "/v1/transmission/schedule", tag = "transmission", request_body = ScheduleRequest,
    responses((status = 200, body = DailySchedule), (status = "default", body = ApiError)))]
fn put_schedule() {}

/// The paper duplicate (PDF) of a lot refused twice or never acknowledged twice (`paper`):
/// its lot number, the reason, every FSE, the practitioner and patients' details to post it.
#[utoipa::path(get, path = "/v1/lots/{id}/paper", tag = "returns", params(("id" = i64, Path, description = "lot id")),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = "default", body = ApiError)))]
fn paper_duplicate() {}

/// Says that a lot's paper duplicate was printed and posted to the caisse: the lot stays
/// `paper` with `paper_posted` set, and is no longer reported as waiting for it. Posting it
/// again changes nothing; a lot not on paper answers `paper_not_needed`.
#[utoipa::path(post, path = "/v1/lots/{id}/posted", tag = "returns", params(("id" = i64, Path, description = "lot id")),
    responses((status = 200, body = crate::Lot), (status = "default", body = ApiError)))]
fn paper_posted() {}

/// The return mails fetched from the practitioners' mailboxes (ARL, NOEMIE), newest first,
/// with what applying each did or why it was not applied.
#[utoipa::path(get, path = "/v1/returns", tag = "returns",
    params(("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "at most this many (default 100)")),
    responses((status = 200, body = ReturnMailList), (status = "default", body = ApiError)))]
fn returns() {}

/// Where every euro billed over a period stands: billed, paid, rejected, waiting, overdue,
/// per organism and per patient, with the rejection reasons. `?format=csv` gives one line
/// per FSE.
#[utoipa::path(get, path = "/v1/reconciliation", tag = "returns",
    params(
        ("from" = Option<String>, Query, description = "first care date, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "last care date, YYYY-MM-DD"),
        ("organism" = Option<String>, Query, description = "organism, 9 digits"),
        ("patient" = Option<String>, Query, description = "insured person's NIR"),
        ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = Reconciliation), (status = "default", body = ApiError)))]
fn reconciliation() {}

/// The reconciliation as CSV (the same as `?format=csv`).
#[utoipa::path(get, path = "/v1/reconciliation.csv", tag = "returns",
    params(
        ("from" = Option<String>, Query, description = "first care date, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "last care date, YYYY-MM-DD"),
        ("organism" = Option<String>, Query, description = "organism, 9 digits"),
        ("patient" = Option<String>, Query, description = "insured person's NIR")),
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = "default", body = ApiError)))]
fn reconciliation_csv() {}
