//! Replacement sessions: the replaced practitioner opens one (their CPS signs the opening),
//! the substitute bills in it within its period under the replaced practitioner's billing
//! identity, it closes early or by itself at the end of its period, and a one-time
//! replacement's substitute data is purged once every FSE of it has its positive ARL.
//!
//! Modelled (the SESAM-Vitale specification of the replacement part is restricted): the
//! opening statement the CPS signs ([`opening_digest`]), the FSE's replacement part, and
//! its B2 record (`4`, see [`crate::b2::layout::REPLACEMENT`]).
//!
//! [`drawing`]: an FSE drawn in a session, who signs it and its lots.

use base64::Engine;
use passerelle_protocol::{
    ErrorCode, FseStatus, ReplacedSituation, ReplacementSession, ReplacementState, Substitute,
};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use time::Date;

use super::clock::{format_date, format_instant, parse_date};
use super::error::BillingError;
use super::signer::{BillingSigner, SignerIdentity};
use super::Billing;
use crate::store::replacement_rows as rows;

mod drawing;

/// Prefix of the modelled opening statement.
const OPENING_DOMAIN: &[u8] = b"PASSERELLE-REMPLACEMENT-MODELE-1\n";
/// The longest session, in days (modelled bound: a replacement is temporary).
pub const MAX_DAYS: i64 = 366;

/// What the replaced practitioner asks for when opening a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    /// The situation replaced, as read from the replaced practitioner's card (the mailbox is
    /// filled in from the mail settings of its billing number).
    pub replaced: ReplacedSituation,
    /// The substitute.
    pub substitute: Substitute,
    /// First day `YYYY-MM-DD`.
    pub start: String,
    /// Last day `YYYY-MM-DD`, included.
    pub end: String,
    /// One-time replacement.
    pub one_time: bool,
}

/// `replacement_not_found`.
pub fn not_found(id: i64) -> BillingError {
    BillingError::rule(
        ErrorCode::ReplacementNotFound,
        "id",
        format!("aucune session de remplacement n'a l'identifiant {id}."),
    )
}

fn invalid(field: &str, message: impl Into<String>) -> BillingError {
    BillingError::rule(ErrorCode::InvalidReplacement, field, message)
}

pub(crate) fn outside(field: &str, message: impl Into<String>) -> BillingError {
    BillingError::rule(ErrorCode::ReplacementOutsidePeriod, field, message)
}

/// The period of a session, checked: two dates, the first not after the last, at most
/// [`MAX_DAYS`] days.
pub fn period(start: &str, end: &str) -> Result<(Date, Date), BillingError> {
    let s = parse_date(start).ok_or_else(|| invalid("start", "date attendue AAAA-MM-JJ."))?;
    let e = parse_date(end).ok_or_else(|| invalid("end", "date attendue AAAA-MM-JJ."))?;
    if e < s {
        return Err(invalid("end", "le dernier jour précède le premier."));
    }
    if (e - s).whole_days() >= MAX_DAYS {
        return Err(invalid(
            "end",
            format!("un remplacement dure au plus {MAX_DAYS} jours."),
        ));
    }
    Ok((s, e))
}

/// SHA-256 of the modelled opening statement: domain, then the canonical JSON of the
/// replaced situation, the substitute, the period and the one-time flag.
pub fn opening_digest(o: &Opening) -> [u8; 32] {
    let statement = serde_json::json!({
        "replaced": o.replaced,
        "substitute": o.substitute,
        "start": o.start,
        "end": o.end,
        "one_time": o.one_time,
    });
    let mut h = Sha256::new();
    h.update(OPENING_DOMAIN);
    h.update(statement.to_string().as_bytes());
    h.finalize().into()
}

fn check_opening(o: &Opening, today: Date) -> Result<(), BillingError> {
    let (start, _) = period(&o.start, &o.end)?;
    if start < today {
        return Err(invalid(
            "start",
            "un remplacement s'ouvre à partir d'aujourd'hui, jamais dans le passé.",
        ));
    }
    let sub = &o.substitute;
    let same_card =
        sub.card_serial.is_some() && sub.card_serial.as_ref() == Some(&o.replaced.card_serial);
    if sub.billing_number == o.replaced.billing_number || same_card {
        return Err(BillingError::rule(
            ErrorCode::ReplacementOwnCard,
            "substitute",
            "le remplaçant ne peut pas être le praticien remplacé lui-même (même carte ou même \
             numéro de facturation).",
        ));
    }
    Ok(())
}

fn overlapping(
    conn: &Connection,
    replaced: &str,
    start: &str,
    end: &str,
) -> Result<Option<i64>, BillingError> {
    Ok(rows::open_for_replaced(conn, replaced)?
        .into_iter()
        .find(|s| s.start.as_str() <= end && start <= s.end.as_str())
        .map(|s| s.id))
}

/// The session `session` is open and covers `day`.
pub(crate) fn covers(session: &ReplacementSession, day: Date) -> bool {
    let d = format_date(day);
    session.state == ReplacementState::Open
        && session.start.as_str() <= d.as_str()
        && d.as_str() <= session.end.as_str()
}

impl Billing {
    /// Opens a session: checks the period and the substitute, refuses an overlap with an
    /// open session of the same situation, has `signer` (the replaced practitioner's CPS,
    /// whose situation must be the replaced one) sign the opening statement, and stores the
    /// session with its signature in one transaction (nothing half-opened).
    pub fn open_replacement(
        &self,
        mut opening: Opening,
        signer: &dyn BillingSigner,
    ) -> Result<ReplacementSession, BillingError> {
        let today = self.clock.today();
        check_opening(&opening, today)?;
        let id = signer.identity();
        if id.billing_number != opening.replaced.billing_number {
            return Err(BillingError::rule(
                ErrorCode::ReplacementNotReplacedPractitioner,
                "situation",
                "seul le praticien remplacé, avec la situation remplacée, ouvre la session.",
            ));
        }
        if let Some(other) = self.store.read(|c| {
            overlapping(
                c,
                &opening.replaced.billing_number,
                &opening.start,
                &opening.end,
            )
        })? {
            return Err(overlap(other));
        }
        opening.replaced.mailbox = self
            .mail_settings(&opening.replaced.billing_number)?
            .map(|m| m.from);
        let digest = opening_digest(&opening);
        let signature = signer
            .sign_sha256(&digest)
            .map_err(|e| BillingError::SigningFailed(e.0))?;
        let certificate = signer
            .certificate_der()
            .map_err(|e| BillingError::SigningFailed(e.0))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut session = ReplacementSession {
            id: 0,
            replaced: opening.replaced,
            substitute: opening.substitute,
            start: opening.start,
            end: opening.end,
            one_time: opening.one_time,
            state: ReplacementState::Open,
            opened_at: format_instant(self.clock.now()),
            closed_at: None,
            closed_because: None,
            purged_at: None,
            opening_sha256: hex::encode(digest),
            opening_signature: b64.encode(signature),
            opening_certificate: b64.encode(certificate),
        };
        self.store.write(|tx| {
            // Checked again inside the write: two openings at once never both pass.
            if let Some(other) = overlapping(
                tx,
                &session.replaced.billing_number,
                &session.start,
                &session.end,
            )? {
                return Err(overlap(other));
            }
            session.id = rows::insert_session(tx, &session)?;
            Ok(session)
        })
    }

    /// Every session, newest first.
    pub fn replacements(&self) -> Result<Vec<ReplacementSession>, BillingError> {
        self.store.read(rows::sessions)
    }

    /// Session `id`.
    pub fn replacement(&self, id: i64) -> Result<ReplacementSession, BillingError> {
        self.store.read(|c| rows::session(c, id))
    }

    /// Closes the open sessions whose last day has passed (`period_end`); the ones closed.
    pub fn end_due_replacements(&self) -> Result<Vec<ReplacementSession>, BillingError> {
        let today = format_date(self.clock.today());
        let at = format_instant(self.clock.now());
        self.store.write(|tx| {
            let mut ended = rows::open_ended(tx, &today)?;
            for s in &mut ended {
                s.state = ReplacementState::Closed;
                s.closed_at = Some(at.clone());
                s.closed_because = Some("period_end".into());
                rows::update_session(tx, s)?;
            }
            Ok(ended)
        })
    }

    /// Closes session `id` early; `by` is the card of the replaced situation (its PIN
    /// verified by the caller's application, which the daemon checked).
    pub fn close_replacement(
        &self,
        id: i64,
        by: &SignerIdentity,
    ) -> Result<ReplacementSession, BillingError> {
        self.end_due_replacements()?;
        let at = format_instant(self.clock.now());
        self.store.write(|tx| {
            let mut s = rows::session(tx, id)?;
            replaced_only(&s, by)?;
            if s.state != ReplacementState::Open {
                return Err(BillingError::rule(
                    ErrorCode::ReplacementNotOpen,
                    "id",
                    "cette session de remplacement est déjà close.",
                ));
            }
            s.state = ReplacementState::Closed;
            s.closed_at = Some(at);
            s.closed_because = Some("early".into());
            rows::update_session(tx, &s)?;
            Ok(s)
        })
    }

    /// Purges what was stored of the substitute of closed one-time session `id` (names,
    /// holder id, card, in the session and in its FSE; the billing number and the lots as
    /// sent are kept), once every FSE of it is deleted or has its positive ARL.
    pub fn purge_replacement(
        &self,
        id: i64,
        by: &SignerIdentity,
    ) -> Result<ReplacementSession, BillingError> {
        self.end_due_replacements()?;
        let at = format_instant(self.clock.now());
        self.store.write(|tx| {
            let mut s = rows::session(tx, id)?;
            replaced_only(&s, by)?;
            let refuse = |reason: &str, message: String| {
                Err(BillingError::Rule {
                    code: ErrorCode::ReplacementNotPurgeable,
                    field: reason.to_owned(),
                    message,
                })
            };
            if !s.one_time {
                return refuse("one_time", "seul un remplacement ponctuel se purge.".into());
            }
            if s.state != ReplacementState::Closed {
                return refuse(
                    "state",
                    "la session doit être close (ou déjà purgée).".into(),
                );
            }
            let fse = rows::fse_statuses(tx, id)?;
            let waiting = fse
                .iter()
                .filter(|(_, st)| !acknowledged_or_gone(st))
                .count();
            if waiting > 0 {
                return refuse(
                    "arl",
                    format!(
                        "{waiting} feuille(s) de la session n'ont pas encore leur ARL positif : \
                         rien de ce qui a été facturé ne doit être perdu."
                    ),
                );
            }
            for (fse_id, _) in &fse {
                let mut body: serde_json::Value =
                    serde_json::from_str(&rows::fse_body(tx, *fse_id)?)
                        .map_err(|e| BillingError::Storage(e.to_string()))?;
                if let Some(part) = body.get_mut("replacement") {
                    for k in [
                        "substitute_holder_id",
                        "substitute_last_name",
                        "substitute_first_name",
                    ] {
                        part[k] = serde_json::Value::String(String::new());
                    }
                }
                rows::rewrite_fse_body(tx, *fse_id, &body.to_string())?;
            }
            let sub = &mut s.substitute;
            (sub.holder_id, sub.last_name, sub.first_name) = Default::default();
            (sub.card_kind, sub.card_serial) = (None, None);
            s.state = ReplacementState::Purged;
            s.purged_at = Some(at);
            rows::update_session(tx, &s)?;
            Ok(s)
        })
    }
}

fn overlap(other: i64) -> BillingError {
    BillingError::rule(
        ErrorCode::ReplacementOverlap,
        "start",
        format!(
            "la session de remplacement {other} couvre déjà certains de ces jours pour cette \
             situation : fermez-la ou choisissez d'autres dates."
        ),
    )
}

fn replaced_only(s: &ReplacementSession, by: &SignerIdentity) -> Result<(), BillingError> {
    if by.billing_number != s.replaced.billing_number {
        return Err(BillingError::rule(
            ErrorCode::ReplacementNotReplacedPractitioner,
            "situation",
            "seul le praticien remplacé, avec la carte de la situation remplacée, peut faire \
             cela.",
        ));
    }
    Ok(())
}

fn acknowledged_or_gone(status: &str) -> bool {
    crate::state::fse_from_name(status).is_some_and(|s| {
        matches!(
            s,
            FseStatus::Acknowledged
                | FseStatus::Paid
                | FseStatus::PartlyPaid
                | FseStatus::Rejected
                | FseStatus::Deleted
        )
    })
}

/// The state in French, for messages.
pub fn state_in_french(s: ReplacementState) -> &'static str {
    match s {
        ReplacementState::Open => "ouverte",
        ReplacementState::Closed => "close",
        ReplacementState::Purged => "purgée",
    }
}

#[cfg(test)]
mod tests;
