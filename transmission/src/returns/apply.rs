//! Applying one kept return mail: who sent it, what it carries, and what it does to the
//! lots and FSE (through the billing store), with the events that say so. Blocking: runs on
//! a blocking thread.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use passerelle_billing::inbox::ArlApplied;
use passerelle_billing::pj_lots::PjApplied;
use passerelle_billing::returns::{arl, noemie};
use passerelle_billing::{Billing, BillingError};
use passerelle_protocol::{EventKind, FseStatus, ReturnKind, ReturnState};

use super::mail;
use crate::iris::organism_mailbox;
use crate::organisms::Directory;
use crate::worker::EventSink;

/// What applying a mail asks of the daemon besides its events.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// A lot (or a PJ lot) was queued: wake the outbox.
    pub queued: bool,
}

impl std::ops::BitOr for Applied {
    type Output = Applied;

    fn bitor(self, other: Applied) -> Applied {
        Applied {
            queued: self.queued || other.queued,
        }
    }
}

/// The addresses returns may come from: the organisms of the directory (their mailbox by
/// the public rule, or the one they name) and every OCT of the mail settings.
pub fn known_senders(billing: &Billing, organisms_file: &Path) -> BTreeSet<String> {
    let mut known = BTreeSet::new();
    if let Ok(directory) = Directory::load(organisms_file) {
        for (o, _) in directory.entries() {
            if let Ok(a) = organism_mailbox(&o.regime, &o.caisse) {
                known.insert(a);
            }
        }
        known.extend(directory.addresses());
    }
    for s in billing.all_mail_settings().unwrap_or_default() {
        if let Some(oct) = s.oct {
            known.insert(oct.address.to_lowercase());
        }
    }
    known
}

/// Applies kept mail `id`; whatever happens, the mail is settled (applied, refused, or
/// from an unknown sender) unless the store itself fails.
pub fn apply(
    billing: &Billing,
    id: i64,
    known: &BTreeSet<String>,
    events: &EventSink,
) -> Result<Applied, BillingError> {
    let (_, raw) = billing.return_mail(id)?;
    let envelope = mail::read(&raw);
    let refuse = |state, why: String| {
        billing
            .refuse_return(id, state, &why)
            .map(|()| Applied::default())
    };
    match &envelope.sender {
        Some(s) if known.contains(s) => {}
        other => {
            let who = other.clone().unwrap_or_else(|| "(aucun)".into());
            return refuse(
                ReturnState::UnknownSender,
                format!("Expéditeur {who} : aucun organisme de l'annuaire ; gardé, non appliqué."),
            );
        }
    }
    let Some(payload) = envelope.payload else {
        return refuse(
            ReturnState::Refused,
            "Ni ARL ni fichier NOEMIE dans ce message.".into(),
        );
    };
    match envelope.kind {
        ReturnKind::Arl => {
            let parsed = match arl::parse(&payload) {
                Ok(a) => a,
                Err(e) => return refuse(ReturnState::Refused, e.to_string()),
            };
            match billing.apply_arl(id, &parsed) {
                Ok(applied) => {
                    let done = arl_events(&applied, events);
                    // An acknowledged lot may free attachments waiting for it.
                    // Should that fail, the ARL stays applied and the watch makes them later.
                    Ok(match applied {
                        ArlApplied::Acknowledged(_) => match build_pj_lots(billing, events) {
                            Ok(made) => done | made,
                            Err(e) => {
                                tracing::error!(error = %e, "PJ lots not made after the ARL");
                                done
                            }
                        },
                        _ => done,
                    })
                }
                Err(BillingError::ReturnRefused(why)) => refuse(ReturnState::Refused, why),
                Err(e) => Err(e),
            }
        }
        ReturnKind::ArlPj => {
            let parsed = match arl::parse(&payload) {
                Ok(a) => a,
                Err(e) => return refuse(ReturnState::Refused, e.to_string()),
            };
            match billing.apply_arl_pj(id, &parsed) {
                Ok(applied) => Ok(pj_events(&applied, events)),
                Err(BillingError::ReturnRefused(why)) => refuse(ReturnState::Refused, why),
                Err(e) => Err(e),
            }
        }
        ReturnKind::Noemie => {
            let file = match noemie::parse(&payload) {
                Ok(f) => f,
                Err(e) => return refuse(ReturnState::Refused, e.to_string()),
            };
            let done = billing.apply_noemie(id, &file)?;
            for s in &done.settled {
                events(match s.status {
                    FseStatus::Rejected => EventKind::FseRejected {
                        fse_id: s.fse_id,
                        number: s.number.clone(),
                        reasons: s.reasons.clone(),
                    },
                    _ => EventKind::FsePaid {
                        fse_id: s.fse_id,
                        number: s.number.clone(),
                        paid_cents: s.paid_cents,
                        partly: s.status == FseStatus::PartlyPaid,
                    },
                });
            }
            events(EventKind::NoemieReceived {
                return_id: id,
                settled: done.settled.len() as u32,
                unknown: done.unknown.len() as u32,
            });
            Ok(Applied::default())
        }
        ReturnKind::Other => refuse(ReturnState::Refused, "Pièce jointe non reconnue.".into()),
    }
}

/// The events of an applied ARL (or of an ARL that did not come in time).
pub fn arl_events(applied: &ArlApplied, events: &EventSink) -> Applied {
    let arl =
        |lot: &passerelle_protocol::Lot, positive, reason: Option<String>| EventKind::ArlReceived {
            lot_id: lot.id,
            lot_number: lot.number.clone(),
            positive,
            reason,
        };
    match applied {
        ArlApplied::Acknowledged(lot) => {
            events(arl(lot, true, None));
            Applied::default()
        }
        ArlApplied::Resent {
            lot,
            attempt,
            reason,
        } => {
            events(arl(lot, false, Some(reason.clone())));
            events(EventKind::LotQueued {
                lot_id: lot.id,
                lot_number: lot.number.clone(),
                attempt_id: attempt.id,
            });
            Applied { queued: true }
        }
        ArlApplied::Paper { lot, reason } => {
            events(arl(lot, false, Some(reason.clone())));
            events(EventKind::PaperDuplicateNeeded {
                lot_id: lot.id,
                lot_number: lot.number.clone(),
                reason: reason.clone(),
            });
            Applied::default()
        }
        ArlApplied::Noted(_) => Applied::default(),
    }
}

/// Makes PJ lots of the attachments whose FSE lot is acknowledged, with their events.
pub fn build_pj_lots(billing: &Billing, events: &EventSink) -> Result<Applied, BillingError> {
    let made = billing.build_pj_lots()?;
    for (pj, attempt) in &made {
        events(EventKind::PjLotQueued {
            pj_lot_id: pj.id,
            pj_lot_number: pj.number.clone(),
            attempt_id: attempt.id,
            attachments: pj.attachments.len() as u32,
        });
    }
    Ok(Applied {
        queued: !made.is_empty(),
    })
}

/// The events of an applied ARL PJ (or of a PJ lot's deadline).
pub fn pj_events(applied: &PjApplied, events: &EventSink) -> Applied {
    let arl = |pj: &passerelle_protocol::PjLot, positive, reason: Option<String>| {
        EventKind::ArlPjReceived {
            pj_lot_id: pj.id,
            pj_lot_number: pj.number.clone(),
            positive,
            reason,
        }
    };
    match applied {
        PjApplied::Acknowledged(pj) => {
            events(arl(pj, true, None));
            Applied::default()
        }
        PjApplied::Resent {
            pj_lot,
            attempt,
            reason,
        } => {
            if attempt.reason == passerelle_protocol::AttemptReason::Resend {
                events(arl(pj_lot, false, Some(reason.clone())));
            }
            events(EventKind::PjLotQueued {
                pj_lot_id: pj_lot.id,
                pj_lot_number: pj_lot.number.clone(),
                attempt_id: attempt.id,
                attachments: pj_lot.attachments.len() as u32,
            });
            Applied { queued: true }
        }
        PjApplied::Paper { pj_lot, reason } => {
            events(EventKind::PjLotPaper {
                pj_lot_id: pj_lot.id,
                pj_lot_number: pj_lot.number.clone(),
                reason: reason.clone(),
                attachment_ids: pj_lot.attachments.iter().map(|a| a.attachment_id).collect(),
            });
            Applied::default()
        }
        PjApplied::Noted(_) => Applied::default(),
    }
}

/// An event sink that drops everything (tools, tests).
pub fn no_events() -> EventSink {
    Arc::new(|_| {})
}
