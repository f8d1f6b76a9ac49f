//! The OpenAPI document, generated from the types of this crate.

use utoipa::OpenApi;

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
    #[utoipa::path(get, path = "/v1/readers", tag = "readers",
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn readers() {}

    /// Server-Sent Events of readers and cards. Resume with `Last-Event-ID`.
    #[utoipa::path(get, path = "/v1/events", tag = "events",
        params(("Last-Event-ID" = Option<u64>, Header, description = "last id seen"),
               ("last_event_id" = Option<u64>, Query, description = "same, for clients that cannot set headers")),
        responses((status = 200, description = "text/event-stream of Event", content_type = "text/event-stream"),
                  (status = "default", body = ApiError)))]
    fn events() {}

    /// Reads the Carte Vitale in a reader (free zones; rights when the card allows it).
    /// Cached until the card is removed.
    #[utoipa::path(get, path = "/v1/readers/{reader}/vitale", tag = "cards",
        params(("reader" = String, Path, description = "reader name")),
        responses((status = 200, body = crate::VitaleCard), (status = "default", body = ApiError)))]
    fn read_vitale() {}

    /// Reads the CPS, CPE or CPF in a reader (holder, practice situations); no PIN needed.
    /// Cached until the card is removed.
    #[utoipa::path(get, path = "/v1/readers/{reader}/cpx", tag = "cards",
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

    /// Cancels a card operation waiting for the reader (see the reader's `queue`).
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

    /// Simulated backend only: put a simulated card into a reader.
    #[utoipa::path(post, path = "/v1/simulator/cards", tag = "simulator",
        request_body = crate::SimulatedCardInsertion,
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn simulator_insert() {}

    /// Simulated backend only: take the card out of a reader.
    #[utoipa::path(delete, path = "/v1/simulator/cards/{reader}", tag = "simulator",
        params(("reader" = String, Path, description = "reader name")),
        responses((status = 200, body = ReaderList), (status = "default", body = ApiError)))]
    fn simulator_remove() {}
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
        crate::billing::paths::sign_fse,
        crate::billing::paths::build_lots,
        crate::billing::paths::lot_signature
    ),
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
        crate::PricedAct
    ))
)]
pub struct ApiDoc;

/// The OpenAPI document as a JSON value.
pub fn document() -> serde_json::Value {
    let mut doc = ApiDoc::openapi();
    doc.info.version = crate::API_VERSION.to_owned();
    serde_json::to_value(doc).expect("OpenAPI document serialises")
}
