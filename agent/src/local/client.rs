//! `passerelle pair …`: the pairing routes, through the local API.

use std::path::Path;
use std::time::{Duration, Instant};

use passerelle_protocol::{
    Grant, GrantList, PairingCreated, PairingRequest, PairingState, PairingStatus, PendingPairing,
    PendingPairingList, Scope,
};

use super::{show, LocalClient};

/// `passerelle pair request`: asks, prints the code on stderr, waits for the decision and
/// prints the token alone on stdout.
pub async fn request(
    data_dir: &Path,
    app_name: String,
    scopes: Vec<Scope>,
    wait: Duration,
) -> Result<String, String> {
    let c = LocalClient::connect(data_dir).await?;
    let created: PairingCreated = c
        .post("/v1/pairings", Some(&PairingRequest { app_name, scopes }))
        .await?;
    eprintln!(
        "Code de jumelage : {}  (à approuver : passerelle pair approve {})",
        created.code, created.code
    );
    let deadline = Instant::now() + wait;
    loop {
        let state: PairingState = c.get(&created.poll).await?;
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

/// `passerelle pair list`
pub async fn list(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let pending: PendingPairingList = LocalClient::connect(data_dir)
        .await?
        .get("/v1/pairings")
        .await?;
    let lines = |l: &PendingPairingList| l.pairings.iter().map(describe_pending).collect();
    show(&pending, as_json, lines, "Aucune demande de jumelage.");
    Ok(())
}

/// `passerelle pair approve|deny CODE`
pub async fn decide(data_dir: &Path, code: String, approve: bool) -> Result<(), String> {
    let verb = if approve { "approve" } else { "deny" };
    let path = format!("/v1/pairings/{}/{verb}", percent_encode(&code));
    let p: PendingPairing = LocalClient::connect(data_dir)
        .await?
        .post(&path, None::<&()>)
        .await?;
    let verb = if approve { "Approuvé" } else { "Refusé" };
    println!("{verb} : {}", describe_pending(&p));
    Ok(())
}

/// `passerelle pair grants`
pub async fn grants(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let grants: GrantList = LocalClient::connect(data_dir)
        .await?
        .get("/v1/grants")
        .await?;
    let lines = |l: &GrantList| l.grants.iter().map(describe_grant).collect();
    show(&grants, as_json, lines, "Aucune application autorisée.");
    Ok(())
}

/// `passerelle pair revoke GRANT_ID`
pub async fn revoke(data_dir: &Path, grant_id: String) -> Result<(), String> {
    let path = format!("/v1/grants/{}", percent_encode(&grant_id));
    let g: Grant = LocalClient::connect(data_dir).await?.delete(&path).await?;
    println!("Révoqué : {}", describe_grant(&g));
    Ok(())
}

/// A path segment as typed on the command line, percent-encoded (anything but
/// unreserved characters), so the daemon sees exactly what was typed.
pub(crate) fn percent_encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
