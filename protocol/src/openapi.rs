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
        paths::simulator_insert,
        paths::simulator_remove,
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
        crate::billing::paths::lot_b2
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
        crate::FseStatus,
        crate::InsuranceNature,
        crate::Lot,
        crate::LotList,
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
