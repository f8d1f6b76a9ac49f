//! `passerelle lots send`, `passerelle lots outbox` and `passerelle mail set|list`: the
//! transmission routes through the local API.

use std::path::Path;

use passerelle_protocol::{
    AttemptState, MailSettings, MailSettingsInput, MailSettingsList, OutboxAttempt, OutboxList,
    SendLotsRequest, SendLotsResponse,
};

use super::client::percent_encode;
use super::{show, LocalClient};

/// `passerelle lots send [--lot ID] [--practitioner N]`
pub async fn send(
    data_dir: &Path,
    lot: Option<i64>,
    practitioner: Option<String>,
    as_json: bool,
) -> Result<(), String> {
    let client = LocalClient::connect(data_dir).await?;
    let attempts = match lot {
        Some(id) => {
            let a: OutboxAttempt = client
                .post(&format!("/v1/lots/{id}/send"), None::<&()>)
                .await?;
            vec![a]
        }
        None => {
            let body = SendLotsRequest { practitioner };
            let r: SendLotsResponse = client.post("/v1/lots/send", Some(&body)).await?;
            r.attempts
        }
    };
    let list = OutboxList { attempts };
    let lines = |l: &OutboxList| l.attempts.iter().map(describe).collect();
    show(&list, as_json, lines, "Aucun lot à envoyer.");
    Ok(())
}

/// `passerelle lots outbox [--limit N]`
pub async fn list(data_dir: &Path, limit: u32, as_json: bool) -> Result<(), String> {
    let outbox: OutboxList = LocalClient::connect(data_dir)
        .await?
        .get(&format!("/v1/outbox?limit={limit}"))
        .await?;
    let lines = |l: &OutboxList| l.attempts.iter().map(describe).collect();
    show(&outbox, as_json, lines, "La boîte d'envoi est vide.");
    Ok(())
}

/// `passerelle mail set ...`
pub async fn mail_set(
    data_dir: &Path,
    practitioner: &str,
    input: &MailSettingsInput,
) -> Result<(), String> {
    let path = format!("/v1/mail/{}", percent_encode(practitioner));
    let stored: MailSettings = LocalClient::connect(data_dir)
        .await?
        .put(&path, Some(input))
        .await?;
    println!("Enregistré : {}", describe_settings(&stored));
    Ok(())
}

/// `passerelle mail list`
pub async fn mail_list(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let list: MailSettingsList = LocalClient::connect(data_dir)
        .await?
        .get("/v1/mail")
        .await?;
    let lines = |l: &MailSettingsList| l.settings.iter().map(describe_settings).collect();
    show(&list, as_json, lines, "Aucune messagerie réglée.");
    Ok(())
}

fn describe(a: &OutboxAttempt) -> String {
    let state = match a.state {
        AttemptState::Queued if a.tries > 0 => "en attente d'un nouvel essai",
        AttemptState::Queued => "en attente",
        AttemptState::Sending => "en cours d'envoi",
        AttemptState::Sent => "envoyé",
        AttemptState::Failed => "en échec, à reprendre",
        AttemptState::Cancelled => "annulé",
    };
    let lot = match a.kind {
        passerelle_protocol::LotKind::Fse => "lot",
        passerelle_protocol::LotKind::Pj => "lot PJ",
    };
    let mut line = format!(
        "envoi {}  {lot} {} (id {}) essai n° {}  praticien {}  {state}",
        a.id, a.lot_number, a.lot_id, a.attempt, a.practitioner
    );
    if let Some(to) = &a.recipient {
        line.push_str(&format!("  → {to}"));
    }
    if let (AttemptState::Queued, Some(next)) = (a.state, &a.next_try) {
        if a.tries > 0 {
            line.push_str(&format!("  prochain essai {next}"));
        }
    }
    if let Some(e) = &a.last_error {
        line.push_str(&format!("  — {e}"));
    }
    line
}

fn describe_settings(s: &MailSettings) -> String {
    let imap = s
        .imap
        .as_ref()
        .map(|i| format!("  IMAP {}:{}", i.host, i.port))
        .unwrap_or_default();
    let oct = s
        .oct
        .as_ref()
        .map(|o| format!("  OCT {}", o.address))
        .unwrap_or_default();
    let password = if s.password_set {
        "mot de passe enregistré"
    } else {
        "AUCUN mot de passe"
    };
    format!(
        "praticien {}  {}  SMTP {}:{}{imap}{oct}  ({password})",
        s.practitioner, s.from, s.smtp.host, s.smtp.port
    )
}
