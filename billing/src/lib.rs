//! Billing: FSE drawn up from priced acts, signed, grouped into lots written as B2 files.
//!
//! Bottom up: [`tariffs`] (the embedded, sourced tariff table) and [`practice`] (zone,
//! profession) → [`acts`] (pricing one act and its surcharges) → [`session`] (several acts
//! in one session) → [`rights`], [`facts`], [`coverage`] (the AMO rate of each act from the
//! nature and the rights) → [`amounts`] (AMO, AMC, patient parts) → [`fse`] (checking a
//! draft, the modelled signature input) → [`state`] (the only allowed moves) →
//! [`numbering`] → [`b2`] (pure writer and checker) → [`lot`] and [`service`] (over the
//! SQLite [`store`]). Signing goes through [`BillingSigner`],
//! implemented by the daemon over the CPS in a reader; [`signer::KeySigner`] signs with a
//! key held in memory (the tests give it the simulated cards' test keys).
//!
//! No cards, no HTTP, no async runtime: the daemon calls this layer from blocking threads.
//!
//! Modelled (the SESAM-Vitale specification is restricted): the FSE and lot signature
//! inputs, the B2 record layout, nature, mode and exoneration codes, the tariff zone codes,
//! the AMC contract kinds, the rounding of the parts. Each sits in one place.

#![forbid(unsafe_code)]

pub mod acts;
pub mod amounts;
pub mod assistants;
pub mod attachments;
pub mod b2;
pub mod calendar;
pub mod clock;
pub mod coverage;
pub mod error;
pub mod export;
pub mod facts;
pub mod fse;
pub mod fse_sign;
pub mod inbox;
pub mod lot;
pub mod mail;
pub mod numbering;
pub mod outbox;
pub mod outgoing;
pub mod paper_lot;
pub mod pj_lots;
pub mod practice;
pub mod reconcile;
pub mod replacement;
pub mod returns;
pub mod rights;
pub mod samples;
pub mod service;
pub mod session;
pub mod signer;
pub mod state;
pub mod store;
pub mod tariffs;
#[cfg(test)]
mod test_support;

pub use clock::{Clock, FixedClock, ShiftedClock, SystemClock};
pub use error::BillingError;
pub use rights::{NoRights, ResolvedRights, RightsLookup};
pub use service::{Billing, FseFilter};
pub use signer::{BillingSigner, KeySigner, SignError, SignerIdentity};
