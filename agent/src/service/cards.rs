//! Reading the cards, once per insertion, and opening the Vitale protected zone with a
//! verified CPx card when one is present.

use std::sync::Arc;

use passerelle_protocol::{CardKind, CpxCard, VitaleCard};

use super::Caller;
use crate::hub::{CardSlot, Hub};
use passerelle_cards::vitale_auth::{cpx_authenticate, open_protected_zone, vitale_challenge};
use passerelle_cards::{read_certificate, read_cpx, read_vitale, CardError, KeyUse};

/// Why the rights were not read when no CPx card could open the protected zone.
const NO_VERIFIED_CPX: &str = "Droits non lus : la carte Vitale ne les montre qu'à une carte de professionnel (CPS, CPE ou CPF) insérée dans un autre lecteur et dont le code PIN a été saisi.";

/// The Carte Vitale in `reader`. Served from memory when this insertion was already read,
/// unless `refresh`, or unless the rights were missing and a verified CPx card is now
/// present (then the protected zone is opened and the card read again). A failed read
/// caches nothing.
pub async fn vitale(
    hub: &Hub,
    reader: &str,
    caller: &Caller,
    refresh: bool,
) -> Result<Arc<VitaleCard>, CardError> {
    let slot = hub.card_slot(reader)?;
    let cpx = hub
        .verified_cpx()
        .into_iter()
        .find(|(name, _)| name != reader);
    if let Some(card) = &slot.memo.vitale {
        if !refresh && (card.rights.is_some() || cpx.is_none()) {
            return Ok(card.clone());
        }
    }
    let authentication = match (&cpx, slot.card.kind) {
        (Some((name, cpx)), CardKind::Vitale) => authenticate(hub, &slot, name, cpx, caller).await,
        _ => Err(NO_VERIFIED_CPX.to_owned()),
    };
    let read = slot
        .worker
        .run(caller.label("read_vitale"), move |tx| {
            let reason = match authentication {
                Ok((certificate, signature)) => open_protected_zone(tx, &certificate, &signature)
                    .map_err(|e| format!("Droits non lus : {e}")),
                Err(reason) => Err(reason),
            };
            read_vitale(tx).map(|card| (card, reason.err()))
        })
        .await?;
    let (mut card, reason) = read.inspect_err(|e| {
        tracing::info!(reader, error = %e, "Vitale read failed");
    })?;
    if card.rights.is_none() {
        card.rights_unavailable = reason.or_else(|| Some(NO_VERIFIED_CPX.to_owned()));
    }
    let card = Arc::new(card);
    hub.remember(reader, slot.insertion, |m| m.vitale = Some(card.clone()));
    Ok(card)
}

/// The CPx card in `cpx_reader` (PIN verified) signs a challenge of the Vitale card:
/// its authentication certificate and the signature, or why not (in French). A CPx card
/// that answers "PIN required" is no longer counted as verified.
async fn authenticate(
    hub: &Hub,
    vitale: &CardSlot,
    cpx_reader: &str,
    cpx: &CardSlot,
    caller: &Caller,
) -> Result<(Arc<Vec<u8>>, Vec<u8>), String> {
    let failed = |e: CardError| format!("Droits non lus : {e}");
    let challenge = vitale
        .worker
        .run(caller.label("vitale_challenge"), vitale_challenge)
        .await
        .map_err(CardError::from)
        .and_then(|r| r)
        .map_err(failed)?;
    let certificate = certificate(hub, cpx_reader, cpx, caller, KeyUse::Authentication)
        .await
        .map_err(failed)?;
    let signed = cpx
        .worker
        .run(caller.label("cpx_authenticate"), move |tx| {
            cpx_authenticate(tx, &challenge)
        })
        .await
        .map_err(CardError::from)
        .and_then(|r| r);
    if signed == Err(CardError::PinRequired) {
        hub.remember(cpx_reader, cpx.insertion, |m| m.verified_by = None);
    }
    Ok((certificate, signed.map_err(failed)?))
}

/// The CPx card in `reader`: from memory when this insertion was already read.
pub async fn cpx(
    hub: &Hub,
    reader: &str,
    caller: &Caller,
    refresh: bool,
) -> Result<Arc<CpxCard>, CardError> {
    let slot = hub.card_slot(reader)?;
    if let (Some(card), false) = (&slot.memo.cpx, refresh) {
        return Ok(card.clone());
    }
    let card = slot
        .worker
        .run(caller.label("read_cpx"), read_cpx)
        .await?
        .inspect_err(|e| tracing::info!(reader, error = %e, "CPx read failed"))?;
    let card = Arc::new(card);
    hub.remember(reader, slot.insertion, |m| m.cpx = Some(card.clone()));
    Ok(card)
}

/// A certificate of the CPx card in `reader` (DER), from memory when already read.
pub async fn certificate(
    hub: &Hub,
    reader: &str,
    slot: &CardSlot,
    caller: &Caller,
    which: KeyUse,
) -> Result<Arc<Vec<u8>>, CardError> {
    let known = match which {
        KeyUse::Signature => &slot.memo.signature_certificate,
        KeyUse::Authentication => &slot.memo.authentication_certificate,
    };
    if let Some(der) = known {
        return Ok(der.clone());
    }
    let der = Arc::new(
        slot.worker
            .run(caller.label("read_certificate"), move |tx| {
                read_certificate(tx, which)
            })
            .await??,
    );
    hub.remember(reader, slot.insertion, |m| match which {
        KeyUse::Signature => m.signature_certificate = Some(der.clone()),
        KeyUse::Authentication => m.authentication_certificate = Some(der.clone()),
    });
    Ok(der)
}
