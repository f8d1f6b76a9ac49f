//! The CPx PIN and signatures, as the API offers them. Every PIN goes to the card at most
//! once per request, inside one reader job; the hub remembers only *who* verified it
//! ([`PinHolder`]: the grant, or the local-socket OS user), never the PIN.
//!
//! A verified PIN belongs to the caller that verified it on this insertion (issue 12,
//! finding 2): anyone else asking for a signature gets `pin_required` before any command
//! reaches the card (its counters untouched), and verifies for itself. With
//! `security.pin_per_signature`, a verification is used up by one signing request
//! ([`consume`]).

use base64::Engine;
use passerelle_protocol::{CardKind, CardSignature, PinCode, PinStatus, PinVerified};

use super::cards::{certificate, cpx};
use super::Caller;
use crate::hub::{Hub, PinHolder};
use passerelle_cards::{self as cards, check_signature, sign_digest, CardError, KeyUse, PinEntry};

/// How the practitioner gives the PIN.
pub enum PinInput {
    /// Typed in the application (wiped from memory when dropped).
    Given(PinCode),
    /// Typed on the reader's PIN pad.
    PinPad,
}

/// The PIN state of the CPx card in `reader`; costs no try.
pub async fn status(hub: &Hub, reader: &str, caller: &Caller) -> Result<PinStatus, CardError> {
    let slot = hub.card_slot(reader)?;
    let (state, pin_pad) = slot
        .worker
        .run(caller.label("pin_status"), |tx| {
            cards::pin_status(tx).map(|state| (state, tx.has_pin_pad()))
        })
        .await??;
    if !state.verified {
        hub.remember(reader, slot.insertion, |m| m.verified_by = None);
    }
    // Verified for this caller: the card says so, and this caller is who verified it.
    let verified = state.verified && holds(hub, reader, caller);
    Ok(PinStatus {
        tries_left: state.tries_left,
        tries_max: state.tries_max,
        verified,
        blocked: state.blocked(),
        secure_pin_entry: pin_pad,
    })
}

/// Verifies the PIN of the CPx card in `reader` (one VERIFY at most, never retried).
pub async fn verify(
    hub: &Hub,
    reader: &str,
    caller: &Caller,
    input: PinInput,
) -> Result<PinVerified, CardError> {
    let slot = hub.card_slot(reader)?;
    let pin_pad = matches!(input, PinInput::PinPad);
    let outcome = slot
        .worker
        .run(caller.label("verify_pin"), move |tx| match &input {
            PinInput::Given(pin) => cards::verify_pin(tx, PinEntry::Given(pin)),
            PinInput::PinPad => cards::verify_pin(tx, PinEntry::PinPad),
        })
        .await?;
    if !matches!(outcome, Err(CardError::InvalidPinFormat { .. })) {
        let holder = outcome.as_ref().ok().and(caller.holder.clone());
        hub.remember(reader, slot.insertion, |m| m.verified_by = holder);
    }
    match &outcome {
        Ok(_) => tracing::info!(reader, client = ?caller.client, "PIN verified"),
        Err(e) => tracing::info!(reader, client = ?caller.client, error = %e, "PIN not verified"),
    }
    let details = match &outcome {
        Ok(v) => serde_json::json!({ "reader": reader, "verified": true,
            "tries_before": v.tries_before, "secure_pin_entry": pin_pad }),
        Err(e) => serde_json::json!({ "reader": reader, "verified": false,
            "error": e.to_string(), "secure_pin_entry": pin_pad }),
    };
    caller
        .audit(
            "pin_verification",
            serial(hub, reader, caller).await,
            details,
        )
        .await;
    let done = outcome?;
    Ok(PinVerified {
        tries_before: done.tries_before,
        tries_left: done.tries_left,
        secure_pin_entry: pin_pad,
    })
}

/// Unblocks the CPx card in `reader` with its unblock code and sets a new PIN.
pub async fn unblock(
    hub: &Hub,
    reader: &str,
    caller: &Caller,
    unblock_code: PinCode,
    new_pin: PinCode,
) -> Result<(), CardError> {
    let slot = hub.card_slot(reader)?;
    let outcome = slot
        .worker
        .run(caller.label("unblock_pin"), move |tx| {
            cards::unblock_pin(tx, &unblock_code, &new_pin)
        })
        .await?;
    hub.remember(reader, slot.insertion, |m| m.verified_by = None);
    tracing::info!(reader, client = ?caller.client, ok = outcome.is_ok(), "PIN unblock");
    caller
        .audit(
            "pin_unblock",
            serial(hub, reader, caller).await,
            serde_json::json!({ "reader": reader, "unblocked": outcome.is_ok() }),
        )
        .await;
    outcome
}

/// Signs `digest` (SHA-256) with the CPS in `reader`, and returns the signature only once
/// it verifies against the card's signature certificate. A CPE never signs.
pub async fn sign(
    hub: &Hub,
    reader: &str,
    caller: &Caller,
    digest: [u8; 32],
) -> Result<CardSignature, CardError> {
    let slot = hub.card_slot(reader)?;
    if slot.card.kind == CardKind::Cpe {
        return Err(CardError::SigningNotAllowed {
            kind: CardKind::Cpe,
        });
    }
    if let Err(e) = require_holder(hub, reader, caller) {
        // Refused before the card: audited like a signature the card refused.
        let serial = slot.memo.cpx.as_ref().map(|c| c.serial.clone());
        let details = serde_json::json!({ "reader": reader, "digest_sha256": hex::encode(digest),
            "signed": false, "error": e.to_string() });
        caller.audit("signature", serial, details).await;
        return Err(e);
    }
    let card = cpx(hub, reader, caller, false).await?;
    let certificate = certificate(hub, reader, &slot, caller, KeyUse::Signature).await?;
    let signed = slot
        .worker
        .run(caller.label("sign"), move |tx| sign_digest(tx, &digest))
        .await?;
    if signed == Err(CardError::PinRequired) {
        hub.remember(reader, slot.insertion, |m| m.verified_by = None);
    }
    let checked = signed.and_then(|signature| {
        check_signature(&certificate, &digest, &signature).map(|()| signature)
    });
    caller
        .audit(
            "signature",
            Some(card.serial.clone()),
            serde_json::json!({ "reader": reader, "digest_sha256": hex::encode(digest),
            "signed": checked.is_ok() }),
        )
        .await;
    let signature = checked?;
    tracing::info!(reader, client = ?caller.client, card = %card.serial, "signature made");
    let b64 = base64::engine::general_purpose::STANDARD;
    Ok(CardSignature {
        algorithm: "RSASSA-PKCS1-v1_5-SHA256".into(),
        signature: b64.encode(&signature),
        certificate: b64.encode(certificate.as_slice()),
        card_serial: card.serial.clone(),
    })
}

/// Whether `caller` is who verified the PIN of the card in `reader` on this insertion.
pub fn holds(hub: &Hub, reader: &str, caller: &Caller) -> bool {
    let Ok(slot) = hub.card_slot(reader) else {
        return false;
    };
    caller.holder.is_some() && slot.memo.verified_by == caller.holder
}

/// `Ok` if `caller` verified the PIN of the card in `reader`, else `pin_required` — decided
/// from memory, before any command reaches the card.
pub fn require_holder(hub: &Hub, reader: &str, caller: &Caller) -> Result<(), CardError> {
    let slot = hub.card_slot(reader)?;
    match caller.holder.is_some() && slot.memo.verified_by == caller.holder {
        true => Ok(()),
        false => {
            tracing::info!(reader, client = ?caller.client, "signature refused: PIN verified by another client or not at all");
            Err(CardError::PinRequired)
        }
    }
}

/// Uses up `caller`'s verification of the PIN of the card in `reader`
/// (`security.pin_per_signature`: one verification, one signing request). The card keeps
/// its own state; the daemon asks for the PIN again before the next signature.
pub fn consume(hub: &Hub, reader: &str, caller: &Caller) {
    if let Ok(slot) = hub.card_slot(reader) {
        let mine: Option<PinHolder> = caller.holder.clone();
        hub.remember(reader, slot.insertion, |m| {
            if mine.is_some() && m.verified_by == mine {
                m.verified_by = None;
            }
        });
    }
}

/// The serial of the CPx card in `reader`, for the audit log (read once per insertion;
/// `None` if it cannot be read now).
async fn serial(hub: &Hub, reader: &str, caller: &Caller) -> Option<String> {
    cpx(hub, reader, caller, false)
        .await
        .ok()
        .map(|card| card.serial.clone())
}
