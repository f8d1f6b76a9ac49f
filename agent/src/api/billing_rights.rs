//! The rights a draft names, as the daemon finds them: a Carte Vitale it read (from the
//! card memo, while the card is in a reader) or an online answer it gave (kept a day). The
//! client names them; it never sends rights itself.

use std::sync::Arc;

use passerelle_billing::rights::unknown_reference;
use passerelle_billing::{BillingError, ResolvedRights, RightsLookup};
use passerelle_protocol::{RightsOrigin, RightsRef, VitaleCard};

use crate::hub::Hub;
use crate::rights::OnlineAnswers;

/// The daemon's card memo and online answers, as billing's [`RightsLookup`].
pub struct DaemonRights {
    /// Readers and what was read from their cards.
    pub hub: Arc<Hub>,
    /// Online answers by reference.
    pub online: Arc<OnlineAnswers>,
}

fn resolved(
    card: &VitaleCard,
    origin: RightsOrigin,
    reference: Option<String>,
    modelled: bool,
) -> Result<ResolvedRights, BillingError> {
    let rights = card.rights.clone().ok_or_else(|| {
        unknown_reference(
            "la carte Vitale a été lue sans ses droits : vérifiez le code PIN de la CPS, puis \
             relisez la carte (?refresh=true).",
        )
    })?;
    Ok(ResolvedRights {
        origin,
        card_serial: (origin == RightsOrigin::Vitale).then(|| card.serial.clone()),
        reference,
        modelled,
        nir: card.nir.value.clone(),
        beneficiaries: card.beneficiaries.clone(),
        rights,
    })
}

impl RightsLookup for DaemonRights {
    fn resolve(&self, r: &RightsRef) -> Result<ResolvedRights, BillingError> {
        match r {
            RightsRef::Vitale { card_serial } => {
                let card = self.hub.vitale_read(card_serial).ok_or_else(|| {
                    unknown_reference(&format!(
                        "la carte Vitale n° {card_serial} n'est pas dans un lecteur ou n'a pas \
                         été lue : insérez-la et lisez-la avec la CPS (code PIN vérifié)."
                    ))
                })?;
                resolved(&card, RightsOrigin::Vitale, None, false)
            }
            RightsRef::Online { reference } => {
                let answer = self.online.get(reference).ok_or_else(|| {
                    unknown_reference(&format!(
                        "aucune réponse de droits en ligne de référence « {reference} » (inconnue \
                         ou de plus d'un jour) : interrogez à nouveau POST /v1/rights."
                    ))
                })?;
                let origin = match answer.service.as_str() {
                    "apcv" => RightsOrigin::Apcv,
                    _ => RightsOrigin::Adri,
                };
                resolved(
                    &answer.card,
                    origin,
                    Some(answer.reference.clone()),
                    answer.modelled,
                )
            }
        }
    }
}

#[cfg(test)]
#[path = "billing_rights_tests.rs"]
mod tests;
