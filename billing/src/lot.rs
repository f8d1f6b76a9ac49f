//! Lots per organism, built and signed, and who may sign. With [`super::fse_sign`] (FSE in
//! one go, signature désynchronisée), these are the entry points the card layer calls with
//! a [`BillingSigner`] over a CPS whose PIN was verified: [`Billing::sign_fse_batch`] and
//! [`Billing::build_and_sign_lots`].
//!
//! Modelled signature inputs: an FSE is signed over [`super::fse::signature_digest`] (SHA-256 of its
//! canonical JSON), a lot over SHA-256 of its B2 bytes.

use passerelle_protocol::{CardKind, Lot, LotStatus};
use rusqlite::Transaction;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::b2::{self, LotHeader};
use super::clock::format_instant;
use super::error::BillingError;
use super::numbering::{self, format_lot_number, lot_number, Counter};
use super::service::check_idempotency_key;
use super::signer::{BillingSigner, SignerIdentity};
use super::Billing;
use crate::store::fse_rows::{self, organism_key, FseFilter};
use crate::store::lot_rows::{self, NewLot};
use crate::store::requests::{self, LotRequest};

/// Most FSE in one lot (modelled; to check against the specification).
pub const MAX_INVOICES_PER_LOT: usize = 50;

/// Refuses a signer whose card kind or situation may not sign (`lot`: a lot, else an FSE).
pub fn check_signer(id: &SignerIdentity, lot: bool) -> Result<(), BillingError> {
    let what = if lot {
        "un lot"
    } else {
        "une feuille de soins"
    };
    match id.card_kind {
        CardKind::Cps | CardKind::Cpf => {}
        CardKind::Cpe => {
            return Err(BillingError::SignerNotAllowed(format!(
                "Une carte de personnel d'établissement (CPE) ne peut pas signer {what} : \
                 le praticien signe avec sa CPS."
            )))
        }
        _ => {
            return Err(BillingError::SignerNotAllowed(format!(
                "Cette carte ne peut pas signer {what}."
            )))
        }
    }
    let allowed = if lot {
        id.may_sign_lot
    } else {
        id.may_sign_invoice
    };
    if !allowed {
        return Err(BillingError::SignerNotAllowed(format!(
            "La situation d'exercice {} de la carte n'a pas le droit de signer {what}.",
            id.situation
        )));
    }
    Ok(())
}

impl Billing {
    /// Groups every signed FSE of the signer's billing number by organism (at most
    /// [`MAX_INVOICES_PER_LOT`] per lot), numbers each lot, writes its B2 file, has it signed
    /// and moves its FSE to `in_lot`. All in one transaction: if one signature fails, no lot
    /// is kept and no number is consumed. Refused for a CPE or a situation without the right
    /// to sign lots.
    pub fn build_and_sign_lots(
        &self,
        signer: &dyn BillingSigner,
    ) -> Result<Vec<Lot>, BillingError> {
        self.build_and_sign_lots_keyed(signer, None)
    }

    /// [`Billing::build_and_sign_lots`] with an idempotency key: the first call under `key`
    /// records the lots it built in the same transaction; a retry answers those lots (as
    /// they are now) without signing or numbering anything. A key first used for another
    /// billing number is refused (`idempotency_key_reused`).
    pub fn build_and_sign_lots_keyed(
        &self,
        signer: &dyn BillingSigner,
        key: Option<&str>,
    ) -> Result<Vec<Lot>, BillingError> {
        if let Some(k) = key {
            check_idempotency_key(k)?;
        }
        let id = signer.identity();
        check_signer(&id, true)?;
        let certificate = signer
            .certificate_der()
            .map_err(|e| BillingError::SigningFailed(e.0))?;
        let now = self.clock.now();
        // The substitute of a session open today signs the replaced practitioner's lots.
        let practitioner = self.lot_practitioner(&id)?;
        self.store.write(|tx| {
            if let Some(k) = key {
                if let Some(done) = requests::lot_request(tx, k)? {
                    if done.practitioner != id.billing_number {
                        return Err(BillingError::IdempotencyKeyReused);
                    }
                    return done
                        .lot_ids
                        .iter()
                        .map(|l| lot_rows::load(tx, *l))
                        .collect();
                }
            }
            let lots = self.build_lots_in(tx, signer, &id, &practitioner, &certificate, now)?;
            if let Some(k) = key {
                let done = LotRequest {
                    practitioner: id.billing_number.clone(),
                    lot_ids: lots.iter().map(|l| l.id).collect(),
                };
                requests::put_lot_request(tx, k, &done, &format_instant(now))?;
            }
            Ok(lots)
        })
    }

    /// The lots of [`Billing::build_and_sign_lots`], inside the caller's transaction.
    fn build_lots_in(
        &self,
        tx: &Transaction<'_>,
        signer: &dyn BillingSigner,
        id: &SignerIdentity,
        practitioner: &str,
        certificate: &[u8],
        now: OffsetDateTime,
    ) -> Result<Vec<Lot>, BillingError> {
        let filter = FseFilter {
            status: Some("signed".into()),
            practitioner: Some(practitioner.to_owned()),
            ..FseFilter::default()
        };
        let mut pending = fse_rows::list(tx, &filter)?;
        pending.sort_by(|a, b| organism_key(a).cmp(&organism_key(b)).then(a.id.cmp(&b.id)));
        let mut lots = Vec::new();
        let mut rest = pending.as_slice();
        while let Some(first) = rest.first() {
            let key = organism_key(first);
            let same = rest
                .iter()
                .take(MAX_INVOICES_PER_LOT)
                .take_while(|f| organism_key(f) == key)
                .count();
            let (chunk, tail) = rest.split_at(same);
            rest = tail;
            let seq = numbering::next(tx, practitioner, Counter::Lot)?;
            let header = LotHeader {
                practitioner: practitioner.to_owned(),
                lot_number: lot_number(seq),
                organism: first.organism.clone(),
                created: now,
            };
            let bytes = b2::write_lot(&header, chunk)
                .map_err(|e| BillingError::invalid("b2", e.to_string()))?;
            let summary =
                b2::check(&bytes).map_err(|e| BillingError::invalid("b2", e.to_string()))?;
            let digest: [u8; 32] = Sha256::digest(&bytes).into();
            let signature = signer
                .sign_sha256(&digest)
                .map_err(|e| BillingError::SigningFailed(e.0))?;
            let mut lot = Lot {
                id: 0,
                number: format_lot_number(header.lot_number),
                practitioner: practitioner.to_owned(),
                organism: first.organism.clone(),
                status: LotStatus::Signed,
                invoice_count: chunk.len() as u32,
                total_cents: summary.total_cents,
                amo_cents: summary.amo_cents,
                created: format_instant(now),
                signed_by: id.card_kind,
                b2_sha256: hex::encode(digest),
                send_by: chunk
                    .iter()
                    .filter_map(crate::calendar::send_deadline)
                    .min()
                    .map(crate::clock::format_date),
                paper_posted: None,
            };
            lot.id = lot_rows::insert(
                tx,
                &NewLot {
                    lot: &lot,
                    seq,
                    b2: &bytes,
                    signature: &signature,
                    certificate,
                },
            )?;
            let ids: Vec<i64> = chunk.iter().map(|f| f.id).collect();
            fse_rows::put_in_lot(tx, &ids, lot.id)?;
            lots.push(lot);
        }
        Ok(lots)
    }

    /// Checks the stored signature of lot `id` against SHA-256 of its B2 file and the
    /// stored certificate.
    pub fn verify_lot_signature(&self, id: i64) -> Result<(), BillingError> {
        let s = self.store.read(|c| lot_rows::b2(c, id))?;
        let digest: [u8; 32] = Sha256::digest(&s.bytes).into();
        super::signer::verify(&s.certificate, &digest, &s.signature)
            .map_err(|e| BillingError::SigningFailed(e.0))
    }

    /// The B2 file, signature and certificate of lot `id` (for transmission and checks).
    pub fn lot_files(&self, id: i64) -> Result<lot_rows::Signed, BillingError> {
        self.store.read(|c| lot_rows::b2(c, id))
    }
}

#[cfg(test)]
#[path = "lot_tests.rs"]
mod tests;
