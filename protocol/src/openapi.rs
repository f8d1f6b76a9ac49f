//! The OpenAPI document, generated from the types of this crate.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::security::{
    AuditActor, AuditEntry, AuditPage, ClientIdentity, Grant, GrantList, OsUser, PairingCreated,
    PairingRequest, PairingState, PairingStatus, PendingPairing, PendingPairingList, Scope,
};
use crate::{
    ApiError, BackendKind, BackendState, Card, CardKind, ErrorBody, ErrorCode, Event, EventKind,
    Reader, ReaderList, ServiceStatus, SimulatedCardInsertion,
};

/// Operation stubs: they only carry the `#[utoipa::path]` descriptions of the routes.
#[allow(dead_code)]
mod paths {
    use crate::{ApiError, ReaderList, ServiceStatus};

    /// Service status: version, backend, readers, uptime.
    #[utoipa::path(get, path = "/v1/status", tag = "service",
        responses((status = 200, body = ServiceStatus), (status = "default", body = ApiError)))]
    fn status() {}

    /// Readers and the card in each.
    #[utoipa::path(get, path = "/v1/readers", tag = "readers", security(("bearer" = [])),
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn readers() {}

    /// Server-Sent Events of readers and cards. Resume with `Last-Event-ID`. The token goes
    /// in the `Authorization` header, as everywhere: read the stream with `fetch` (a
    /// browser's `EventSource` cannot send it; the TypeScript client does this).
    #[utoipa::path(get, path = "/v1/events", tag = "events", security(("bearer" = [])),
        params(("Last-Event-ID" = Option<u64>, Header, description = "last id seen"),
               ("last_event_id" = Option<u64>, Query, description = "same, for clients that cannot set headers")),
        responses((status = 200, description = "text/event-stream of Event", content_type = "text/event-stream"),
                  (status = "default", body = ApiError)))]
    fn events() {}

    /// Reads the Carte Vitale in a reader (free zones; rights when the card allows it).
    /// Cached until the card is removed.
    #[utoipa::path(get, path = "/v1/readers/{reader}/vitale", tag = "cards", security(("bearer" = [])),
        params(("reader" = String, Path, description = "reader name")),
        responses((status = 200, body = crate::VitaleCard), (status = "default", body = ApiError)))]
    fn read_vitale() {}

    /// Reads the CPS, CPE or CPF in a reader (holder, practice situations); no PIN needed.
    /// Cached until the card is removed.
    #[utoipa::path(get, path = "/v1/readers/{reader}/cpx", tag = "cards", security(("bearer" = [])),
        params(("reader" = String, Path, description = "reader name")),
        responses((status = 200, body = crate::CpxCard), (status = "default", body = ApiError)))]
    fn read_cpx() {}

    /// The PIN state of the CPx card (tries left, verified, blocked, PIN pad). Costs no try.
    #[utoipa::path(get, path = "/v1/readers/{reader}/pin", tag = "pin",
        params(("reader" = String, Path, description = "reader name")),
        responses((status = 200, body = crate::PinStatus), (status = "default", body = ApiError)))]
    fn pin_status() {}

    /// Verifies the CPx PIN once (never retried): the PIN, or `secure_pin_entry` to type it
    /// on the reader's pad. Errors `pin_incorrect` (tries before/after), `pin_blocked`.
    #[utoipa::path(post, path = "/v1/readers/{reader}/pin/verify", tag = "pin",
        params(("reader" = String, Path, description = "reader name")),
        request_body = crate::PinVerifyRequest,
        responses((status = 200, body = crate::PinVerified), (status = "default", body = ApiError)))]
    fn pin_verify() {}

    /// Unblocks a blocked CPx card with its unblock code and sets a new PIN.
    #[utoipa::path(post, path = "/v1/readers/{reader}/pin/unblock", tag = "pin",
        params(("reader" = String, Path, description = "reader name")),
        request_body = crate::PinUnblockRequest,
        responses((status = 200, body = crate::PinStatus), (status = "default", body = ApiError)))]
    fn pin_unblock() {}

    /// Signs a SHA-256 digest with the CPS signature key (PIN verified), checked against
    /// the card's certificate before it is returned. A CPE never signs.
    #[utoipa::path(post, path = "/v1/readers/{reader}/signature", tag = "pin",
        params(("reader" = String, Path, description = "reader name")),
        request_body = crate::SignatureRequest,
        responses((status = 200, body = crate::CardSignature), (status = "default", body = ApiError)))]
    fn signature() {}

    /// Cancels a card operation (see the reader's `queue`): one waiting never runs; the
    /// one holding the card is stopped and the connection to the card is reset (its caller
    /// gets `job_cancelled` at once). An application cancels its own; `admin` any.
    #[utoipa::path(delete, path = "/v1/readers/{reader}/jobs/{id}", tag = "readers",
        params(("reader" = String, Path, description = "reader name"),
               ("id" = u64, Path, description = "job id")),
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn cancel_job() {}

    /// Rights from the online service (ADRi) or an e-carte Vitale (ApCV); modelled.
    #[utoipa::path(post, path = "/v1/rights", tag = "rights",
        request_body = crate::RightsRequest,
        responses((status = 200, body = crate::RightsAnswer), (status = "default", body = ApiError)))]
    fn rights() {}

    /// Simulated backend only: type keys on a simulated reader's PIN pad.
    #[utoipa::path(post, path = "/v1/simulator/pin-pad/{reader}", tag = "simulator",
        params(("reader" = String, Path, description = "reader name")),
        request_body = crate::SimulatedPinPadKeys,
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn simulator_pin_pad() {}

    /// Builds with the simulator and `simulator.movable_clock = true` only: moves the
    /// billing clock forward (deadlines, the daily emission) instead of waiting.
    #[utoipa::path(post, path = "/v1/simulator/clock", tag = "simulator",
        request_body = crate::SimulatedClockAdvance,
        responses((status = 200, body = crate::SimulatedClockAdvance), (status = "default", body = ApiError)))]
    fn simulator_clock() {}

    /// Simulated backend only: put a simulated card into a reader.
    #[utoipa::path(post, path = "/v1/simulator/cards", tag = "simulator", security(("bearer" = [])),
        request_body = crate::SimulatedCardInsertion,
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn simulator_insert() {}

    /// Simulated backend only: take the card out of a reader.
    #[utoipa::path(delete, path = "/v1/simulator/cards/{reader}", tag = "simulator", security(("bearer" = [])),
        params(("reader" = String, Path, description = "reader name")),
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn simulator_remove() {}

    /// Asks to pair the calling web application (its `Origin`); no token needed. The daemon
    /// shows the same `code` to the practitioner, who approves it.
    #[utoipa::path(post, path = "/v1/pairings", tag = "security",
        request_body = crate::PairingRequest,
        responses((status = 200, body = crate::PairingCreated), (status = "default", body = ApiError)))]
    fn pairing_create() {}

    /// State of a pairing request, from the origin that made it; no token needed. The first
    /// answer after approval carries the token, later ones say `delivered`.
    #[utoipa::path(get, path = "/v1/pairings/{pairing_id}", tag = "security",
        params(("pairing_id" = String, Path, description = "the secret id from POST /v1/pairings")),
        responses((status = 200, body = crate::PairingState), (status = "default", body = ApiError)))]
    fn pairing_poll() {}

    /// Pairing requests still known, with their codes (scope `admin`).
    #[utoipa::path(get, path = "/v1/pairings", tag = "security", security(("bearer" = [])),
        responses((status = 200, body = crate::PendingPairingList), (status = "default", body = ApiError)))]
    fn pairing_list() {}

    /// Approves the waiting request with this code (scope `admin`).
    #[utoipa::path(post, path = "/v1/pairings/{code}/approve", tag = "security", security(("bearer" = [])),
        params(("code" = String, Path, description = "the code, 123-456")),
        responses((status = 200, body = crate::PendingPairing), (status = "default", body = ApiError)))]
    fn pairing_approve() {}

    /// Denies the waiting request with this code (scope `admin`).
    #[utoipa::path(post, path = "/v1/pairings/{code}/deny", tag = "security", security(("bearer" = [])),
        params(("code" = String, Path, description = "the code, 123-456")),
        responses((status = 200, body = crate::PendingPairing), (status = "default", body = ApiError)))]
    fn pairing_deny() {}

    /// Approved applications (scope `admin`).
    #[utoipa::path(get, path = "/v1/grants", tag = "security", security(("bearer" = [])),
        responses((status = 200, body = crate::GrantList), (status = "default", body = ApiError)))]
    fn grants() {}

    /// Revokes a grant: its token stops working at once (scope `admin`).
    #[utoipa::path(delete, path = "/v1/grants/{id}", tag = "security", security(("bearer" = [])),
        params(("id" = String, Path, description = "grant id")),
        responses((status = 200, body = crate::Grant), (status = "default", body = ApiError)))]
    fn grant_revoke() {}

    /// The audit log, oldest first, after a sequence number (scope `admin`).
    #[utoipa::path(get, path = "/v1/audit", tag = "security", security(("bearer" = [])),
        params(("after" = Option<i64>, Query, minimum = 0, description = "entries after this seq (default 0)"),
               ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "at most this many (default and maximum 1000)")),
        responses((status = 200, body = crate::AuditPage), (status = "default", body = ApiError)))]
    fn audit() {}
}

/// Routes that take no token (`METHOD path` as in the document): the public ones and the
/// two pairing routes a page calls before it has a token. Every other route declares the
/// `bearer` scheme (the agent's scope table is checked against this in its unit tests).
pub const ROUTES_WITHOUT_TOKEN: [&str; 3] = [
    "GET /v1/status",
    "POST /v1/pairings",
    "GET /v1/pairings/{pairing_id}",
];

/// Adds the `bearer` security scheme and declares it on every route that needs a token.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::SecurityRequirement;
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("DELETE", &mut item.delete),
                ("PATCH", &mut item.patch),
            ];
            for (method, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                if !ROUTES_WITHOUT_TOKEN.contains(&format!("{method} {path}").as_str()) {
                    op.security = Some(vec![SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    )]);
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Token from pairing (`pst_...`), in the Authorization header on every \
                         route (never in the query string).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI description of API v1.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Passerelle",
        description = "Localhost API of the Passerelle SESAM-Vitale reader bridge."
    ),
    paths(
        paths::status,
        paths::readers,
        paths::events,
        paths::read_vitale,
        paths::read_cpx,
        paths::pin_status,
        paths::pin_verify,
        paths::pin_unblock,
        paths::signature,
        paths::cancel_job,
        paths::rights,
        paths::simulator_insert,
        paths::simulator_remove,
        paths::simulator_pin_pad,
        crate::billing::paths::create_fse,
        crate::billing::paths::list_fse,
        crate::billing::paths::list_fse_csv,
        crate::billing::paths::get_fse,
        crate::billing::paths::delete_fse,
        crate::billing::paths::list_baskets,
        crate::billing::paths::get_basket,
        crate::billing::paths::put_basket,
        crate::billing::paths::delete_basket,
        crate::billing::paths::list_lots,
        crate::billing::paths::lot_b2,
        paths::pairing_create,
        paths::pairing_poll,
        paths::pairing_list,
        paths::pairing_approve,
        paths::pairing_deny,
        paths::grants,
        paths::grant_revoke,
        paths::audit,
        crate::billing::paths::sign_fse,
        crate::billing::paths::build_lots,
        crate::billing::paths::lot_signature,
        crate::billing::transmission_paths::lot_detail,
        crate::billing::transmission_paths::send_lot,
        crate::billing::transmission_paths::send_lots,
        crate::billing::transmission_paths::outbox,
        crate::billing::transmission_paths::cancel_attempt,
        crate::billing::transmission_paths::mail_settings,
        crate::billing::transmission_paths::put_mail_settings,
        crate::billing::transmission_paths::schedule,
        crate::billing::transmission_paths::put_schedule,
        crate::billing::transmission_paths::paper_duplicate,
        crate::billing::transmission_paths::returns,
        crate::billing::transmission_paths::paper_posted,
        crate::billing::transmission_paths::reconciliation,
        crate::billing::transmission_paths::reconciliation_csv,
        paths::simulator_clock,
        crate::billing::replacement_paths::open_replacement,
        crate::billing::replacement_paths::list_replacements,
        crate::billing::replacement_paths::get_replacement,
        crate::billing::replacement_paths::close_replacement,
        crate::billing::replacement_paths::purge_replacement,
        crate::billing::replacement_paths::grant_assistant,
        crate::billing::replacement_paths::list_assistants,
        crate::billing::replacement_paths::revoke_assistant,
        crate::billing::attachment_paths::upload,
        crate::billing::attachment_paths::of_fse,
        crate::billing::attachment_paths::missing,
        crate::billing::attachment_paths::get,
        crate::billing::attachment_paths::pdf,
        crate::billing::attachment_paths::paper,
        crate::billing::attachment_paths::pj_lots,
        crate::billing::attachment_paths::pj_lot,
        crate::billing::attachment_paths::posted
    ),
    modifiers(&BearerScheme),
    components(schemas(
        ApiError,
        ErrorBody,
        ErrorCode,
        Event,
        EventKind,
        Reader,
        ReaderList,
        Card,
        CardKind,
        ServiceStatus,
        BackendState,
        BackendKind,
        SimulatedCardInsertion,
        crate::ReaderQueue,
        crate::ReaderState,
        crate::CardJob,
        crate::ActInput,
        crate::Amounts,
        crate::Basket,
        crate::BasketList,
        crate::Fse,
        crate::FseBatchRequest,
        crate::FseBatchResponse,
        crate::FseDraft,
        crate::FseList,
        crate::FseMode,
        crate::FseOutcome,
        crate::FseSignRequest,
        crate::FseSignResponse,
        crate::FseStatus,
        crate::InsuranceNature,
        crate::Lot,
        crate::LotBuildRequest,
        crate::LotList,
        crate::LotSignature,
        crate::LotStatus,
        crate::Organism,
        crate::Patient,
        crate::PractitionerRef,
        crate::Prescriber,
        crate::PricedAct,
        crate::RightsRef,
        crate::RightsOrigin,
        crate::RightsRecord,
        crate::Pregnancy,
        crate::WorkAccident,
        crate::Exoneration,
        crate::RateBasis,
        crate::AmcRecord,
        crate::AmcKind,
        Scope,
        ClientIdentity,
        OsUser,
        PairingRequest,
        PairingCreated,
        PairingStatus,
        PairingState,
        PendingPairing,
        PendingPairingList,
        Grant,
        GrantList,
        AuditActor,
        AuditEntry,
        AuditPage,
        crate::AttemptReason,
        crate::AttemptState,
        crate::DailySchedule,
        crate::LotDetail,
        crate::MailSecurity,
        crate::MailServer,
        crate::MailSettings,
        crate::MailSettingsInput,
        crate::MailSettingsList,
        crate::OctSettings,
        crate::OutboxAttempt,
        crate::OutboxList,
        crate::ScheduleRequest,
        crate::SendLotsRequest,
        crate::SendLotsResponse,
        crate::Secret,
        crate::SimulatedClockAdvance,
        crate::ReturnKind,
        crate::ReturnState,
        crate::ReturnMail,
        crate::ReturnMailList,
        crate::Settlement,
        crate::ReconciledFse,
        crate::Tally,
        crate::GroupTally,
        crate::ReasonCount,
        crate::Reconciliation,
        crate::ReplacedSituation,
        crate::Substitute,
        crate::ReplacementState,
        crate::ReplacementSession,
        crate::SubstituteInput,
        crate::ReplacementOpenRequest,
        crate::ReplacementCardRequest,
        crate::ReplacementList,
        crate::ReplacementPart,
        crate::Assistant,
        crate::AssistantGrant,
        crate::AssistantInput,
        crate::AssistantGrantRequest,
        crate::AssistantGrantList,
        crate::billing::attachment_paths::FileBytes,
        crate::AttachmentKind,
        crate::AttachmentState,
        crate::Attachment,
        crate::AttachmentList,
        crate::MissingAttachment,
        crate::MissingAttachmentList,
        crate::LotKind,
        crate::PjLotStatus,
        crate::PjLotItem,
        crate::PjLot,
        crate::PjLotList,
        crate::PjLotDetail
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document as a JSON value.
pub fn document() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::API_VERSION.to_owned();
    serde_json::to_value(doc).expect("OpenAPI document serialises")
}

/// The OpenAPI document as pretty JSON with a final newline: the exact content of the
/// committed `docs/openapi.json`.
pub fn document_pretty() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("OpenAPI document serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    /// `docs/openapi.json` is the generated document. Regenerate it with
    /// `PASSERELLE_WRITE_OPENAPI=1 cargo test -p passerelle-protocol committed_openapi`.
    #[test]
    fn committed_openapi_json_is_the_generated_document() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
        let generated = super::document_pretty();
        if std::env::var("PASSERELLE_WRITE_OPENAPI").is_ok_and(|v| v == "1") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json differs from the generated document; regenerate it with \
             PASSERELLE_WRITE_OPENAPI=1 cargo test -p passerelle-protocol committed_openapi"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1() {
        let doc = super::document();
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1.")),
            "{}",
            doc["openapi"]
        );
    }

    #[test]
    fn security_routes_and_bearer_scheme_are_documented() {
        let doc = super::document();
        for path in [
            "/v1/pairings",
            "/v1/pairings/{pairing_id}",
            "/v1/pairings/{code}/approve",
            "/v1/grants/{id}",
            "/v1/audit",
            "/v1/readers/{reader}/vitale",
        ] {
            assert!(doc["paths"].get(path).is_some(), "OpenAPI lacks {path}");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["paths"]["/v1/readers"]["get"]["security"].is_array());
        assert!(doc["paths"]["/v1/status"]["get"].get("security").is_none());
        assert!(doc["components"]["schemas"].get("AuditEntry").is_some());
    }
}
