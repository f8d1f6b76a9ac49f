//! The card service: card operations as a billing application asks for them, over the
//! [`hub`](crate::hub) (which reader holds which card, what is known of it) and the reader
//! workers (one job at a time per reader). It knows nothing of HTTP: the API calls it and
//! converts its [`CardError`](passerelle_cards::CardError)s once, at the edge.

pub mod billing_signer;
pub mod cards;
pub mod pin;

use passerelle_protocol::AuditActor;

use crate::hub::worker::JobLabel;
use crate::hub::PinHolder;

/// Who asks for an operation, as shown in the reader's queue, the logs and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The client's name and origin, when known.
    pub client: Option<String>,
    /// The same, for the audit log (origin or OS user, grant id; never a token).
    pub actor: AuditActor,
    /// Who a PIN this caller verifies belongs to (`None`: it cannot hold one).
    pub holder: Option<PinHolder>,
}

impl Caller {
    /// The queue label of `operation` run for this caller.
    pub fn label(&self, operation: &'static str) -> JobLabel {
        JobLabel {
            operation,
            client: self.client.clone(),
        }
    }

    /// Records `action` on the card of `reader` in the audit log, with the card serial
    /// when known; returns once the line is written.
    pub async fn audit(
        &self,
        action: &str,
        card_serial: Option<String>,
        details: serde_json::Value,
    ) {
        let actor = AuditActor {
            card_serial,
            ..self.actor.clone()
        };
        crate::audit::record(action, actor, details).written().await;
    }
}
