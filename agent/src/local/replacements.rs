//! `passerelle replacements list`: the replacement sessions and the assistants' grants,
//! through the local API.

use std::path::Path;

use passerelle_billing::replacement::state_in_french;
use passerelle_protocol::{
    Assistant, AssistantGrant, AssistantGrantList, ReplacementList, ReplacementSession,
};

use super::{show, LocalClient};

/// One line per session.
pub fn describe_session(s: &ReplacementSession) -> String {
    let who = match (
        s.substitute.last_name.as_str(),
        s.substitute.first_name.as_str(),
    ) {
        ("", _) => "(données purgées)".to_owned(),
        (last, first) => format!("{last} {first}"),
    };
    let closed = match (&s.closed_at, s.closed_because.as_deref()) {
        (Some(at), Some("early")) => format!(", fermée le {at}"),
        (Some(at), _) => format!(", terminée le {at}"),
        _ => String::new(),
    };
    format!(
        "remplacement {:>4}  {} {} ({}) remplacé par {} ({})  du {} au {}  {}{}{}",
        s.id,
        s.replaced.last_name,
        s.replaced.first_name,
        s.replaced.billing_number,
        who,
        s.substitute.billing_number,
        s.start,
        s.end,
        state_in_french(s.state),
        if s.one_time { ", ponctuel" } else { "" },
        closed
    )
}

/// One line per grant.
pub fn describe_grant(g: &AssistantGrant) -> String {
    let who = match &g.assistant {
        Assistant::Cpe {
            serial,
            last_name,
            first_name,
        } => format!("{last_name} {first_name} (CPE {serial})"),
        Assistant::Application { grant_id, name } => format!("{name} (application {grant_id})"),
    };
    format!(
        "assistant   {:>4}  {} pour {}  du {} au {}{}",
        g.id,
        who,
        g.practitioner,
        g.start,
        g.end,
        if g.revoked_at.is_some() {
            ", révoquée"
        } else {
            ""
        }
    )
}

/// `passerelle replacements list [--json]`
pub async fn list(data_dir: &Path, as_json: bool) -> Result<(), String> {
    let client = LocalClient::connect(data_dir).await?;
    let sessions: ReplacementList = client.get("/v1/replacements").await?;
    let grants: AssistantGrantList = client.get("/v1/assistants").await?;
    if as_json {
        let both = serde_json::json!({ "sessions": sessions.sessions, "grants": grants.grants });
        show(&both, true, |_| Vec::new(), "");
        return Ok(());
    }
    show(
        &sessions,
        false,
        |l| l.sessions.iter().map(describe_session).collect(),
        "Aucune session de remplacement.",
    );
    show(
        &grants,
        false,
        |l| l.grants.iter().map(describe_grant).collect(),
        "Aucun assistant habilité.",
    );
    Ok(())
}
