//! The IRIS message of one lot, from what the billing store keeps of it.
//!
//! Modelled (the IRIS norm is restricted): the subject's version field ([`IRIS_VERSION`])
//! and sender field (the practitioner's 8-digit billing number, left-padded with zeros to
//! 14 characters: [`sender_id`]); the lot's time in the subject is its creation in Paris
//! time.

use passerelle_billing::clock::paris_time;
use passerelle_billing::store::lot_rows::Signed;
use passerelle_installation::config::TransmissionMode;
use passerelle_protocol::Lot;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::iris::{build_message, lot_content, IrisError, IrisMessage, LotEnvelope, Mode};
use crate::organisms::Destination;

/// The version field of the subject (modelled).
pub const IRIS_VERSION: &str = "000100";

/// The subject's sender field of a practitioner (modelled: the billing number, padded).
pub fn sender_id(practitioner: &str) -> String {
    format!("{practitioner:0>14}")
}

/// The IRIS mode of a transmission mode.
pub fn mode(m: TransmissionMode) -> Mode {
    match m {
        TransmissionMode::Test => Mode::Test,
        TransmissionMode::Production => Mode::Production,
    }
}

/// Builds the message of `lot` (its B2 file, signature and certificate in `files`) from
/// `from` to `destination`, under `message_id`.
pub fn build(
    lot: &Lot,
    files: &Signed,
    from: &str,
    destination: &Destination,
    message_id: &str,
    mode: Mode,
) -> Result<IrisMessage, IrisError> {
    let envelope = Sending {
        practitioner: &lot.practitioner,
        created: &lot.created,
        from,
        destination,
        message_id,
        mode,
    }
    .envelope(lot.invoice_count)?;
    let content = lot_content(&files.bytes, &files.signature, &files.certificate, mode)?;
    build_message(&content, &envelope, &destination.certificate)
}

/// What the envelope of a lot's (or a PJ lot's) message is made of.
pub(crate) struct Sending<'a> {
    /// The sending practitioner's billing number.
    pub practitioner: &'a str,
    /// When the lot was made (RFC 3339): its Paris time goes in the subject.
    pub created: &'a str,
    /// The practitioner's address.
    pub from: &'a str,
    /// Where it goes.
    pub destination: &'a Destination,
    /// The attempt's Message-ID.
    pub message_id: &'a str,
    /// Test or production.
    pub mode: Mode,
}

impl Sending<'_> {
    /// The envelope, `count` being what the subject counts (invoices, or attachments).
    pub(crate) fn envelope(&self, count: u32) -> Result<LotEnvelope, IrisError> {
        let created =
            OffsetDateTime::parse(self.created, &Rfc3339).map_err(|e| IrisError::InvalidField {
                field: "created_at",
                reason: format!("date du lot « {} » illisible ({e})", self.created),
            })?;
        Ok(LotEnvelope {
            version: IRIS_VERSION.to_owned(),
            sender_id: sender_id(self.practitioner),
            invoice_count: count,
            created_at: paris_time(created),
            mode: self.mode,
            from: self.from.to_owned(),
            to: self.destination.address.clone(),
            message_id: self.message_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_is_the_billing_number_padded() {
        assert_eq!(sender_id("69312233"), "00000069312233");
        assert_eq!(sender_id("69312233").len(), 14);
    }
}
