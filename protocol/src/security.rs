//! Pairing, grants, scopes and the audit log: the wire types of the security routes.
//!
//! An application pairs once (`POST /v1/pairings`), the practitioner compares a short code
//! shown by the daemon and approves it, then the application polls its pairing and receives
//! a bearer token exactly once. The token is bound to the application's `Origin` (or, for a
//! local program paired over the Unix socket, to "no Origin"), carries [`Scope`]s and expires.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a token allows. A route needs at most one scope (see the README's table).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read readers, cards and the event stream.
    ReadCards,
    /// Prepare FSE (create, list, delete drafts, baskets, read lots): what an assistant's
    /// application gets. Signing needs `sign`.
    Prepare,
    /// Verify the CPS PIN and sign (FSE, lots).
    Sign,
    /// Send lots to the organisms and fetch their returns.
    Transmit,
    /// Manage pairings and grants, read the audit log, drive the simulator.
    Admin,
}

impl Scope {
    /// Every scope, in a stable order.
    pub const ALL: [Scope; 5] = [
        Scope::ReadCards,
        Scope::Prepare,
        Scope::Sign,
        Scope::Transmit,
        Scope::Admin,
    ];

    /// The scope as it appears on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadCards => "read_cards",
            Scope::Prepare => "prepare",
            Scope::Sign => "sign",
            Scope::Transmit => "transmit",
            Scope::Admin => "admin",
        }
    }

    /// Parses the wire name.
    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// An OS account, as the daemon saw it on the connection (never what the client claims):
/// `uid=1000` on Unix (the socket's peer credentials), `sid=S-1-5-21-…` on Windows (the
/// named pipe client's token). Compared as an opaque string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
pub struct OsUser(pub String);

impl OsUser {
    /// A Unix account by its uid.
    pub fn unix(uid: u32) -> OsUser {
        OsUser(format!("uid={uid}"))
    }

    /// The Unix uid, when this is a Unix account.
    pub fn uid(&self) -> Option<u32> {
        self.0.strip_prefix("uid=")?.parse().ok()
    }
}

impl std::fmt::Display for OsUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who a grant (or a pending pairing) is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClientIdentity {
    /// A web application, by its exact origin (`https://app.example`). Its requests must
    /// carry that `Origin`.
    Origin {
        /// Scheme, host and port, as browsers send it.
        origin: String,
    },
    /// A local program paired over the local socket, by its OS user. Its requests must
    /// carry no `Origin` header at all.
    Local {
        /// The OS account seen on the local socket.
        os_user: OsUser,
    },
}

impl std::fmt::Display for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientIdentity::Origin { origin } => f.write_str(origin),
            ClientIdentity::Local { os_user } => write!(f, "local:{os_user}"),
        }
    }
}

/// `POST /v1/pairings`: an application asks to be paired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PairingRequest {
    /// Name shown to the practitioner (1 to 64 characters).
    #[schema(min_length = 1, max_length = 64)]
    pub app_name: String,
    /// Scopes asked for (at least one).
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
}

/// The answer to a pairing request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PairingCreated {
    /// Secret id of this pairing request: poll `GET /v1/pairings/{pairing_id}` with it.
    pub pairing_id: String,
    /// The short code the daemon also shows (log, `passerelle pair list`, admin events):
    /// the application displays it so the practitioner can compare. Form `123-456`.
    pub code: String,
    /// Path to poll.
    pub poll: String,
    /// Seconds until the request expires if nobody approves it.
    pub expires_in_seconds: u64,
}

/// Where a pairing request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PairingStatus {
    /// Waiting for the practitioner.
    Pending,
    /// Approved: this answer carries the token (once).
    Approved,
    /// Refused by the practitioner.
    Denied,
    /// The token was already handed out by an earlier poll.
    Delivered,
}

/// `GET /v1/pairings/{pairing_id}`: the state of a pairing; the token appears exactly once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PairingState {
    /// Where it stands.
    pub status: PairingStatus,
    /// The bearer token: only in the first answer after approval. Keep it secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The grant this token belongs to (once approved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Grant>,
}

/// A pairing request waiting for the practitioner (`GET /v1/pairings`, `passerelle pair list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingPairing {
    /// The code to compare.
    pub code: String,
    /// Who asks.
    pub client: ClientIdentity,
    /// The name the application gave.
    pub app_name: String,
    /// Scopes asked for.
    pub scopes: Vec<Scope>,
    /// Where it stands.
    pub status: PairingStatus,
    /// When it was asked (RFC 3339).
    pub requested_at: String,
}

/// An approved application (`GET /v1/grants`, `passerelle pair grants`). The token itself is
/// never stored nor shown again: only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Grant {
    /// Public id of the grant (not the token): use it to revoke.
    pub id: String,
    /// Who it is for.
    pub client: ClientIdentity,
    /// The application's name.
    pub app_name: String,
    /// What it allows.
    pub scopes: Vec<Scope>,
    /// When it was approved (RFC 3339).
    pub created_at: String,
    /// When the token stops working (RFC 3339).
    pub expires_at: String,
}

/// `GET /v1/grants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GrantList {
    /// Every grant not revoked (expired ones included, marked by `expires_at`).
    pub grants: Vec<Grant>,
}

/// `GET /v1/pairings` (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingPairingList {
    /// Requests not yet delivered nor expired.
    pub pairings: Vec<PendingPairing>,
}

/// Who did a sensitive action, as written in the audit log. Never a token, never a PIN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditActor {
    /// The `Origin` header, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// The OS account, for actions through the local socket (older lines had a numeric
    /// `uid` instead, ignored when read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<OsUser>,
    /// The grant id of the token used (not the token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// The card serial number, when the action concerns a card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_serial: Option<String>,
}

/// One line of the audit log (`audit.jsonl`, `GET /v1/audit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    /// Line number, from 1.
    pub seq: u64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What: `pairing_requested`, `pairing_approved`, `pairing_denied`, `grant_revoked`,
    /// `token_issued`, `refused`, `pin_verified`, `signed`, `lot_sent`, `replacement_session`...
    pub action: String,
    /// Who.
    pub actor: AuditActor,
    /// Structured facts (refusal code, method and path, scopes...).
    #[serde(default)]
    pub details: serde_json::Value,
    /// The previous line's `hash` (64 zeros on the first line): the chain.
    pub prev: String,
    /// Hex SHA-256 of this line's JSON without the `hash` field (which covers `prev`).
    pub hash: String,
}

/// `GET /v1/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Entries after the requested `after` sequence number, oldest first.
    pub entries: Vec<AuditEntry>,
}

/// Whether `origin` may pair: `https://host[:port]`, or `http://` on a loopback name (a
/// local development server). Never `null`, never a path or a trailing slash.
pub fn is_pairable_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let host = match rest.rsplit_once(':') {
        Some((h, p)) if !p.ends_with(']') => {
            if p.is_empty() || p.parse::<u16>().is_err() {
                return false;
            }
            h
        }
        _ => rest,
    };
    let host_chars_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    host_chars_ok && (scheme == "https" || (scheme == "http" && loopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_match_serde() {
        for s in Scope::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn identity_shape() {
        let local = ClientIdentity::Local {
            os_user: OsUser::unix(7),
        };
        let v = serde_json::to_value(&local).unwrap();
        assert_eq!(v, serde_json::json!({"kind": "local", "os_user": "uid=7"}));
        assert_eq!(local.to_string(), "local:uid=7");
    }

    #[test]
    fn auth_pairable_origins() {
        for ok in [
            "https://app.example",
            "https://app.example:8443",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(is_pairable_origin(ok), "{ok}");
        }
        for bad in [
            "null",
            "http://app.example",
            "https://app.example/",
            "https://app.example/path",
            "https://",
            "https://a b",
            "file://x",
            "https://app.example:",
        ] {
            assert!(!is_pairable_origin(bad), "{bad}");
        }
    }
}
