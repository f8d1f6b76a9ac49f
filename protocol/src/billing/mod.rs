//! Billing on the wire: FSE (feuilles de soins électroniques), acts, baskets, lots.
//! [`fse`] holds an FSE and its parts, [`lots`] the grouped calls, baskets and lots,
//! [`signing`] the signing calls with the CPS, [`transmission`] the outbox, the mail
//! settings and the daily emission, [`attachments`] the scanned attachments (SCOR) and
//! [`pj_lots`] the PJ lots that carry them.
//!
//! Money is always integer cents (`*_cents`), never floats. Dates are `YYYY-MM-DD`,
//! instants RFC 3339 (UTC). NGAP coefficients are decimal strings (`"7.5"`, at most two
//! decimals) so no client float ever reaches a price. The FSE and lot signature inputs and
//! the B2 layout are restricted by the SESAM-Vitale specification: Passerelle models them
//! (see the agent's `billing` module).

pub(crate) mod attachment_paths;
pub mod attachments;
pub mod coverage;
pub mod fse;
pub mod lots;
pub(crate) mod paths;
pub mod pj_lots;
pub mod record;
pub mod replacement;
pub(crate) mod replacement_paths;
pub mod returns;
pub mod signing;
pub mod transmission;
pub(crate) mod transmission_paths;

pub use attachments::*;
pub use coverage::*;
pub use fse::*;
pub use lots::*;
pub use pj_lots::*;
pub use record::*;
pub use replacement::*;
pub use returns::*;
pub use signing::*;
pub use transmission::*;
