//! The Unix socket: the local administration channel (the `passerelle pair` commands) and
//! how local programs pair, identified by their OS user through peer credentials.
//!
//! `{data_dir}/passerelle.sock`, mode 0600. Only the daemon's own user (the socket's owner)
//! and root are served; anyone else is refused and audited. One JSON [`LocalRequest`] per
//! line, one [`LocalResponse`] per line, several per connection.
//!
//! Trust model: a process running as the daemon's user can already read and write the
//! data directory, so the socket gives it nothing more: it may both ask to pair and approve.

pub mod admin;
pub mod client;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use passerelle_protocol::{
    AuditActor, ClientIdentity, ErrorBody, ErrorCode, GrantList, LotList, PairingRequest,
    PendingPairingList, Scope,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use crate::api::AppState;
use crate::audit::{self, action};
use crate::pairing::PairingError;

/// File name of the socket inside the data directory.
pub const SOCKET_NAME: &str = "passerelle.sock";

/// Longest request line accepted.
const MAX_LINE: u64 = 64 * 1024;

/// A request on the socket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum LocalRequest {
    /// A local program asks to pair (identity: its OS user).
    PairRequest {
        /// Name shown to the practitioner.
        app_name: String,
        /// Scopes asked for.
        scopes: Vec<Scope>,
    },
    /// The state of that request; the token comes once, after approval.
    PairPoll {
        /// The pairing id returned by `pair_request`.
        pairing_id: String,
    },
    /// Pairing requests still known.
    PairList,
    /// Approve the waiting request with this code.
    PairApprove {
        /// The code.
        code: String,
    },
    /// Deny the waiting request with this code.
    PairDeny {
        /// The code.
        code: String,
    },
    /// Every grant.
    Grants,
    /// Revoke a grant.
    Revoke {
        /// The grant id.
        grant_id: String,
    },
    /// The daemon's state, as `GET /v1/status` answers it.
    Status,
    /// The lots, as `GET /v1/lots` answers them (optionally one practitioner's).
    Lots {
        /// A practitioner's billing number.
        #[serde(default)]
        practitioner: Option<String>,
    },
}

/// The answer: `{"ok": ...}` or `{"error": {code, message}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalResponse {
    /// Success, with the same JSON the HTTP route would answer.
    Ok(serde_json::Value),
    /// Refusal.
    Error(ErrorBody),
}

/// Where the socket of `data_dir` is.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// Binds the socket (removing a stale one; refusing if a live daemon answers on it) and
/// restricts it to 0600. Returns the listener and the uid allowed besides root.
pub fn bind(data_dir: &Path) -> std::io::Result<(UnixListener, u32)> {
    let path = socket_path(data_dir);
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(&path).is_ok() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                format!(
                    "{} : un autre démon Passerelle utilise ce dossier",
                    path.display()
                ),
            ));
        }
        std::fs::remove_file(&path)?;
    }
    let listener = UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let owner = std::fs::metadata(&path)?.uid();
    Ok((listener, owner))
}

/// Serves the socket until the task is dropped.
pub async fn serve(listener: UnixListener, owner: u32, state: AppState) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let state = state.clone();
                tokio::spawn(async move {
                    if let Err(e) = connection(stream, owner, state).await {
                        tracing::debug!(error = %e, "local socket connection ended");
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "local socket accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn connection(stream: UnixStream, owner: u32, state: AppState) -> std::io::Result<()> {
    let uid = stream.peer_cred()?.uid();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    loop {
        let mut line = String::new();
        let n = tokio::time::timeout(
            Duration::from_secs(600),
            (&mut lines).take(MAX_LINE).read_line(&mut line),
        )
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "idle"))??;
        if n == 0 {
            return Ok(());
        }
        // Answered after reading the request, so the client reads the refusal rather than
        // a broken pipe.
        if uid != owner && uid != 0 {
            let actor = AuditActor {
                uid: Some(uid),
                ..Default::default()
            };
            let details = json!({"code": "unauthorized", "channel": "unix_socket"});
            audit::record(action::REFUSED, actor, details);
            let message = "Utilisateur non autorisé sur ce socket.";
            return send(&mut write, &error(ErrorCode::Unauthorized, message)).await;
        }
        let response = match serde_json::from_str::<LocalRequest>(&line) {
            Ok(req) => handle(req, uid, &state).await,
            Err(e) => error(ErrorCode::InvalidJson, &format!("Requête illisible : {e}")),
        };
        send(&mut write, &response).await?;
    }
}

async fn send(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    r: &LocalResponse,
) -> std::io::Result<()> {
    let mut line = serde_json::to_string(r).map_err(std::io::Error::other)?;
    line.push('\n');
    write.write_all(line.as_bytes()).await
}

fn error(code: ErrorCode, message: &str) -> LocalResponse {
    LocalResponse::Error(ErrorBody {
        code,
        message: message.to_owned(),
        details: None,
    })
}

async fn handle(req: LocalRequest, uid: u32, state: &AppState) -> LocalResponse {
    let pairings = &state.pairings;
    let me = ClientIdentity::Local { uid };
    let by = AuditActor {
        uid: Some(uid),
        ..Default::default()
    };
    let result: Result<serde_json::Value, PairingError> = match req {
        LocalRequest::PairRequest { app_name, scopes } => pairings
            .request(me, PairingRequest { app_name, scopes })
            .map(|c| json!(c)),
        LocalRequest::PairPoll { pairing_id } => pairings.poll(&pairing_id, &me).map(|s| json!(s)),
        LocalRequest::PairList => Ok(json!(PendingPairingList {
            pairings: pairings.pending()
        })),
        LocalRequest::PairApprove { code } => pairings.decide(&code, true, by).map(|p| json!(p)),
        LocalRequest::PairDeny { code } => pairings.decide(&code, false, by).map(|p| json!(p)),
        LocalRequest::Grants => Ok(json!(GrantList {
            grants: pairings.grants()
        })),
        LocalRequest::Revoke { grant_id } => pairings.revoke(&grant_id, by).map(|g| json!(g)),
        LocalRequest::Status => Ok(json!(crate::api::handlers::service_status(state))),
        LocalRequest::Lots { practitioner } => {
            let lots =
                crate::api::billing_blocking(state, move |b| b.lots(practitioner.as_deref()));
            return match lots.await {
                Ok(lots) => LocalResponse::Ok(json!(LotList { lots })),
                Err(failure) => LocalResponse::Error(failure.0.error),
            };
        }
    };
    match result {
        Ok(v) => LocalResponse::Ok(v),
        Err(e) => LocalResponse::Error(crate::api::ApiFailure::from(e).0.error),
    }
}
