//! Billing: FSE drawn up from priced acts, signed, grouped into lots written as B2 files.
//!
//! Bottom up: [`tariffs`] (the embedded tariff table) → [`acts`] (pricing one act) →
//! [`fse`] (checking a draft, amounts, the modelled signature input) → [`state`] (the only
//! allowed moves) → [`numbering`] → [`b2`] (pure writer and checker) → [`lot`] and
//! [`service`] (over the [`store`](crate::store)). Signing goes through [`BillingSigner`],
//! implemented by the card layer; [`signer::FixtureSigner`] signs with the test keys.
//!
//! Modelled (the SESAM-Vitale specification is restricted): the FSE and lot signature
//! inputs, the B2 record layout, nature and mode codes. Each sits in one place.

pub mod acts;
pub mod b2;
pub mod calendar;
pub mod clock;
pub mod error;
pub mod export;
pub mod fse;
pub mod fse_sign;
pub mod lot;
pub mod numbering;
pub mod samples;
pub mod service;
pub mod signer;
pub mod state;
pub mod tariffs;

pub use clock::{Clock, FixedClock, SystemClock};
pub use error::BillingError;
pub use service::{Billing, FseFilter};
pub use signer::{BillingSigner, FixtureSigner, SignError, SignerIdentity};
