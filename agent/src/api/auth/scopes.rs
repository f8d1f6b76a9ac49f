//! Which routes need which scope: the one table.
//!
//! | route | access |
//! |---|---|
//! | `GET /v1/status`, `GET /v1/openapi.json` | no token |
//! | `POST /v1/pairings`, `GET /v1/pairings/{pairing_id}` | pairing (no token; any pairable origin) |
//! | `GET /v1/readers`, `GET /v1/readers/{r}/vitale`, `GET /v1/readers/{r}/cpx`, `GET /v1/events` | `read_cards` |
//! | `GET /v1/readers/{r}/pin`, `DELETE /v1/readers/{r}/jobs/{id}`, `POST /v1/rights` | `read_cards` |
//! | `POST /v1/readers/{r}/pin/verify`, `…/pin/unblock`, `…/signature` | `sign` |
//! | `POST /v1/fse/sign`, `POST /v1/lots` (signing with the CPS) | `sign` |
//! | `POST /v1/fse/{id}/attachments` (a scanned attachment) | `sign` |
//! | `/v1/fse…` (create, list, read, delete), `/v1/baskets…`, `GET /v1/lots…` (list, B2, signature), `GET /v1/attachments…` | `prepare` |
//! | `GET /v1/lots/{id}`, `POST /v1/lots/send`, `POST /v1/lots/{id}/send`, `/v1/outbox…`, `/v1/transmission/schedule` | `transmit` |
//! | `GET /v1/lots/{id}/paper`, `POST /v1/lots/{id}/posted`, `GET /v1/returns`, `GET /v1/reconciliation`, `GET /v1/reconciliation.csv` | `transmit` |
//! | `GET /v1/pj-lots`, `GET /v1/pj-lots/{id}`, `POST /v1/pj-lots/{id}/posted` (PJ lots of scanned attachments) | `transmit` |
//! | `GET /v1/replacements`, `GET /v1/replacements/{id}`, `GET /v1/assistants` | `read_cards` |
//! | `POST /v1/replacements`, `…/{id}/close`, `…/{id}/purge`, `POST /v1/assistants`, `…/{id}/revoke` (with the practitioner's CPS) | `sign` |
//! | `/v1/mail…` (mail settings), `/v1/simulator/…` | `admin` |
//! | `GET /v1/pairings`, `POST /v1/pairings/{code}/approve`, `POST /v1/pairings/{code}/deny` | `admin` |
//! | `GET /v1/grants`, `DELETE /v1/grants/{id}`, `GET /v1/audit` | `admin` |
//! | `/v1/simulator/...` | `admin` |
//! | anything else (unknown paths, future routes not yet listed here) | `admin` |
//!
//! A route missing from this table needs `admin`: new routes fail closed until they are
//! listed.

use axum::http::Method;
use passerelle_protocol::Scope;

/// What a request needs to pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token (the Host and Origin checks still apply).
    Public,
    /// The pairing routes: no token, and any pairable origin (not yet approved by
    /// definition) passes the Origin check and gets CORS answers.
    Pairing,
    /// A valid token with this scope.
    Scope(Scope),
}

/// The access rule of `method path`.
pub fn required(method: &Method, path: &str) -> Access {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let get = method == Method::GET;
    let post = method == Method::POST;
    match segments.as_slice() {
        ["v1", "status"] | ["v1", "openapi.json"] if get => Access::Public,
        ["v1", "pairings"] if post => Access::Pairing,
        ["v1", "pairings", _] if get => Access::Pairing,
        ["v1", "readers"] | ["v1", "events"] if get => Access::Scope(Scope::ReadCards),
        ["v1", "readers", _, "vitale" | "cpx" | "pin"] if get => Access::Scope(Scope::ReadCards),
        ["v1", "readers", _, "jobs", _] if method == Method::DELETE => {
            Access::Scope(Scope::ReadCards)
        }
        ["v1", "rights"] if post => Access::Scope(Scope::ReadCards),
        ["v1", "readers", _, "pin", "verify" | "unblock"] | ["v1", "readers", _, "signature"]
            if post =>
        {
            Access::Scope(Scope::Sign)
        }
        ["v1", "fse", "sign"] | ["v1", "lots"] if post => Access::Scope(Scope::Sign),
        ["v1", "fse", _, "attachments"] if post => Access::Scope(Scope::Sign),
        ["v1", "attachments", ..] if get => Access::Scope(Scope::Prepare),
        ["v1", "replacements" | "assistants"] | ["v1", "replacements", _] if get => {
            Access::Scope(Scope::ReadCards)
        }
        ["v1", "replacements" | "assistants"]
        | ["v1", "replacements", _, "close" | "purge"]
        | ["v1", "assistants", _, "revoke"]
            if post =>
        {
            Access::Scope(Scope::Sign)
        }
        ["v1", "lots", _] if get => Access::Scope(Scope::Transmit),
        ["v1", "lots", "send"] | ["v1", "lots", _, "send"] if post => {
            Access::Scope(Scope::Transmit)
        }
        ["v1", "outbox", ..] | ["v1", "transmission", "schedule"] => Access::Scope(Scope::Transmit),
        ["v1", "pj-lots"] | ["v1", "pj-lots", _] if get => Access::Scope(Scope::Transmit),
        ["v1", "pj-lots", _, "posted"] if post => Access::Scope(Scope::Transmit),
        ["v1", "lots", _, "paper"] | ["v1", "returns"] if get => Access::Scope(Scope::Transmit),
        ["v1", "lots", _, "posted"] if post => Access::Scope(Scope::Transmit),
        ["v1", "reconciliation" | "reconciliation.csv"] if get => Access::Scope(Scope::Transmit),
        ["v1", "fse" | "fse.csv" | "baskets", ..] | ["v1", "lots", ..] => {
            Access::Scope(Scope::Prepare)
        }
        _ => Access::Scope(Scope::Admin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_routes() {
        let (g, p) = (Method::GET, Method::POST);
        let read = Access::Scope(Scope::ReadCards);
        let sign = Access::Scope(Scope::Sign);
        assert_eq!(required(&g, "/v1/replacements"), read);
        assert_eq!(required(&g, "/v1/replacements/3"), read);
        assert_eq!(required(&g, "/v1/assistants"), read);
        assert_eq!(required(&p, "/v1/replacements"), sign);
        assert_eq!(required(&p, "/v1/replacements/3/close"), sign);
        assert_eq!(required(&p, "/v1/replacements/3/purge"), sign);
        assert_eq!(required(&p, "/v1/assistants"), sign);
        assert_eq!(required(&p, "/v1/assistants/3/revoke"), sign);
        assert_eq!(
            required(&Method::DELETE, "/v1/replacements/3"),
            Access::Scope(Scope::Admin)
        );
    }

    #[test]
    fn attachment_routes() {
        let prepare = Access::Scope(Scope::Prepare);
        assert_eq!(
            required(&Method::POST, "/v1/fse/3/attachments"),
            Access::Scope(Scope::Sign)
        );
        assert_eq!(required(&Method::GET, "/v1/fse/3/attachments"), prepare);
        assert_eq!(required(&Method::GET, "/v1/attachments/missing"), prepare);
        assert_eq!(required(&Method::GET, "/v1/attachments/4/pdf"), prepare);
        assert_eq!(required(&Method::GET, "/v1/attachments/4/paper"), prepare);
        let transmit = Access::Scope(Scope::Transmit);
        assert_eq!(required(&Method::GET, "/v1/pj-lots"), transmit);
        assert_eq!(required(&Method::GET, "/v1/pj-lots/2"), transmit);
        assert_eq!(required(&Method::POST, "/v1/pj-lots/2/posted"), transmit);
        assert_eq!(required(&Method::POST, "/v1/lots/2/posted"), transmit);
        assert_eq!(
            required(&Method::POST, "/v1/pj-lots/2"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(
            required(&Method::DELETE, "/v1/attachments/4"),
            Access::Scope(Scope::Admin)
        );
    }

    #[test]
    fn auth_route_table() {
        let g = Method::GET;
        assert_eq!(required(&g, "/v1/status"), Access::Public);
        assert_eq!(
            required(&Method::DELETE, "/v1/status"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(required(&Method::POST, "/v1/pairings"), Access::Pairing);
        assert_eq!(required(&g, "/v1/pairings/abc"), Access::Pairing);
        assert_eq!(required(&g, "/v1/pairings"), Access::Scope(Scope::Admin));
        assert_eq!(
            required(&Method::POST, "/v1/pairings/123-456/approve"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(required(&g, "/v1/readers"), Access::Scope(Scope::ReadCards));
        assert_eq!(
            required(&g, "/v1/readers/Lecteur%200/vitale"),
            Access::Scope(Scope::ReadCards)
        );
        assert_eq!(
            required(&g, "/v1/readers/a/b/vitale"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(required(&g, "/v1/events"), Access::Scope(Scope::ReadCards));
        assert_eq!(
            required(&g, "/v1/readers/a/pin"),
            Access::Scope(Scope::ReadCards)
        );
        assert_eq!(
            required(&Method::POST, "/v1/readers/a/pin/verify"),
            Access::Scope(Scope::Sign)
        );
        assert_eq!(
            required(&Method::POST, "/v1/readers/a/signature"),
            Access::Scope(Scope::Sign)
        );
        assert_eq!(
            required(&g, "/v1/readers/a/signature"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(
            required(&Method::DELETE, "/v1/readers/a/jobs/7"),
            Access::Scope(Scope::ReadCards)
        );
        assert_eq!(
            required(&Method::POST, "/v1/rights"),
            Access::Scope(Scope::ReadCards)
        );
        assert_eq!(
            required(&Method::POST, "/v1/fse"),
            Access::Scope(Scope::Prepare)
        );
        assert_eq!(
            required(&Method::DELETE, "/v1/fse/3"),
            Access::Scope(Scope::Prepare)
        );
        assert_eq!(
            required(&Method::POST, "/v1/fse/sign"),
            Access::Scope(Scope::Sign)
        );
        assert_eq!(
            required(&Method::POST, "/v1/lots"),
            Access::Scope(Scope::Sign)
        );
        assert_eq!(required(&g, "/v1/lots"), Access::Scope(Scope::Prepare));
        assert_eq!(required(&g, "/v1/fse/sign"), Access::Scope(Scope::Prepare));
        assert_eq!(required(&g, "/v1/lots/3/b2"), Access::Scope(Scope::Prepare));
        let transmit = Access::Scope(Scope::Transmit);
        assert_eq!(required(&g, "/v1/lots/3"), transmit);
        assert_eq!(required(&Method::POST, "/v1/lots/3/send"), transmit);
        assert_eq!(required(&Method::POST, "/v1/lots/send"), transmit);
        assert_eq!(required(&Method::DELETE, "/v1/outbox/4"), transmit);
        assert_eq!(required(&g, "/v1/lots/4/paper"), transmit);
        assert_eq!(required(&g, "/v1/returns"), transmit);
        assert_eq!(required(&g, "/v1/reconciliation"), transmit);
        assert_eq!(required(&g, "/v1/reconciliation.csv"), transmit);
        assert_eq!(
            required(&Method::POST, "/v1/returns"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(
            required(&Method::PUT, "/v1/transmission/schedule"),
            transmit
        );
        assert_eq!(
            required(&Method::PUT, "/v1/mail/69312233"),
            Access::Scope(Scope::Admin)
        );
        assert_eq!(required(&g, "/v1/audit"), Access::Scope(Scope::Admin));
        assert_eq!(required(&g, "/v1/nope"), Access::Scope(Scope::Admin));
    }

    /// Every path of the OpenAPI document has an explicit rule or is meant to be admin.
    #[test]
    fn auth_every_documented_route_is_classified() {
        let doc = passerelle_protocol::openapi::document();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for method in ops.as_object().unwrap().keys() {
                let m: Method = method.to_uppercase().parse().unwrap();
                let concrete = path.replace('{', "x").replace('}', "");
                let access = required(&m, &concrete);
                let admin_by_design = path.starts_with("/v1/simulator")
                    || path.starts_with("/v1/grants")
                    || path.starts_with("/v1/mail")
                    || path == "/v1/audit"
                    || (path.starts_with("/v1/pairings") && access == Access::Scope(Scope::Admin));
                assert!(
                    access != Access::Scope(Scope::Admin) || admin_by_design,
                    "{method} {path} falls to the admin default: list it in scopes.rs"
                );
                // The document declares the bearer scheme exactly where a token is needed.
                let needs_token = matches!(access, Access::Scope(_));
                let declared = ops[method].get("security").is_some();
                assert_eq!(
                    needs_token, declared,
                    "{method} {path}: token needed {needs_token}, bearer declared {declared}"
                );
            }
        }
    }
}
