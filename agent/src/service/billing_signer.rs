//! The CPS in a reader as the billing layer's [`BillingSigner`]: what the blocking billing
//! calls ([`Billing::sign_fse_batch_keyed`](passerelle_billing::Billing::sign_fse_batch_keyed),
//! [`Billing::build_and_sign_lots_keyed`](passerelle_billing::Billing::build_and_sign_lots_keyed))
//! sign with, inside `spawn_blocking`.
//!
//! [`CardSigner::prepare`] reads, asynchronously and before any billing work, the card, the
//! chosen situation, the PIN state and the signature certificate; each signature is then one
//! [`pin::sign`] job on the reader, run with `Handle::block_on` from the blocking thread.
//! The first card failure is kept ([`CardSigner::failure`]) so the API answers with the
//! card's own error code, and no further signature is asked of that card in the call.

use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::runtime::Handle;

use super::{cards, pin, Caller};
use crate::hub::Hub;
use passerelle_billing::lot::check_signer;
use passerelle_billing::{BillingError, BillingSigner, SignError, SignerIdentity};
use passerelle_cards::transport::TransportError;
use passerelle_cards::{CardError, KeyUse};

/// Why the card in the reader cannot sign for billing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerSetupError {
    /// The card answered with an error (no card, PIN not verified, card pulled out...).
    #[error(transparent)]
    Card(CardError),
    /// Billing refuses this card or situation (CPE, no right to sign, unknown situation).
    #[error(transparent)]
    Billing(BillingError),
}

impl From<CardError> for SignerSetupError {
    fn from(e: CardError) -> Self {
        SignerSetupError::Card(e)
    }
}

impl From<BillingError> for SignerSetupError {
    fn from(e: BillingError) -> Self {
        SignerSetupError::Billing(e)
    }
}

/// A CPS (or CPF) in a reader, PIN verified, signing for billing.
pub struct CardSigner {
    hub: Arc<Hub>,
    reader: String,
    caller: Caller,
    handle: Handle,
    identity: SignerIdentity,
    certificate: Vec<u8>,
    failure: Mutex<Option<CardError>>,
}

impl CardSigner {
    /// Prepares the card in `reader` to sign as situation `situation`, for lots when `lot`
    /// (else for FSE): reads the card (from memory when already read), checks that this
    /// card kind and situation may sign, that the PIN is verified — by this caller, on this
    /// insertion — and reads the signature certificate. Must run inside the tokio runtime.
    pub async fn prepare(
        hub: Arc<Hub>,
        reader: &str,
        caller: &Caller,
        situation: u8,
        lot: bool,
    ) -> Result<CardSigner, SignerSetupError> {
        // The PIN must be this caller's, decided before any command reaches the card.
        pin::require_holder(&hub, reader, caller)?;
        let card = cards::cpx(&hub, reader, caller, false).await?;
        let identity = SignerIdentity::from_card(&card, situation).ok_or_else(|| {
            BillingError::invalid(
                "situation",
                format!("la carte n'a pas de situation d'exercice n° {situation}."),
            )
        })?;
        check_signer(&identity, lot)?;
        if !pin::status(&hub, reader, caller).await?.verified {
            return Err(CardError::PinRequired.into());
        }
        let slot = hub.card_slot(reader).map_err(CardError::from)?;
        let certificate =
            cards::certificate(&hub, reader, &slot, caller, KeyUse::Signature).await?;
        Ok(CardSigner {
            hub,
            reader: reader.to_owned(),
            caller: caller.clone(),
            handle: Handle::current(),
            identity,
            certificate: certificate.as_ref().clone(),
            failure: Mutex::new(None),
        })
    }

    /// The first card error met while signing, if any.
    pub fn failure(&self) -> Option<CardError> {
        self.failure
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn fail(&self, e: CardError) -> SignError {
        let message = e.to_string();
        let mut kept = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        kept.get_or_insert(e);
        SignError(message)
    }
}

impl BillingSigner for CardSigner {
    fn identity(&self) -> SignerIdentity {
        self.identity.clone()
    }

    /// One signature by the card (blocks this thread: call it from `spawn_blocking`).
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        if let Some(e) = self.failure() {
            return Err(SignError(e.to_string()));
        }
        let signed = self
            .handle
            .block_on(pin::sign(&self.hub, &self.reader, &self.caller, *digest))
            .map_err(|e| self.fail(e))?;
        let b64 = base64::engine::general_purpose::STANDARD;
        // The card checked the signature against its certificate; it must still be the
        // card prepared: another one inserted meanwhile counts as the card pulled out.
        if b64.decode(&signed.certificate).ok().as_deref() != Some(self.certificate.as_slice()) {
            return Err(self.fail(CardError::Transport(TransportError::CardRemoved)));
        }
        b64.decode(&signed.signature)
            .map_err(|_| self.fail(CardError::SignatureNotVerified))
    }

    fn certificate_der(&self) -> Result<Vec<u8>, SignError> {
        Ok(self.certificate.clone())
    }
}
