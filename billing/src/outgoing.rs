//! What an outbox attempt carries, as the worker needs it: a lot of FSE or a PJ lot, with
//! what both have (id, number, sending practitioner, destination).

use passerelle_protocol::{Lot, Organism, PjLot};

use crate::store::outbox_rows::Carried;
use crate::store::{lot_rows, pj_lot_rows};
use crate::BillingError;

/// What an attempt carries, as the worker needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingLot {
    /// A lot of FSE.
    Fse(Lot),
    /// A PJ lot.
    Pj(PjLot),
}

impl OutgoingLot {
    /// Its local id (in its own table).
    pub fn id(&self) -> i64 {
        match self {
            OutgoingLot::Fse(l) => l.id,
            OutgoingLot::Pj(p) => p.id,
        }
    }

    /// Its number (3 digits).
    pub fn number(&self) -> &str {
        match self {
            OutgoingLot::Fse(l) => &l.number,
            OutgoingLot::Pj(p) => &p.number,
        }
    }

    /// The practitioner whose mailbox sends it.
    pub fn practitioner(&self) -> &str {
        match self {
            OutgoingLot::Fse(l) => &l.practitioner,
            OutgoingLot::Pj(p) => &p.practitioner,
        }
    }

    /// Its destination.
    pub fn organism(&self) -> &Organism {
        match self {
            OutgoingLot::Fse(l) => &l.organism,
            OutgoingLot::Pj(p) => &p.organism,
        }
    }

    /// The lot of FSE it is, if it is one.
    pub fn fse_lot(self) -> Option<Lot> {
        match self {
            OutgoingLot::Fse(l) => Some(l),
            OutgoingLot::Pj(_) => None,
        }
    }

    pub(crate) fn load(
        conn: &rusqlite::Connection,
        carried: Carried,
    ) -> Result<Self, BillingError> {
        Ok(match carried {
            Carried::Lot(id) => OutgoingLot::Fse(lot_rows::load(conn, id)?),
            Carried::PjLot(id) => OutgoingLot::Pj(pj_lot_rows::load(conn, id)?),
        })
    }
}
