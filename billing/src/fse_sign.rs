//! Signing FSE in one go (signature désynchronisée): prepared earlier, possibly by a CPE,
//! signed now by the practitioner's CPS through a [`BillingSigner`], with an optional
//! idempotency key so a retried call never signs an FSE twice.

use passerelle_protocol::{Fse, FseStatus};

use super::clock::format_instant;
use super::error::BillingError;
use super::fse::signature_digest;
use super::lot::check_signer;
use super::service::{check_idempotency_key, MAX_BATCH};
use super::signer::BillingSigner;
use super::state::check_fse;
use super::Billing;
use crate::store::lot_rows::card_kind_name;
use crate::store::{fse_rows, requests, savepoint};

/// What signing one FSE of a batch came to, before the batch is stored.
enum Item {
    /// Already signed under the same idempotency key: answered as it is now.
    Replay(Fse),
    /// Signed now: the FSE and its signature, to store.
    Signed(Fse, Vec<u8>),
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
        self.sign_fse_batch_keyed(signer, ids, None)
    }

    /// [`Billing::sign_fse_batch`] with an idempotency key: an FSE already signed under
    /// `key` is answered as it is, not refused nor signed again, so a client may retry the
    /// same call after a timeout or a crash.
    pub fn sign_fse_batch_keyed(
        &self,
        signer: &dyn BillingSigner,
        ids: &[i64],
        key: Option<&str>,
    ) -> Result<Vec<Result<Fse, BillingError>>, BillingError> {
        if let Some(k) = key {
            check_idempotency_key(k)?;
        }
        if ids.len() > MAX_BATCH {
            return Err(BillingError::invalid(
                "fse",
                format!("au plus {MAX_BATCH} feuilles par demande."),
            ));
        }
        let id = signer.identity();
        check_signer(&id, false)?;
        let certificate = signer
            .certificate_der()
            .map_err(|e| BillingError::SigningFailed(e.0))?;
        let signed_by = card_kind_name(id.card_kind);
        let signed_under = |fse_id: i64| -> Result<bool, BillingError> {
            Ok(key.is_some()
                && self
                    .store
                    .read(|c| requests::fse_sign_key(c, fse_id))?
                    .as_deref()
                    == key)
        };
        let mut items: Vec<Result<Item, BillingError>> = Vec::with_capacity(ids.len());
        for fse_id in ids {
            items.push(self.fse(*fse_id).and_then(|fse| {
                if fse.status != FseStatus::Draft && signed_under(fse.id)? {
                    return Ok(Item::Replay(fse));
                }
                check_fse(&fse.number, fse.status, FseStatus::Signed)?;
                if let Some(part) = &fse.replacement {
                    // Drawn in a replacement session: the substitute signs, with their own
                    // card, while the session is open.
                    self.check_substitute_signer(part, &fse.practitioner.billing_number, &id)?;
                } else if fse.practitioner.billing_number != id.billing_number {
                    return Err(BillingError::SignerNotAllowed(format!(
                        "La feuille {} est facturée sous un autre numéro que celui de la carte.",
                        fse.number
                    )));
                }
                if fse.replacement.is_none() && !id.is(&fse.practitioner) {
                    return Err(BillingError::SignerNotAllowed(format!(
                        "La feuille {} a été préparée pour la situation d'exercice n° {} (zone \
                         tarifaire {}, profession {}) : signez-la avec cette situation-là, pas \
                         la n° {} (zone {}, profession {}).",
                        fse.number,
                        fse.practitioner.situation,
                        fse.practitioner.tariff_zone,
                        fse.practitioner.profession,
                        id.situation,
                        id.tariff_zone,
                        id.profession
                    )));
                }
                let sig = signer
                    .sign_sha256(&signature_digest(&fse))
                    .map_err(|e| BillingError::SigningFailed(e.0))?;
                Ok(Item::Signed(fse, sig))
            }));
        }
        let at = format_instant(self.clock.now());
        self.store.write(|tx| {
            Ok(items
                .into_iter()
                .map(|item| match item? {
                    Item::Replay(fse) => Ok(fse),
                    Item::Signed(fse, sig) => savepoint(tx, || {
                        let signed = fse_rows::record_signature(
                            tx,
                            fse.id,
                            &at,
                            signed_by,
                            &sig,
                            &certificate,
                        )?;
                        if let Some(k) = key {
                            requests::set_fse_sign_key(tx, fse.id, k)?;
                        }
                        Ok(signed)
                    })
                    .or_else(|e| {
                        // Signed meanwhile by the same keyed call, retried concurrently.
                        match key {
                            Some(k)
                                if requests::fse_sign_key(tx, fse.id)?.as_deref() == Some(k) =>
                            {
                                fse_rows::load(tx, fse.id)
                            }
                            _ => Err(e),
                        }
                    }),
                })
                .collect())
        })
    }
}
