//! The client side of the Unix socket: what `passerelle pair ...` runs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use passerelle_protocol::{
    Grant, GrantList, PairingCreated, PairingState, PairingStatus, PendingPairing,
    PendingPairingList, Scope,
};
use serde::de::DeserializeOwned;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;

use super::{LocalRequest, LocalResponse};

/// A connection to the daemon's socket.
pub struct LocalClient {
    stream: BufReader<UnixStream>,
    path: PathBuf,
}

impl LocalClient {
    /// Connects to `{data_dir}/passerelle.sock`.
    pub async fn connect(data_dir: &Path) -> Result<LocalClient, String> {
        let path = super::socket_path(data_dir);
        let stream = UnixStream::connect(&path).await.map_err(|e| {
            format!(
                "impossible de joindre le démon sur {} ({e}) : est-il lancé avec ce dossier de données ?",
                path.display()
            )
        })?;
        Ok(LocalClient {
            stream: BufReader::new(stream),
            path,
        })
    }

    /// Sends one request; the `ok` value as `T`, or the daemon's French message.
    pub async fn call<T: DeserializeOwned>(&mut self, req: &LocalRequest) -> Result<T, String> {
        let mut line = serde_json::to_string(req).map_err(|e| e.to_string())?;
        line.push('\n');
        let io = |e: std::io::Error| format!("{} : {e}", self.path.display());
        self.stream
            .get_mut()
            .write_all(line.as_bytes())
            .await
            .map_err(io)?;
        let mut answer = String::new();
        self.stream.read_line(&mut answer).await.map_err(io)?;
        match serde_json::from_str::<LocalResponse>(&answer) {
            Ok(LocalResponse::Ok(v)) => serde_json::from_value(v).map_err(|e| e.to_string()),
            Ok(LocalResponse::Error(e)) => Err(format!("{} ({})", e.message, e.code.as_str())),
            Err(e) => Err(format!("réponse illisible du démon ({e}) : {answer:?}")),
        }
    }
}

/// `passerelle pair request`: asks, prints the code on stderr, waits for the decision and
/// prints the token alone on stdout.
pub async fn request(
    data_dir: &Path,
    app_name: String,
    scopes: Vec<Scope>,
    wait: Duration,
) -> Result<String, String> {
    let mut c = LocalClient::connect(data_dir).await?;
    let created: PairingCreated = c
        .call(&LocalRequest::PairRequest { app_name, scopes })
        .await?;
    eprintln!(
        "Code de jumelage : {}  (à approuver : passerelle pair approve {})",
        created.code, created.code
    );
    let deadline = Instant::now() + wait;
    loop {
        let state: PairingState = c
            .call(&LocalRequest::PairPoll {
                pairing_id: created.pairing_id.clone(),
            })
            .await?;
        match (state.status, state.token) {
            (PairingStatus::Approved, Some(token)) => {
                if let Some(g) = state.grant {
                    eprintln!("Approuvé : autorisation {} jusqu'au {}", g.id, g.expires_at);
                }
                return Ok(token);
            }
            (PairingStatus::Denied, _) => return Err("jumelage refusé".into()),
            (PairingStatus::Pending, _) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            (PairingStatus::Pending, _) => return Err("pas de décision à temps".into()),
            (status, _) => return Err(format!("état inattendu : {status:?}")),
        }
    }
}

/// Asks `req` and prints the answer: JSON, or one line per item (`empty` when none).
pub(super) async fn show<T: serde::Serialize + DeserializeOwned>(
    data_dir: &Path,
    req: LocalRequest,
    as_json: bool,
    lines: impl Fn(&T) -> Vec<String>,
    empty: &str,
) -> Result<(), String> {
    let answer: T = LocalClient::connect(data_dir).await?.call(&req).await?;
    if as_json {
        let text = serde_json::to_string_pretty(&answer).unwrap_or_default();
        println!("{text}");
        return Ok(());
    }
    let lines = lines(&answer);
    if lines.is_empty() {
        println!("{empty}");
    }
    for line in lines {
        println!("{line}");
    }
    Ok(())
}

/// `passerelle pair list`
pub async fn list(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let lines = |l: &PendingPairingList| l.pairings.iter().map(describe_pending).collect();
    let empty = "Aucune demande de jumelage.";
    show(data_dir, LocalRequest::PairList, as_json, lines, empty).await
}

/// `passerelle pair approve|deny CODE`
pub async fn decide(data_dir: &Path, code: String, approve: bool) -> Result<(), String> {
    let req = if approve {
        LocalRequest::PairApprove { code }
    } else {
        LocalRequest::PairDeny { code }
    };
    let p: PendingPairing = LocalClient::connect(data_dir).await?.call(&req).await?;
    let verb = if approve { "Approuvé" } else { "Refusé" };
    println!("{verb} : {}", describe_pending(&p));
    Ok(())
}

/// `passerelle pair grants`
pub async fn grants(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let lines = |l: &GrantList| l.grants.iter().map(describe_grant).collect();
    let empty = "Aucune application autorisée.";
    show(data_dir, LocalRequest::Grants, as_json, lines, empty).await
}

/// `passerelle pair revoke GRANT_ID`
pub async fn revoke(data_dir: &Path, grant_id: String) -> Result<(), String> {
    let g: Grant = LocalClient::connect(data_dir)
        .await?
        .call(&LocalRequest::Revoke { grant_id })
        .await?;
    println!("Révoqué : {}", describe_grant(&g));
    Ok(())
}

fn scope_list(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn describe_pending(p: &PendingPairing) -> String {
    format!(
        "{}  {:?}  {}  « {} »  [{}]  demandé {}",
        p.code,
        p.status,
        p.client,
        p.app_name,
        scope_list(&p.scopes),
        p.requested_at
    )
}

fn describe_grant(g: &Grant) -> String {
    format!(
        "{}  {}  « {} »  [{}]  jusqu'au {}",
        g.id,
        g.client,
        g.app_name,
        scope_list(&g.scopes),
        g.expires_at
    )
}
