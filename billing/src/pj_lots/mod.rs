//! PJ lots (SCOR): the scanned attachments leave in their own lots, per practitioner and
//! organism, only once the lot that carried their FSE has its positive ARL; each PJ lot
//! goes through the outbox like a lot of FSE (same IRIS envelope, same worker) and is
//! followed by its ARL PJ ([`arl`]): sent again after a negative one or none in 2 working
//! days, tried for 5 working days from its first attempt, then on paper. Attachments are
//! purged 90 days after their positive ARL PJ ([`Billing::purge_attachments`]); the FSE and
//! lots are never purged here.
//!
//! Modelled (the SCOR norm is restricted): one PJ lot holds at most [`MAX_PJ_LOT_BYTES`] of
//! PDF (a single bigger attachment goes alone), its number comes from its own 3-digit
//! sequence per practitioner, and it is not signed with the CPS.

mod arl;

pub use arl::PjApplied;

use std::collections::BTreeMap;

use passerelle_protocol::{
    AttemptReason, OutboxAttempt, PjLot, PjLotDetail, PjLotItem, PjLotStatus,
};
use rusqlite::params;

use crate::calendar::add_working_days;
use crate::clock::{format_date, format_instant, paris_date};
use crate::numbering::{self, lot_number, Counter};
use crate::outbox::insert_attempt;
use crate::store::outbox_rows::{self, Carried};
use crate::store::pj_lot_rows::{self, NewPjLot};
use crate::{Billing, BillingError};

/// Most PDF bytes in one PJ lot (modelled: keeps the encrypted, twice base64-encoded mail
/// under the 10 MB many mail servers accept).
pub const MAX_PJ_LOT_BYTES: u64 = 4 * 1024 * 1024;
/// Working days a PJ lot is tried electronically, from its first attempt (seed 001).
pub const RETRY_WORKING_DAYS: u32 = 5;
/// Days an attachment is kept after its positive ARL PJ (seed 001, DOMAIN.md).
pub const KEEP_DAYS: i64 = 90;
/// Most PJ lots `GET /v1/pj-lots` lists.
pub const MAX_LISTED: u32 = 1000;

/// An attachment ready to leave: its FSE lot is acknowledged.
struct Ready {
    attachment_id: i64,
    bytes: u64,
}

impl Billing {
    /// Makes PJ lots of the attachments whose FSE lot is acknowledged and queues each in the
    /// outbox (one transaction): answers the new PJ lots with their attempts.
    pub fn build_pj_lots(&self) -> Result<Vec<(PjLot, OutboxAttempt)>, BillingError> {
        let now = self.clock.now();
        let stamp = format_instant(now);
        let today = paris_date(now);
        let retry_until = add_working_days(today, RETRY_WORKING_DAYS)
            .map(format_date)
            .unwrap_or_default();
        self.store.write(|tx| {
            let mut groups: BTreeMap<(String, String), Vec<Ready>> = BTreeMap::new();
            {
                let mut stmt = tx.prepare_cached(
                    "SELECT a.id, a.bytes, l.practitioner, l.organism FROM attachments a \
                     JOIN fse f ON f.id = a.fse_id JOIN lots l ON l.id = f.lot_id \
                     WHERE a.state = 'waiting' AND l.status = 'acknowledged' ORDER BY a.id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok((
                        (r.get::<_, String>(2)?, r.get::<_, String>(3)?),
                        Ready {
                            attachment_id: r.get(0)?,
                            bytes: r.get(1)?,
                        },
                    ))
                })?;
                for row in rows {
                    let (key, ready) = row?;
                    groups.entry(key).or_default().push(ready);
                }
            }
            let mut made = Vec::new();
            for ((practitioner, organism), ready) in groups {
                for chunk in chunks(ready) {
                    let seq = numbering::next(tx, &practitioner, Counter::PjLot)?;
                    let id = pj_lot_rows::insert(
                        tx,
                        &NewPjLot {
                            practitioner: &practitioner,
                            seq,
                            number: lot_number(seq),
                            organism: &organism,
                            created: &stamp,
                            retry_until: &retry_until,
                        },
                    )?;
                    for (i, a) in chunk.iter().enumerate() {
                        pj_lot_rows::add_item(tx, id, a.attachment_id, i as u32 + 1)?;
                    }
                    let lot = pj_lot_rows::load(tx, id)?;
                    let attempt = insert_attempt(
                        tx,
                        Carried::PjLot(id),
                        &practitioner,
                        &lot.number,
                        AttemptReason::First,
                        &stamp,
                    )?;
                    made.push((lot, attempt));
                }
            }
            Ok(made)
        })
    }

    /// The latest PJ lots, newest first, optionally of one status.
    pub fn pj_lots(
        &self,
        status: Option<PjLotStatus>,
        limit: u32,
    ) -> Result<Vec<PjLot>, BillingError> {
        self.store
            .read(|c| pj_lot_rows::latest(c, status, limit.min(MAX_LISTED)))
    }

    /// PJ lot `id` and every attempt to send it.
    pub fn pj_lot_detail(&self, id: i64) -> Result<PjLotDetail, BillingError> {
        self.store.read(|c| {
            Ok(PjLotDetail {
                pj_lot: pj_lot_rows::load(c, id)?,
                attempts: outbox_rows::of(c, Carried::PjLot(id))?,
            })
        })
    }

    /// The attachments of PJ lot `id` with their PDF, in order (what its message carries).
    pub fn pj_lot_files(&self, id: i64) -> Result<Vec<(PjLotItem, Vec<u8>)>, BillingError> {
        self.store.read(|c| pj_lot_rows::files(c, id))
    }

    /// Says that the attachments of PJ lot `id`, on paper, were printed and posted: the PJ
    /// lot and its attachments are `posted`, kept [`KEEP_DAYS`] from today (seed 001: 90
    /// days from the postal sending). Posting a posted lot again answers it unchanged.
    pub fn mark_pj_lot_posted(&self, id: i64) -> Result<PjLot, BillingError> {
        let now = self.clock.now();
        let (stamp, today) = (format_instant(now), paris_date(now));
        self.store.write(|tx| {
            let lot = pj_lot_rows::load(tx, id)?;
            match lot.status {
                PjLotStatus::Posted => return Ok(lot),
                PjLotStatus::Paper => {}
                other => {
                    return Err(BillingError::Attachment {
                        code: passerelle_protocol::ErrorCode::PjLotNotOnPaper,
                        message: format!(
                            "Le lot de pièces jointes {} n'est pas à envoyer sur papier : il est \
                             « {} ».",
                            lot.number,
                            pj_lot_rows::status_name(other)
                        ),
                        details: serde_json::json!({ "status": other }),
                    })
                }
            }
            let purge_on = format_date(today + time::Duration::days(KEEP_DAYS));
            tx.execute(
                "UPDATE pj_lots SET posted = ?2 WHERE id = ?1",
                params![id, stamp],
            )?;
            tx.execute(
                "UPDATE attachments SET purge_on = ?2 WHERE pj_lot_id = ?1",
                params![id, purge_on],
            )?;
            pj_lot_rows::transition(tx, id, PjLotStatus::Posted)
        })
    }

    /// Purges the PDF of every attachment whose keeping time is over (90 days after its
    /// positive ARL PJ, or after it was posted): its checksum, size and history stay. An
    /// attachment neither acknowledged nor posted is never purged. Answers the purged ids.
    pub fn purge_attachments(&self) -> Result<Vec<i64>, BillingError> {
        let now = self.clock.now();
        let (today, stamp) = (format_date(paris_date(now)), format_instant(now));
        self.store.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "UPDATE attachments SET pdf = x'', state = 'purged', purged = ?2 \
                 WHERE state IN ('acknowledged', 'posted') AND purge_on IS NOT NULL \
                   AND purge_on <= ?1 \
                 RETURNING id",
            )?;
            let ids = stmt.query_map(params![today, stamp], |r| r.get(0))?;
            Ok(ids.collect::<Result<Vec<i64>, _>>()?)
        })
    }
}

/// Splits `ready` into PJ lots of at most [`MAX_PJ_LOT_BYTES`] (and 99,999 attachments, the
/// subject's count), in order.
fn chunks(ready: Vec<Ready>) -> Vec<Vec<Ready>> {
    let mut out: Vec<Vec<Ready>> = Vec::new();
    let mut size = 0u64;
    for r in ready {
        let full = out.last().is_none_or(|last| {
            last.len() >= 99_999 || (!last.is_empty() && size + r.bytes > MAX_PJ_LOT_BYTES)
        });
        if full {
            out.push(Vec::new());
            size = 0;
        }
        size += r.bytes;
        if let Some(last) = out.last_mut() {
            last.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests;
