//! Daemon configuration: a TOML file, every key documented with its default.
//!
//! Found with `--config FILE`, else `$XDG_CONFIG_HOME/passerelle/config.toml` (through
//! `directories`) when it exists, else the embedded defaults: simulated readers and cards,
//! data in the user's data directory. Unknown keys and bad values are refused at start
//! with a message naming the key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The documented default configuration; `passerelle config` prints it. A test checks that
/// it parses to [`Config::default`].
pub const DOCUMENTED_DEFAULTS: &str = r#"# Passerelle configuration. Every key is optional; shown here with its default.

[server]
# TLS port of the API, bound on 127.0.0.1 and ::1 only (never on another address).
port = 39443
# Largest request body accepted, in bytes.
max_body_bytes = 65536
# Time limits of every TCP connection, in milliseconds. A request head (request line and
# headers) must arrive whole within header_read_timeout_ms of its first byte (and a new
# connection must finish its TLS handshake within it); its body within body_read_timeout_ms
# (else 408 request_timeout); a connection with no request for idle_timeout_ms (after the
# TLS handshake or its last answer) is closed; a request must be answered within
# request_timeout_ms (408 request_timeout; the PIN pad waits 30 s, a big batch of
# signatures takes longer). Event streams (GET /v1/events) are not cut by these.
header_read_timeout_ms = 10000
body_read_timeout_ms = 10000
idle_timeout_ms = 15000
request_timeout_ms = 300000
# Open TCP connections at most (lowered to what the open-file limit allows), and at most
# per OS user: one user's programs cannot take every connection. Beyond, a new connection
# is closed at once.
max_connections = 4096
max_connections_per_user = 2048
# Threads of the async runtime (0: one per core). Measured on 2 cores with wrk -c10 against
# nginx with 1 and 2 workers (README, « Tests and benchmarks »): one per core is kept.
worker_threads = 0

[readers]
# "simulated": readers and cards simulated inside the daemon (demonstration).
# "pcsc": real readers through the system's PC/SC service (pcscd).
backend = "simulated"
# How long one command to a card may take, in milliseconds. Past it the client gets
# card_timeout and GET /v1/readers shows the reader "unresponsive" until the card answers
# or is pulled out (a card that went mute).
apdu_timeout_ms = 5000
# How long one card operation (a read, a PIN verification, a signature: several commands)
# may take, in milliseconds, not counting the time the PIN is typed on a reader's pad.
job_timeout_ms = 30000

[simulator]
# Only with backend = "simulated": one reader per entry, with the card it holds at start
# ("" = empty reader). Cards: see `passerelle simcard --list`.
readers = ["vitale:martin-famille", "cps:durand-sage-femme", ""]
# Readers (by position in `readers`, from 0) that have a PIN pad: the PIN is then typed
# with POST /v1/simulator/pin-pad/{reader} (the simulator's stand-in for the keys).
# Unset: reader 1 when there are at least two readers, else none.
# pin_pad_readers = [1]
# Let POST /v1/simulator/clock move the billing clock forward (deadlines, the daily
# emission), for the demonstration and the tests. Builds with the simulator only.
movable_clock = false

[storage]
# Where the daemon keeps its data (TLS material in tls/). Empty: the user's data directory
# (~/.local/share/passerelle on Linux).
data_dir = ""

[events]
# How many past events the daemon keeps so a client can resume after a disconnect.
buffer = 1024

[security]
# How long a paired application's token works, in seconds (default 90 days). Pair again after.
token_lifetime_seconds = 7776000
# How long a pairing request waits for the practitioner's approval, in seconds.
pairing_timeout_seconds = 300
# Rate limit per token (per OS user, for calls without a token: an Origin can be made up,
# the OS user cannot): sustained requests per second, and the burst allowed above it.
# Refusals are written to the audit log at the same rate per OS user, then summed up.
rate_limit_per_second = 50
rate_limit_burst = 200
# OS users whose programs may call the API over TCP (the owner of the connecting socket,
# as the kernel knows it): "uid=1000" or "1000", a name ("alice"), "@group" (its
# members), "*" (anyone). Unset: the daemon's own user for a user install; the members of
# the group "passerelle" for a system install (data in /var/lib/passerelle). The superuser
# is always allowed. Anyone else is refused (403 os_user_not_allowed) before pairing.
# allowed_os_users = ["alice", "@passerelle"]
# Pairing requests waiting for the practitioner, at most, per OS user (the local command
# `passerelle pair request` has a reserve of its own on the local socket).
max_pending_pairings_per_user = 8
# Origins an administrator approves in advance ("https://app.example"): they pass the Origin
# check, and their pairing requests from an allowed OS user are approved without comparing
# the code, except for the "sign", "transmit" and "admin" scopes, which always need the
# practitioner's approval once. Empty: every application is approved by the practitioner.
preapproved_origins = []
# Ask for the PIN before every signature (the verification is used up by one signature),
# as Web eID does. false: a verified PIN serves the application that verified it until the
# card leaves the reader (never another application).
pin_per_signature = false
# Origins of the billing applications used in a browser on this workstation. The installer
# writes Chrome/Chromium's LoopbackNetworkAllowedForUrls policy for them (Local Network
# Access), and `passerelle doctor` checks that policy. They still have to pair.
app_origins = []

[transmission]
# "test": lots are sent as test lots (Content-Description IRISTEST/B2), which the organisms
# route apart; "production": real lots (IRIS/B2/Z). Mail settings are per practitioner
# situation: `passerelle mail set` or PUT /v1/mail/{practitioner}.
mode = "test"
# Daily emission at this Paris time ("HH:MM"; empty: none). Once an application with the
# "transmit" and "sign" scopes turns it on (PUT /v1/transmission/schedule), it builds the day's
# lots from the signed FSE, signs them with the CPS in a reader while that application's PIN
# verification holds (never a PIN from here), and sends them.
daily_at = ""
# The organism directory (TOML: regime, caisse, centre → mailbox, encryption certificate).
# Empty: {data_dir}/organisms.toml.
organisms_file = ""
# A private authority (PEM) trusted for the mail servers besides the system's roots (a
# practice's own mail server). Empty: the system's roots only.
ca_file = ""
# Warn (event stream, passerelle doctor) this many working days before a lot's send-by date.
deadline_warning_days = 1
# How often the practitioner's mailbox is read for returns (ARL, NOEMIE) when its IMAP
# server offers no IDLE, in seconds.
imap_poll_seconds = 60
# An FSE still unpaid this many days after its lot's positive ARL is overdue (reconciliation).
payment_overdue_days = 30

[attachments]
# The largest scanned attachment (SCOR: a PDF, or a JPEG, PNG or TIFF image made into one)
# accepted for an FSE, in bytes (at most 16 MiB).
max_bytes = 4194304

[audit]
# The audit log (audit.jsonl) is closed and renamed audit-000001.jsonl, audit-000002.jsonl...
# once it reaches this size in bytes; the hash chain goes on in the new file and
# `passerelle audit verify` checks the whole set. Rotated files are kept.
rotate_bytes = 10485760

[log]
# Level: error, warn, info, debug, trace (or a tracing filter such as "passerelle=debug").
level = "info"
# "human" (coloured on a terminal) or "json".
format = "human"
# Also write logs to this file (empty: stderr only).
file = ""
# Also send logs to journald (Linux with systemd).
journald = false
"#;

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `[server]`
    pub server: ServerConfig,
    /// `[readers]`
    pub readers: ReadersConfig,
    /// `[simulator]`
    pub simulator: SimulatorConfig,
    /// `[storage]`
    pub storage: StorageConfig,
    /// `[events]`
    pub events: EventsConfig,
    /// `[security]`
    pub security: SecurityConfig,
    /// `[transmission]`
    pub transmission: TransmissionConfig,
    /// `[attachments]`
    pub attachments: AttachmentsConfig,
    /// `[audit]`
    pub audit: AuditConfig,
    /// `[log]`
    pub log: LogConfig,
}

/// Whether lots go out as test lots or real ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransmissionMode {
    /// Test lots (`IRISTEST/B2`).
    #[default]
    Test,
    /// Real lots (`IRIS/B2/Z`).
    Production,
}

/// `[transmission]`: sending the lots.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransmissionConfig {
    /// Test or production lots.
    pub mode: TransmissionMode,
    /// Daily emission time, Paris `HH:MM`; empty: none.
    pub daily_at: String,
    /// The organism directory; empty: `{data_dir}/organisms.toml`.
    pub organisms_file: PathBuf,
    /// A private authority for the mail servers; empty: none.
    pub ca_file: PathBuf,
    /// Working days of warning before a lot's send-by date.
    pub deadline_warning_days: u32,
    /// Seconds between two reads of a mailbox without IDLE.
    pub imap_poll_seconds: u64,
    /// Days after a positive ARL from which an unpaid FSE is overdue.
    pub payment_overdue_days: u32,
}

impl Default for TransmissionConfig {
    fn default() -> Self {
        TransmissionConfig {
            mode: TransmissionMode::Test,
            daily_at: String::new(),
            organisms_file: PathBuf::new(),
            ca_file: PathBuf::new(),
            deadline_warning_days: 1,
            imap_poll_seconds: 60,
            payment_overdue_days: 30,
        }
    }
}

/// `[attachments]`: scanned attachments (SCOR).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// Largest attachment accepted, in bytes.
    pub max_bytes: usize,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        AttachmentsConfig {
            max_bytes: 4 * 1024 * 1024,
        }
    }
}

/// `[audit]`: the audit log on disk.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// Size in bytes at which `audit.jsonl` is rotated.
    pub rotate_bytes: u64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            rotate_bytes: 10 * 1024 * 1024,
        }
    }
}

impl TransmissionConfig {
    /// The daily emission time as (hour, minute), if one is set and well formed.
    pub fn daily_time(&self) -> Option<(u8, u8)> {
        let (h, m) = self.daily_at.split_once(':')?;
        let (h, m): (u8, u8) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && self.daily_at.len() == 5).then_some((h, m))
    }
}

/// `[security]`: pairing, tokens, rate limit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Token lifetime from approval, in seconds.
    pub token_lifetime_seconds: u64,
    /// How long a pairing request waits for approval, in seconds.
    pub pairing_timeout_seconds: u64,
    /// Sustained requests per second per token (or per client without token).
    pub rate_limit_per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub rate_limit_burst: u32,
    /// OS users allowed to call over TCP (unset: see the documented defaults).
    pub allowed_os_users: Option<Vec<String>>,
    /// Pending pairing requests at most per OS user.
    pub max_pending_pairings_per_user: usize,
    /// Origins approved in advance by an administrator.
    pub preapproved_origins: Vec<String>,
    /// The PIN is asked again before each signature.
    pub pin_per_signature: bool,
    /// Origins of the browser billing applications of this workstation (LNA policy).
    pub app_origins: Vec<String>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            token_lifetime_seconds: 90 * 24 * 3600,
            pairing_timeout_seconds: 300,
            rate_limit_per_second: 50,
            rate_limit_burst: 200,
            allowed_os_users: None,
            max_pending_pairings_per_user: 8,
            preapproved_origins: Vec::new(),
            pin_per_signature: false,
            app_origins: Vec::new(),
        }
    }
}

/// `[server]`: the API listener.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// TLS port on 127.0.0.1 and ::1.
    pub port: u16,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// A request head (and a TLS handshake) within this, in milliseconds.
    pub header_read_timeout_ms: u64,
    /// A request body within this, in milliseconds.
    pub body_read_timeout_ms: u64,
    /// A connection without a request is closed after this, in milliseconds.
    pub idle_timeout_ms: u64,
    /// A request is answered within this, in milliseconds.
    pub request_timeout_ms: u64,
    /// Open TCP connections at most.
    pub max_connections: usize,
    /// Open TCP connections at most per OS user.
    pub max_connections_per_user: usize,
    /// Threads of the async runtime; 0: one per core.
    pub worker_threads: usize,
}

/// Which reader backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackendChoice {
    /// In-process simulated readers and cards.
    Simulated,
    /// Real readers through PC/SC.
    Pcsc,
}

/// `[readers]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadersConfig {
    /// Which backend.
    pub backend: BackendChoice,
    /// Deadline of one command to a card, in milliseconds.
    pub apdu_timeout_ms: u64,
    /// Deadline of one card operation, in milliseconds (PIN pad entry not counted).
    pub job_timeout_ms: u64,
}

impl ReadersConfig {
    /// The deadline of one command to a card.
    pub fn apdu_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.apdu_timeout_ms)
    }

    /// The deadline of one card operation.
    pub fn job_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.job_timeout_ms)
    }
}

/// `[simulator]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulatorConfig {
    /// One simulated reader per entry, with the card spec it holds at start ("" = empty).
    pub readers: Vec<String>,
    /// Positions in `readers` of the readers with a PIN pad; unset: see
    /// [`SimulatorConfig::pin_pads`].
    pub pin_pad_readers: Option<Vec<usize>>,
    /// Whether `POST /v1/simulator/clock` may move the billing clock.
    pub movable_clock: bool,
}

impl SimulatorConfig {
    /// The readers with a PIN pad: as configured, else reader 1 when there are two
    /// readers or more (the CPS reader of the default set).
    pub fn pin_pads(&self) -> Vec<usize> {
        match &self.pin_pad_readers {
            Some(list) => list.clone(),
            None if self.readers.len() >= 2 => vec![1],
            None => Vec::new(),
        }
    }
}

/// `[storage]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Data directory; empty means the user's data directory.
    pub data_dir: PathBuf,
}

/// `[events]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EventsConfig {
    /// Number of past events kept for resuming clients.
    pub buffer: usize,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Human,
    /// One JSON object per line.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Level or tracing filter.
    pub level: String,
    /// Output format.
    pub format: LogFormat,
    /// Log file; empty: none.
    pub file: PathBuf,
    /// Also log to journald.
    pub journald: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            port: 39443,
            max_body_bytes: 64 * 1024,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 10_000,
            idle_timeout_ms: 15_000,
            request_timeout_ms: 300_000,
            max_connections: 4096,
            max_connections_per_user: 2048,
            worker_threads: 0,
        }
    }
}

impl Default for ReadersConfig {
    fn default() -> Self {
        ReadersConfig {
            backend: BackendChoice::Simulated,
            apdu_timeout_ms: 5_000,
            job_timeout_ms: 30_000,
        }
    }
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            readers: vec![
                "vitale:martin-famille".into(),
                "cps:durand-sage-femme".into(),
                String::new(),
            ],
            pin_pad_readers: None,
            movable_clock: false,
        }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            data_dir: PathBuf::new(),
        }
    }
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig { buffer: 1024 }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Human,
            file: PathBuf::new(),
            journald: false,
        }
    }
}

/// A configuration that cannot be used; the message names the file and the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("impossible de lire la configuration {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is invalid, or a key is unknown or has a bad value.
    #[error("configuration {path} invalide : {message}")]
    Invalid {
        /// The file (or `<défaut>`).
        path: PathBuf,
        /// The parser's message, which names the key and shows the line.
        message: String,
    },
}

impl Config {
    /// Parses a configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &Path) -> Result<Config, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: origin.to_owned(),
            message,
        };
        let config: Config = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        config.validate().map_err(invalid)?;
        Ok(config)
    }

    /// Loads `explicit` if given, else the user's config file if it exists, else defaults.
    pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
        let path = match explicit {
            Some(p) => Some(p.to_owned()),
            None => project_dirs()
                .map(|d| d.config_dir().join("config.toml"))
                .filter(|p| p.exists()),
        };
        match path {
            None => Ok((Config::default(), None)),
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                Ok((Config::parse(&text, &path)?, Some(path)))
            }
        }
    }

    /// Checks values serde cannot check; the message names the key.
    fn validate(&self) -> Result<(), String> {
        if self.server.port == 0 {
            return Err("server.port : le port doit être compris entre 1 et 65535".into());
        }
        if self.server.max_body_bytes < 1024 {
            return Err("server.max_body_bytes : au moins 1024 octets".into());
        }
        let readers = &self.readers;
        if !(100..=600_000).contains(&readers.apdu_timeout_ms) {
            return Err("readers.apdu_timeout_ms : de 100 ms à 10 minutes".into());
        }
        if !(readers.apdu_timeout_ms..=3_600_000).contains(&readers.job_timeout_ms) {
            return Err(
                "readers.job_timeout_ms : au moins readers.apdu_timeout_ms, au plus une heure"
                    .into(),
            );
        }
        let srv = &self.server;
        let timeouts = [
            ("header_read_timeout_ms", srv.header_read_timeout_ms),
            ("body_read_timeout_ms", srv.body_read_timeout_ms),
            ("idle_timeout_ms", srv.idle_timeout_ms),
            ("request_timeout_ms", srv.request_timeout_ms),
        ];
        for (key, ms) in timeouts {
            if !(100..=3_600_000).contains(&ms) {
                return Err(format!("server.{key} : de 100 ms à 1 heure"));
            }
        }
        if srv.max_connections == 0 || srv.max_connections_per_user == 0 {
            return Err("server.max_connections et max_connections_per_user : au moins 1".into());
        }
        if srv.worker_threads > 256 {
            return Err("server.worker_threads : 256 au plus (0 : un par cœur)".into());
        }
        if !(64 * 1024..=16 * 1024 * 1024).contains(&self.attachments.max_bytes) {
            return Err("attachments.max_bytes : de 64 Kio à 16 Mio".into());
        }
        if self.audit.rotate_bytes < 4096 {
            return Err("audit.rotate_bytes : au moins 4096 octets".into());
        }
        if self.security.max_pending_pairings_per_user == 0 {
            return Err("security.max_pending_pairings_per_user : au moins 1".into());
        }
        if self.events.buffer == 0 {
            return Err("events.buffer : au moins 1 événement".into());
        }
        if let Some(i) = self
            .simulator
            .pin_pads()
            .iter()
            .find(|&&i| i >= self.simulator.readers.len())
        {
            return Err(format!(
                "simulator.pin_pad_readers : il n'y a pas de lecteur n° {i} (de 0 à {})",
                self.simulator.readers.len().saturating_sub(1)
            ));
        }
        if self.simulator.readers.len() > 16 {
            return Err("simulator.readers : 16 lecteurs au plus".into());
        }
        let sec = &self.security;
        if sec.token_lifetime_seconds == 0 || sec.token_lifetime_seconds > 400 * 24 * 3600 {
            return Err("security.token_lifetime_seconds : de 1 s à 400 jours".into());
        }
        if !(10..=3600).contains(&sec.pairing_timeout_seconds) {
            return Err("security.pairing_timeout_seconds : de 10 à 3600 secondes".into());
        }
        if sec.rate_limit_per_second == 0 || sec.rate_limit_burst == 0 {
            return Err("security.rate_limit_per_second et rate_limit_burst : au moins 1".into());
        }
        let origins = [
            ("preapproved_origins", &sec.preapproved_origins),
            ("app_origins", &sec.app_origins),
        ];
        for (key, list) in origins {
            for (i, origin) in list.iter().enumerate() {
                if !passerelle_protocol::security::is_pairable_origin(origin) {
                    return Err(format!(
                        "security.{key}[{i}] : « {origin} » n'est pas une origine \
                         (https://hôte[:port], sans chemin ni barre finale)"
                    ));
                }
            }
        }
        let t = &self.transmission;
        if !t.daily_at.is_empty() && t.daily_time().is_none() {
            return Err(format!(
                "transmission.daily_at : « {} » n'est pas une heure HH:MM",
                t.daily_at
            ));
        }
        if !(5..=3600).contains(&t.imap_poll_seconds) {
            return Err("transmission.imap_poll_seconds : de 5 à 3600 secondes".into());
        }
        if t.payment_overdue_days > 365 {
            return Err("transmission.payment_overdue_days : de 0 à 365 jours".into());
        }
        if t.deadline_warning_days > 8 {
            return Err("transmission.deadline_warning_days : de 0 à 8 jours ouvrés".into());
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            return Err(format!(
                "log.level : niveau invalide « {} » ({e})",
                self.log.level
            ));
        }
        Ok(())
    }

    /// Checks the card of every simulated reader with `known` (the simulator's own check:
    /// this crate does not hold the simulated cards); `origin` names the file in the error.
    pub fn check_simulated_cards(
        &self,
        origin: &Path,
        known: impl Fn(&str) -> bool,
    ) -> Result<(), ConfigError> {
        for (i, spec) in self.simulator.readers.iter().enumerate() {
            if !spec.is_empty() && !known(spec) {
                return Err(ConfigError::Invalid {
                    path: origin.to_owned(),
                    message: format!(
                        "simulator.readers[{i}] : carte simulée inconnue « {spec} » (voir `passerelle simcard --list`)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The organism directory file: configured, or `{data_dir}/organisms.toml`.
    pub fn organisms_file(&self) -> PathBuf {
        match self.transmission.organisms_file.as_os_str().is_empty() {
            true => self.data_dir().join("organisms.toml"),
            false => self.transmission.organisms_file.clone(),
        }
    }

    /// The data directory to use: configured, or the user's data directory.
    pub fn data_dir(&self) -> PathBuf {
        if !self.storage.data_dir.as_os_str().is_empty() {
            return self.storage.data_dir.clone();
        }
        project_dirs()
            .map(|d| d.data_dir().to_owned())
            .unwrap_or_else(|| PathBuf::from("passerelle-data"))
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("fr", "Passerelle", "passerelle")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_are_the_defaults() {
        let parsed = Config::parse(DOCUMENTED_DEFAULTS, Path::new("doc")).unwrap();
        assert_eq!(parsed, Config::default());
    }

    #[test]
    fn empty_file_is_defaults() {
        assert_eq!(
            Config::parse("", Path::new("x")).unwrap(),
            Config::default()
        );
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::parse("[server]\nprot = 1\n", Path::new("c.toml")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("prot"), "{msg}");
        assert!(msg.contains("c.toml"), "{msg}");
    }

    #[test]
    fn bad_value_is_named() {
        let err = Config::parse("[server]\nport = \"abc\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("port"), "{err}");
        let err = Config::parse("[server]\nport = 0\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("server.port"), "{err}");
        let err = Config::parse("[readers]\nbackend = \"usb\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.to_string().contains("backend"), "{err}");
        let unknown = Config::parse(
            "[simulator]\nreaders = [\"vitale:personne\"]\n",
            Path::new("c"),
        )
        .unwrap();
        let err = unknown
            .check_simulated_cards(Path::new("c"), |spec| spec != "vitale:personne")
            .unwrap_err();
        assert!(err.to_string().contains("simulator.readers[0]"), "{err}");
        let one = Config::parse("[simulator]\nreaders = [\"\"]\n", Path::new("c")).unwrap();
        assert!(
            one.simulator.pin_pads().is_empty(),
            "no pad by default on one reader"
        );
        let err = Config::parse(
            "[simulator]\nreaders = [\"\"]\npin_pad_readers = [3]\n",
            Path::new("c"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("pin_pad_readers"), "{err}");
        let err = Config::parse(
            "[security]\npreapproved_origins = [\"https://a.example/\"]\n",
            Path::new("c"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("preapproved_origins[0]"), "{err}");
        let err =
            Config::parse("[security]\ntoken_lifetime_seconds = 0\n", Path::new("c")).unwrap_err();
        assert!(err.to_string().contains("token_lifetime_seconds"), "{err}");
        let err =
            Config::parse("[transmission]\ndaily_at = \"25:00\"\n", Path::new("c")).unwrap_err();
        assert!(err.to_string().contains("transmission.daily_at"), "{err}");
        let ok = Config::parse("[transmission]\ndaily_at = \"18:30\"\n", Path::new("c")).unwrap();
        assert_eq!(ok.transmission.daily_time(), Some((18, 30)));
        let err = Config::parse("[readers]\napdu_timeout_ms = 10\n", Path::new("c")).unwrap_err();
        assert!(err.to_string().contains("readers.apdu_timeout_ms"), "{err}");
        let err = Config::parse(
            "[readers]\napdu_timeout_ms = 2000\njob_timeout_ms = 1000\n",
            Path::new("c"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("readers.job_timeout_ms"), "{err}");
        let err = Config::parse("[log]\nlevel = \"bavard[\"\n", Path::new("c")).unwrap_err();
        assert!(err.to_string().contains("log.level"), "{err}");
    }
}
