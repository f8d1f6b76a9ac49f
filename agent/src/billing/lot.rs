//! Signing: FSE in one go (signature désynchronisée) and lots per organism. These are the
//! entry points the card layer calls with a [`BillingSigner`] over a CPS whose PIN was
//! verified: [`Billing::sign_fse_batch`] and [`Billing::build_and_sign_lots`].
//!
//! Modelled signature inputs: an FSE is signed over [`signature_digest`] (SHA-256 of its
//! canonical JSON), a lot over SHA-256 of its B2 bytes.

use passerelle_protocol::{CardKind, Fse, FseStatus, Lot, LotStatus};
use sha2::{Digest, Sha256};

use super::b2::{self, LotHeader};
use super::clock::format_instant;
use super::error::BillingError;
use super::fse::signature_digest;
use super::numbering::{self, format_lot_number, lot_number, Counter};
use super::signer::{BillingSigner, SignerIdentity};
use super::state::check_fse;
use super::Billing;
use crate::store::fse_rows::{self, organism_key, FseFilter};
use crate::store::lot_rows::{self, card_kind_name, NewLot};
use crate::store::savepoint;

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
    /// Signs the draft FSE `ids` with `signer` (signature désynchronisée: prepared earlier,
    /// possibly by a CPE, signed now in one go). The card kind and situation are checked for
    /// the whole call; each FSE is then signed or refused on its own (not a draft, another
    /// practitioner's, the card failed). Signed FSE are stored in one transaction.
    pub fn sign_fse_batch(
        &self,
        signer: &dyn BillingSigner,
        ids: &[i64],
    ) -> Result<Vec<Result<Fse, BillingError>>, BillingError> {
        let id = signer.identity();
        check_signer(&id, false)?;
        let certificate = signer
            .certificate_der()
            .map_err(|e| BillingError::SigningFailed(e.0))?;
        let signed_by = card_kind_name(id.card_kind);
        let mut signed: Vec<Result<(Fse, Vec<u8>), BillingError>> = Vec::with_capacity(ids.len());
        for fse_id in ids {
            signed.push(self.fse(*fse_id).and_then(|fse| {
                check_fse(&fse.number, fse.status, FseStatus::Signed)?;
                if fse.practitioner.billing_number != id.billing_number {
                    return Err(BillingError::SignerNotAllowed(format!(
                        "La feuille {} est facturée sous un autre numéro que celui de la carte.",
                        fse.number
                    )));
                }
                let sig = signer
                    .sign_sha256(&signature_digest(&fse))
                    .map_err(|e| BillingError::SigningFailed(e.0))?;
                Ok((fse, sig))
            }));
        }
        let at = format_instant(self.clock.now());
        self.store.write(|tx| {
            Ok(signed
                .into_iter()
                .map(|item| {
                    let (fse, sig) = item?;
                    savepoint(tx, || {
                        fse_rows::record_signature(tx, fse.id, &at, signed_by, &sig, &certificate)
                    })
                })
                .collect())
        })
    }

    /// Groups every signed FSE of the signer's billing number by organism (at most
    /// [`MAX_INVOICES_PER_LOT`] per lot), numbers each lot, writes its B2 file, has it signed
    /// and moves its FSE to `in_lot`. All in one transaction: if one signature fails, no lot
    /// is kept and no number is consumed. Refused for a CPE or a situation without the right
    /// to sign lots.
    pub fn build_and_sign_lots(
        &self,
        signer: &dyn BillingSigner,
    ) -> Result<Vec<Lot>, BillingError> {
        let id = signer.identity();
        check_signer(&id, true)?;
        let certificate = signer
            .certificate_der()
            .map_err(|e| BillingError::SigningFailed(e.0))?;
        let now = self.clock.now();
        self.store.write(|tx| {
            let filter = FseFilter {
                status: Some("signed".into()),
                practitioner: Some(id.billing_number.clone()),
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
                let seq = numbering::next(tx, &id.billing_number, Counter::Lot)?;
                let header = LotHeader {
                    practitioner: id.billing_number.clone(),
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
                    practitioner: id.billing_number.clone(),
                    organism: first.organism.clone(),
                    status: LotStatus::Signed,
                    invoice_count: chunk.len() as u32,
                    total_cents: summary.total_cents,
                    amo_cents: summary.amo_cents,
                    created: format_instant(now),
                    signed_by: id.card_kind,
                    b2_sha256: hex::encode(digest),
                };
                lot.id = lot_rows::insert(
                    tx,
                    &NewLot {
                        lot: &lot,
                        seq,
                        b2: &bytes,
                        signature: &signature,
                        certificate: &certificate,
                    },
                )?;
                let ids: Vec<i64> = chunk.iter().map(|f| f.id).collect();
                fse_rows::put_in_lot(tx, &ids, lot.id)?;
                lots.push(lot);
            }
            Ok(lots)
        })
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
