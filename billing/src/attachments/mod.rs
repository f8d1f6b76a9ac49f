//! Scanned attachments (SCOR): a PDF linked to an FSE — its prescription, the signed paper
//! copy of a degraded FSE, another supporting document — checked on upload ([`check`]),
//! images made into a PDF first ([`scan`]), and kept with its checksum until it leaves in
//! a PJ lot. What still needs one (a degraded FSE without its copy) is listed.
//!
//! From the seeds (000, 001): a PDF, at least A5, at least 200 dpi, attached within 30 days
//! of the FSE; they leave in PJ lots after the FSE's lot is acknowledged
//! ([`crate::pj_lots`]), go on paper ([`paper`]) when that fails for 5 working days, and
//! are purged 90 days after their positive ARL PJ.

pub mod check;
pub mod paper;
pub mod pdf_pages;
pub mod scan;

use passerelle_protocol::{
    Attachment, AttachmentKind, AttachmentState, AttachmentUpload, ErrorCode, FseStatus,
    MissingAttachment,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::clock::{format_date, format_instant, paris_date, parse_date};
use crate::store::attachment_rows::{self, NewAttachment};
use crate::store::{fse_rows, pj_lot_rows};
use crate::{Billing, BillingError};

/// Days after the care date within which an attachment is accepted.
pub const ATTACH_WITHIN_DAYS: i64 = 30;

/// The last day an FSE of `care_date` takes an attachment (`YYYY-MM-DD`).
pub fn attach_by(care_date: &str) -> Option<String> {
    parse_date(care_date).map(|d| format_date(d + time::Duration::days(ATTACH_WITHIN_DAYS)))
}

impl Billing {
    /// Checks and keeps `bytes` (declared `content_type`) as an attachment of FSE `fse_id`;
    /// `max` is the size limit in bytes.
    pub fn add_attachment(
        &self,
        fse_id: i64,
        upload: &AttachmentUpload,
        content_type: &str,
        bytes: &[u8],
        max: usize,
    ) -> Result<Attachment, BillingError> {
        if let Some(name) = &upload.filename {
            let n = name.chars().count();
            if !(1..=128).contains(&n) || name.chars().any(char::is_control) {
                return Err(BillingError::invalid(
                    "filename",
                    "nom de fichier de 1 à 128 caractères imprimables.",
                ));
            }
        }
        let fse = self.fse(fse_id)?;
        if fse.status == FseStatus::Deleted {
            return Err(deleted(&fse.number));
        }
        let now = self.clock.now();
        let last = attach_by(&fse.care_date).unwrap_or_default();
        if format_date(paris_date(now)) > last {
            return Err(BillingError::Attachment {
                code: ErrorCode::AttachmentTooLate,
                message: format!(
                    "Les soins de la FSE n° {} datent du {} : une pièce jointe s'envoie dans les \
                     {ATTACH_WITHIN_DAYS} jours (au plus tard le {last}). Envoyez le papier à la caisse.",
                    fse.number, fse.care_date
                ),
                details: json!({ "care_date": fse.care_date, "attach_by": last }),
            });
        }
        let checked = check::check(content_type, bytes, max)?;
        let sha256 = hex::encode(Sha256::digest(&checked.pdf));
        let created = format_instant(now);
        let id = self.store.write(|tx| {
            // The FSE is read again in the transaction: deleted meanwhile, nothing is kept.
            let status: String =
                tx.query_row("SELECT status FROM fse WHERE id = ?1", [fse_id], |r| {
                    r.get(0)
                })?;
            if status == "deleted" {
                return Err(deleted(&fse.number));
            }
            attachment_rows::insert(
                tx,
                &NewAttachment {
                    fse_id,
                    kind: upload.kind,
                    filename: upload.filename.as_deref(),
                    uploaded_type: checked.uploaded_type,
                    pdf: &checked.pdf,
                    sha256: &sha256,
                    pages: checked.pages,
                    dpi: checked.dpi,
                    created: &created,
                },
            )
        })?;
        self.attachment(id)
    }

    /// Attachment `id`.
    pub fn attachment(&self, id: i64) -> Result<Attachment, BillingError> {
        self.store
            .read(|c| attachment_rows::load(c, id))?
            .ok_or_else(|| not_found(id))
    }

    /// The attachments of FSE `fse_id`, oldest first.
    pub fn attachments(&self, fse_id: i64) -> Result<Vec<Attachment>, BillingError> {
        self.store.read(|c| {
            fse_rows::load(c, fse_id)?;
            attachment_rows::of_fse(c, fse_id)
        })
    }

    /// The PDF of attachment `id`, as the organism will receive it; gone once purged.
    pub fn attachment_pdf(&self, id: i64) -> Result<Vec<u8>, BillingError> {
        let attachment = self.attachment(id)?;
        if attachment.state == AttachmentState::Purged {
            return Err(purged(&attachment));
        }
        self.store
            .read(|c| attachment_rows::pdf(c, id))?
            .ok_or_else(|| not_found(id))
    }

    /// The paper copy of attachment `id`, whose PJ lot went on paper: its PDF with every
    /// page stamped with the FSE, lot and PJ lot numbers.
    pub fn attachment_paper(&self, id: i64) -> Result<Vec<u8>, BillingError> {
        let attachment = self.attachment(id)?;
        if !matches!(
            attachment.state,
            AttachmentState::Paper | AttachmentState::Posted
        ) {
            return Err(BillingError::Attachment {
                code: ErrorCode::AttachmentNotOnPaper,
                message: format!(
                    "La pièce jointe {id} n'est pas à envoyer sur papier : elle est « {} ».",
                    state_in_french(attachment.state)
                ),
                details: json!({ "state": attachment.state }),
            });
        }
        let pj_lot_id = attachment.pj_lot_id.ok_or_else(|| not_found(id))?;
        let pj_lot = self.store.read(|c| pj_lot_rows::load(c, pj_lot_id))?;
        let item = pj_lot
            .attachments
            .iter()
            .find(|i| i.attachment_id == id)
            .ok_or_else(|| not_found(id))?;
        let o = &pj_lot.organism;
        let stamp = paper::Stamp {
            fse_number: item.fse_number.clone(),
            lot_number: item.lot_number.clone(),
            pj_lot_number: pj_lot.number.clone(),
            practitioner: pj_lot.practitioner.clone(),
            organism: format!("{} {} {}", o.regime, o.caisse, o.centre),
        };
        let pdf = self.attachment_pdf(id)?;
        paper::stamped(&pdf, &stamp).map_err(|e| {
            BillingError::Storage(format!("copie papier de la pièce jointe {id} : {e}"))
        })
    }

    /// What still needs an attachment: degraded FSE without their scanned copy, care dates
    /// from `from` to `to` when given.
    pub fn missing_attachments(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<MissingAttachment>, BillingError> {
        let mut missing = self
            .store
            .read(|c| attachment_rows::missing_copies(c, from, to))?;
        for m in &mut missing {
            m.attach_by = attach_by(&m.care_date).unwrap_or_default();
        }
        Ok(missing)
    }
}

fn purged(a: &Attachment) -> BillingError {
    BillingError::Attachment {
        code: ErrorCode::AttachmentPurged,
        message: format!(
            "La pièce jointe {} a été effacée le {} : conservée 90 jours après son ARL PJ \
             positif, la caisse l'a reçue.",
            a.id,
            a.purged.as_deref().and_then(|p| p.get(..10)).unwrap_or("?")
        ),
        details: json!({ "purged": a.purged }),
    }
}

/// An attachment state as a practitioner reads it.
pub fn state_in_french(state: AttachmentState) -> &'static str {
    match state {
        AttachmentState::Waiting => "en attente de l'ARL du lot de sa FSE",
        AttachmentState::InPjLot => "dans un lot de pièces jointes en cours d'envoi",
        AttachmentState::Sent => "envoyée, en attente de l'ARL PJ",
        AttachmentState::Acknowledged => "reçue par la caisse (ARL PJ positif)",
        AttachmentState::Paper => "à imprimer et envoyer sur papier",
        AttachmentState::Posted => "envoyée sur papier",
        AttachmentState::Purged => "effacée après 90 jours",
    }
}

fn deleted(number: &str) -> BillingError {
    BillingError::Attachment {
        code: ErrorCode::AttachmentNotAllowed,
        message: format!("La FSE n° {number} est supprimée : elle ne prend plus de pièce jointe."),
        details: json!({ "status": "deleted" }),
    }
}

fn not_found(id: i64) -> BillingError {
    BillingError::Attachment {
        code: ErrorCode::AttachmentNotFound,
        message: format!("Aucune pièce jointe n° {id}."),
        details: json!({ "attachment": id }),
    }
}

/// The kind's name in French.
pub fn kind_in_french(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Prescription => "ordonnance",
        AttachmentKind::DegradedCopy => "copie de la feuille de soins dégradée",
        AttachmentKind::Other => "pièce justificative",
    }
}

#[cfg(test)]
mod tests;
