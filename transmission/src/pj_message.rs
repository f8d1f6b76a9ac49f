//! The IRIS message of one PJ lot (SCOR), from what the billing store keeps of it: the same
//! envelope as a lot of FSE (S/MIME to the organism, the subject's layout, the counted
//! items being the attachments), the content an index and the PDFs ([`pj_content`]).
//!
//! Modelled (the SCOR norm is restricted), the index text, UTF-8, LF line ends:
//!
//! ```text
//! PJ-MODELE-1
//! lot_pj=001                 the PJ lot number
//! regime=01 caisse=751 centre=0001   (one per line) the destination
//! ps=12345678                the sending practitioner's billing number
//! nombre=2                   how many attachments follow
//! pj=1;fse=000000123;lot=004;nature=copie_degradee;fichier=pj-1.pdf;octets=12345;sha256=…
//! ```
//!
//! one `pj=` line per attachment, in order: its FSE number, the number of the lot that
//! carried that FSE, its nature (`prescription`, `copie_degradee`, `autre`), the file name
//! of its PDF part, its size and its SHA-256 (hex), which the organism checks.

use passerelle_protocol::{AttachmentKind, PjLot, PjLotItem};

use crate::iris::{build_message, pj_content, IrisError, IrisMessage, Mode};
use crate::lot_message::Sending;
use crate::organisms::Destination;

/// The index's first line (modelled).
pub const PJ_MAGIC: &str = "PJ-MODELE-1";

/// The index's `nature` of an attachment kind (modelled).
pub fn nature(kind: AttachmentKind) -> &'static str {
    match kind {
        AttachmentKind::Prescription => "prescription",
        AttachmentKind::DegradedCopy => "copie_degradee",
        AttachmentKind::Other => "autre",
    }
}

/// The file name of the `position`-th PDF.
pub fn file_name(position: u32) -> String {
    format!("pj-{position}.pdf")
}

/// The index of `lot`.
pub fn index(lot: &PjLot, items: &[PjLotItem]) -> String {
    let o = &lot.organism;
    let mut text = format!(
        "{PJ_MAGIC}\nlot_pj={}\nregime={}\ncaisse={}\ncentre={}\nps={}\nnombre={}\n",
        lot.number,
        o.regime,
        o.caisse,
        o.centre,
        lot.practitioner,
        items.len()
    );
    for i in items {
        text.push_str(&format!(
            "pj={};fse={};lot={};nature={};fichier={};octets={};sha256={}\n",
            i.position,
            i.fse_number,
            i.lot_number,
            nature(i.kind),
            file_name(i.position),
            i.bytes,
            i.sha256
        ));
    }
    text
}

/// Builds the message of PJ lot `lot` (its attachments and PDFs in `files`) from `from` to
/// `destination`, under `message_id`. An attachment without its PDF (purged) is refused.
pub fn build(
    lot: &PjLot,
    files: &[(PjLotItem, Vec<u8>)],
    from: &str,
    destination: &Destination,
    message_id: &str,
    mode: Mode,
) -> Result<IrisMessage, IrisError> {
    if let Some((item, _)) = files.iter().find(|(i, pdf)| pdf.len() as u64 != i.bytes) {
        return Err(IrisError::InvalidField {
            field: "pdf",
            reason: format!(
                "la pièce jointe {} (FSE {}) n'a plus son PDF",
                item.attachment_id, item.fse_number
            ),
        });
    }
    let items: Vec<PjLotItem> = files.iter().map(|(i, _)| i.clone()).collect();
    let pdfs: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(i, pdf)| (file_name(i.position), pdf.clone()))
        .collect();
    let envelope = Sending {
        practitioner: &lot.practitioner,
        created: &lot.created,
        from,
        destination,
        message_id,
        mode,
    }
    .envelope(items.len() as u32)?;
    let content = pj_content(&index(lot, &items), &pdfs, mode)?;
    build_message(&content, &envelope, &destination.certificate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_protocol::{Organism, PjLotStatus};

    #[test]
    fn the_index_names_each_attachment_with_its_fse_and_lot() {
        let item = |position, kind, fse: &str| PjLotItem {
            position,
            attachment_id: i64::from(position),
            kind,
            fse_id: 1,
            fse_number: fse.into(),
            lot_number: "004".into(),
            bytes: 10,
            sha256: "ab".repeat(32),
        };
        let items = vec![
            item(1, AttachmentKind::DegradedCopy, "000000123"),
            item(2, AttachmentKind::Prescription, "000000124"),
        ];
        let lot = PjLot {
            id: 1,
            number: "001".into(),
            practitioner: "12345678".into(),
            organism: Organism {
                regime: "01".into(),
                caisse: "751".into(),
                centre: "0001".into(),
            },
            status: PjLotStatus::Sending,
            attachments: items.clone(),
            created: "2026-03-02T10:00:00Z".into(),
            retry_until: "2026-03-09".into(),
            failures: 0,
            acknowledged: None,
            paper_reason: None,
            posted: None,
        };
        let text = index(&lot, &items);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            &lines[..7],
            [
                "PJ-MODELE-1",
                "lot_pj=001",
                "regime=01",
                "caisse=751",
                "centre=0001",
                "ps=12345678",
                "nombre=2"
            ]
        );
        assert_eq!(
            lines[7],
            format!(
                "pj=1;fse=000000123;lot=004;nature=copie_degradee;fichier=pj-1.pdf;octets=10;sha256={}",
                "ab".repeat(32)
            )
        );
        assert!(lines[8].contains("nature=prescription;fichier=pj-2.pdf"));
    }
}
