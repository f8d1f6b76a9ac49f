//! Service status.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Reader;

/// Where the readers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// Real readers through the system's PC/SC service (pcscd on Linux).
    Pcsc,
    /// Readers and cards simulated inside the daemon (demonstration).
    Simulated,
}

/// Whether the reader backend can be reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BackendState {
    /// Which backend.
    pub kind: BackendKind,
    /// `true` while the backend answers (pcscd running).
    pub available: bool,
    /// When unavailable: why, in French.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The answer of `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ServiceStatus {
    /// Daemon version (semver).
    pub version: String,
    /// API version ([`crate::API_VERSION`]).
    pub api_version: String,
    /// Reader backend and its state.
    pub backend: BackendState,
    /// Readers and their cards.
    pub readers: Vec<Reader>,
    /// Seconds since the daemon started.
    pub uptime_seconds: u64,
    /// Sequence number of the last event emitted (0 before any).
    pub last_event_id: u64,
}
