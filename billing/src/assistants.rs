//! Assistants' grants: a practitioner lets an assistant (their CPE, or a paired application
//! acting for a named assistant) prepare FSE for one billing number from a first to a last
//! day. Prepared FSE are drafts the practitioner signs later (signature désynchronisée); an
//! assistant never signs nor sends (the daemon refuses those routes to them).

use passerelle_protocol::{Assistant, AssistantGrant, ErrorCode};
use rusqlite::Connection;
use time::Date;

use super::clock::{format_date, format_instant};
use super::error::BillingError;
use super::replacement::period;
use super::signer::SignerIdentity;
use super::Billing;
use crate::store::replacement_rows::{self as rows, assistant_key};

/// `assistant_grant_not_found`.
pub fn grant_not_found(id: i64) -> BillingError {
    BillingError::rule(
        ErrorCode::AssistantGrantNotFound,
        "id",
        format!("aucune habilitation d'assistant n'a l'identifiant {id}."),
    )
}

fn invalid(field: &str, message: impl Into<String>) -> BillingError {
    BillingError::rule(ErrorCode::InvalidReplacement, field, message)
}

/// Checks that `assistant` may prepare an FSE for `practitioner` on `today`: a grant of
/// theirs for that billing number, not revoked, covering today.
pub fn check_prepare(
    conn: &Connection,
    assistant: &Assistant,
    practitioner: &str,
    today: Date,
) -> Result<(), BillingError> {
    let key = assistant_key(assistant);
    let mine: Vec<AssistantGrant> = rows::grants(conn, Some(&key))?
        .into_iter()
        .filter(|g| g.practitioner == practitioner)
        .collect();
    if mine.is_empty() {
        return Err(BillingError::rule(
            ErrorCode::AssistantNotGranted,
            "practitioner.billing_number",
            format!(
                "aucune habilitation ne permet à cet assistant de préparer des feuilles pour le \
                 numéro {practitioner}."
            ),
        ));
    }
    let d = format_date(today);
    let valid = mine.iter().any(|g| {
        g.revoked_at.is_none() && g.start.as_str() <= d.as_str() && d.as_str() <= g.end.as_str()
    });
    if !valid {
        let g = &mine[0];
        return Err(BillingError::rule(
            ErrorCode::AssistantOutsideDates,
            "practitioner.billing_number",
            format!(
                "l'habilitation de cet assistant ne couvre pas le {d} (du {} au {}{}).",
                g.start,
                g.end,
                if g.revoked_at.is_some() {
                    ", révoquée"
                } else {
                    ""
                }
            ),
        ));
    }
    Ok(())
}

impl Billing {
    /// Grants `assistant` the right to prepare FSE for the situation `by` (the
    /// practitioner's card, PIN verified by the caller) from `start` to `end` included.
    pub fn grant_assistant(
        &self,
        by: &SignerIdentity,
        assistant: Assistant,
        start: &str,
        end: &str,
    ) -> Result<AssistantGrant, BillingError> {
        let (_, last) = period(start, end)?;
        if last < self.clock.today() {
            return Err(invalid("end", "le dernier jour est déjà passé."));
        }
        if let Assistant::Application { name, .. } = &assistant {
            let n = name.trim();
            if n.is_empty() || n.chars().count() > 64 || n.chars().any(char::is_control) {
                return Err(invalid(
                    "assistant.name",
                    "de 1 à 64 caractères imprimables.",
                ));
            }
        }
        let mut grant = AssistantGrant {
            id: 0,
            practitioner: by.billing_number.clone(),
            assistant,
            start: start.to_owned(),
            end: end.to_owned(),
            granted_at: format_instant(self.clock.now()),
            revoked_at: None,
        };
        self.store.write(|tx| {
            grant.id = rows::insert_grant(tx, &grant)?;
            Ok(grant)
        })
    }

    /// Every grant, newest first.
    pub fn assistant_grants(&self) -> Result<Vec<AssistantGrant>, BillingError> {
        self.store.read(|c| rows::grants(c, None))
    }

    /// Revokes grant `id`; only the practitioner it was granted by (`by`).
    pub fn revoke_assistant(
        &self,
        id: i64,
        by: &SignerIdentity,
    ) -> Result<AssistantGrant, BillingError> {
        let at = format_instant(self.clock.now());
        self.store.write(|tx| {
            let mut g = rows::grant(tx, id)?;
            if g.practitioner != by.billing_number {
                return Err(BillingError::rule(
                    ErrorCode::AssistantGrantNotYours,
                    "situation",
                    "seul le praticien qui a donné l'habilitation la révoque, avec sa carte.",
                ));
            }
            if g.revoked_at.is_none() {
                g.revoked_at = Some(at);
                rows::update_grant(tx, &g)?;
            }
            Ok(g)
        })
    }

    /// The assistant a paired application acts for (its grant id `grant_id`), if it was
    /// ever granted as one: every request of that application is then the assistant's.
    pub fn application_assistant(&self, grant_id: &str) -> Result<Option<Assistant>, BillingError> {
        let key = format!("app:{grant_id}");
        Ok(self
            .store
            .read(|c| rows::grants(c, Some(&key)))?
            .into_iter()
            .next()
            .map(|g| g.assistant))
    }

    /// Whether `assistant` has any grant at all (an application bound to an assistant is
    /// that assistant's for every request).
    pub fn is_assistant(&self, assistant: &Assistant) -> Result<bool, BillingError> {
        let key = assistant_key(assistant);
        Ok(!self.store.read(|c| rows::grants(c, Some(&key)))?.is_empty())
    }
}
