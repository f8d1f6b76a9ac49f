//! The card service: card operations as a billing application asks for them, over the
//! [`hub`](crate::hub) (which reader holds which card, what is known of it) and the reader
//! workers (one job at a time per reader). It knows nothing of HTTP: the API calls it and
//! converts its [`CardError`](crate::cards::CardError)s once, at the edge.

pub mod billing_signer;
pub mod cards;
pub mod pin;

use crate::transport::worker::JobLabel;

/// Who asks for an operation, as shown in the reader's queue and the logs.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// The client's origin or name, when known.
    pub client: Option<String>,
}

impl Caller {
    /// The queue label of `operation` run for this caller.
    pub fn label(&self, operation: &'static str) -> JobLabel {
        JobLabel {
            operation,
            client: self.client.clone(),
        }
    }
}
