//! OpenAPI descriptions of the billing routes (stubs carrying `#[utoipa::path]` only).
#![allow(dead_code)]

use crate::{
    ApiError, Basket, BasketList, Fse, FseBatchRequest, FseBatchResponse, FseList, FseSignRequest,
    FseSignResponse, LotBuildRequest, LotList, LotSignature,
};

/// Creates FSE; each is accepted or refused on its own (`results[i].error`). The rights a
/// draft names (`rights`: the Carte Vitale read, by serial, or an online answer, by
/// reference) are filled in by the daemon and checked at the care date; the parts are
/// computed from them. With `Idempotency-Key`, a retry returns the FSE created the first
/// time.
#[utoipa::path(post, path = "/v1/fse", tag = "billing", request_body = FseBatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key of this request")),
    responses((status = 200, body = FseBatchResponse), (status = "default", body = ApiError)))]
fn create_fse() {}

/// FSE history, oldest first; `format=csv` for the CSV export (`;` separated). Any other
/// query parameter is refused (`bad_request`), never ignored.
#[utoipa::path(get, path = "/v1/fse", tag = "billing",
    params(("from" = Option<String>, Query, description = "care date on or after YYYY-MM-DD"),
           ("to" = Option<String>, Query, description = "care date on or before YYYY-MM-DD"),
           ("patient" = Option<String>, Query, description = "insured person's NIR"),
           ("status" = Option<String>, Query, description = "draft, signed, in_lot, sent, acknowledged, paid, rejected, deleted"),
           ("lot" = Option<i64>, Query, description = "lot id"),
           ("organism" = Option<String>, Query, description = "régime + caisse + centre, 9 digits"),
           ("practitioner" = Option<String>, Query, description = "billing number"),
           ("limit" = Option<u32>, Query, minimum = 1, maximum = 10000, description = "at most this many (default and maximum 10,000)"),
           ("format" = Option<String>, Query, description = "json (default) or csv")),
    responses((status = 200, body = FseList), (status = "default", body = ApiError)))]
fn list_fse() {}

/// The history as CSV (same filters as `GET /v1/fse`).
#[utoipa::path(get, path = "/v1/fse.csv", tag = "billing",
    responses((status = 200, description = "text/csv", content_type = "text/csv"), (status = "default", body = ApiError)))]
fn list_fse_csv() {}

/// One FSE.
#[utoipa::path(get, path = "/v1/fse/{id}", tag = "billing", params(("id" = i64, Path, description = "FSE id")),
    responses((status = 200, body = Fse), (status = "default", body = ApiError)))]
fn get_fse() {}

/// Deletes an FSE not yet in a lot (`fse_in_lot` otherwise: contact the caisse).
#[utoipa::path(delete, path = "/v1/fse/{id}", tag = "billing", params(("id" = i64, Path, description = "FSE id")),
    responses((status = 200, body = Fse), (status = "default", body = ApiError)))]
fn delete_fse() {}

/// Pre-coded FSE (baskets of acts).
#[utoipa::path(get, path = "/v1/baskets", tag = "billing",
    responses((status = 200, body = BasketList), (status = "default", body = ApiError)))]
fn list_baskets() {}

/// One basket.
#[utoipa::path(get, path = "/v1/baskets/{name}", tag = "billing", params(("name" = String, Path, description = "basket name")),
    responses((status = 200, body = Basket), (status = "default", body = ApiError)))]
fn get_basket() {}

/// Creates or replaces a basket (its acts are checked against the tariff table).
#[utoipa::path(put, path = "/v1/baskets/{name}", tag = "billing", request_body = Basket,
    params(("name" = String, Path, description = "basket name")),
    responses((status = 200, body = Basket), (status = "default", body = ApiError)))]
fn put_basket() {}

/// Deletes a basket.
#[utoipa::path(delete, path = "/v1/baskets/{name}", tag = "billing", params(("name" = String, Path, description = "basket name")),
    responses((status = 204, description = "deleted"), (status = "default", body = ApiError)))]
fn delete_basket() {}

/// Lots, oldest first.
#[utoipa::path(get, path = "/v1/lots", tag = "billing",
    params(("practitioner" = Option<String>, Query, description = "billing number")),
    responses((status = 200, body = LotList), (status = "default", body = ApiError)))]
fn list_lots() {}

/// The B2 file of a lot, as signed (fixed 128-character records; layout modelled).
#[utoipa::path(get, path = "/v1/lots/{id}/b2", tag = "billing", params(("id" = i64, Path, description = "lot id")),
    responses((status = 200, description = "B2 file", content_type = "application/octet-stream"), (status = "default", body = ApiError)))]
fn lot_b2() {}

/// Signs draft FSE in one go with the CPS in `reader` (signature désynchronisée), PIN
/// verified (`pin_required` otherwise). Refused for a CPE or a situation that may not sign
/// invoices (`signer_not_allowed`); then each FSE is signed or refused on its own. With
/// `Idempotency-Key`, an FSE already signed under that key is answered, not signed again.
#[utoipa::path(post, path = "/v1/fse/sign", tag = "billing", request_body = FseSignRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key of this request")),
    responses((status = 200, body = FseSignResponse), (status = "default", body = ApiError)))]
fn sign_fse() {}

/// Builds and signs, with the CPS in `reader`, the lots of every signed FSE of the
/// situation's billing number (per organism, B2 file signed). All or nothing. Refused for a
/// CPE or a situation without the right to sign lots (`signer_not_allowed`). With
/// `Idempotency-Key`, a retry answers the lots of the first call, signing nothing.
#[utoipa::path(post, path = "/v1/lots", tag = "billing", request_body = LotBuildRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "retry-safe key of this request")),
    responses((status = 200, body = LotList), (status = "default", body = ApiError)))]
fn build_lots() {}

/// The signature of a lot's B2 file and the signer's certificate (base64).
#[utoipa::path(get, path = "/v1/lots/{id}/signature", tag = "billing", params(("id" = i64, Path, description = "lot id")),
    responses((status = 200, body = LotSignature), (status = "default", body = ApiError)))]
fn lot_signature() {}

#[cfg(test)]
mod tests {
    #[test]
    fn billing_routes_and_schemas_are_in_the_document() {
        let doc = crate::openapi::document();
        for path in [
            "/v1/fse",
            "/v1/fse.csv",
            "/v1/fse/{id}",
            "/v1/baskets",
            "/v1/baskets/{name}",
            "/v1/lots",
            "/v1/lots/{id}/b2",
            "/v1/fse/sign",
            "/v1/lots/{id}/signature",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        assert!(doc["paths"]["/v1/fse"]["post"].is_object());
        assert!(doc["paths"]["/v1/lots"]["post"].is_object());
        assert!(doc["paths"]["/v1/lots"]["get"].is_object());
        assert!(doc["paths"]["/v1/fse/sign"]["post"].is_object());
        assert!(doc["components"]["schemas"]["FseSignRequest"].is_object());
        for schema in ["FseDraft", "Fse", "ActInput", "Lot", "ErrorCode"] {
            assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
        }
        let codes = doc["components"]["schemas"]["ErrorCode"].to_string();
        assert!(codes.contains("fse_in_lot") && codes.contains("unknown_act_code"));
    }
}
