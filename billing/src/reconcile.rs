//! The reconciliation: over a period, per organism and per patient, where every euro billed
//! stands — paid, rejected, waiting (and of that, overdue) — with the rejection reasons.
//! `billed = paid + rejected + waiting` holds to the cent for every group: an FSE settled by
//! a NOEMIE return counts what was paid and, as rejected, what was not; an FSE without one
//! counts as waiting.

use std::collections::BTreeMap;

use passerelle_protocol::{
    GroupTally, ReasonCount, ReconciledFse, Reconciliation, Settlement, Tally,
};
use rusqlite::params;
use time::Duration;

use crate::clock::{paris_date, parse_date};
use crate::store::returns_rows;
use crate::{Billing, BillingError};

/// Which FSE a reconciliation covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileFilter {
    /// First care date, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last care date.
    pub to: Option<String>,
    /// Organism, 9 digits.
    pub organism: Option<String>,
    /// Insured person's NIR.
    pub patient: Option<String>,
}

/// The FSE a reconciliation reads, in one query, without decoding the FSE bodies: the
/// columns it needs, the patient's name and the AMO part out of the body's JSON, the lot's
/// number and acknowledgement. Every FSE of the period (no listing limit: the totals must
/// be whole). `?1`..`?4`: from, to, organism, patient (NULL: any).
const RECONCILED: &str = "
    SELECT f.id, f.number, f.practitioner, f.care_date, f.patient_nir, f.organism, f.status,
           json_extract(f.body, '$.patient.last_name'),
           json_extract(f.body, '$.patient.first_name'),
           json_extract(f.body, '$.amounts.amo_cents'),
           printf('%03d', l.number), l.acknowledged
    FROM fse f LEFT JOIN lots l ON l.id = f.lot_id
    WHERE f.status IN ('sent', 'acknowledged', 'paid', 'partly_paid', 'rejected')
      AND (?1 IS NULL OR f.care_date >= ?1) AND (?2 IS NULL OR f.care_date <= ?2)
      AND (?3 IS NULL OR f.organism = ?3) AND (?4 IS NULL OR f.patient_nir = ?4)
    ORDER BY f.care_date, f.id";

impl Billing {
    /// The reconciliation of the FSE sent (or further) matching `filter`; an FSE waiting
    /// more than `overdue_days` after its lot's positive ARL is overdue.
    pub fn reconciliation(
        &self,
        filter: &ReconcileFilter,
        overdue_days: i64,
    ) -> Result<Reconciliation, BillingError> {
        let today = paris_date(self.clock.now());
        let mut report = self.store.read(|c| {
            let mut paid: BTreeMap<i64, (i64, Option<String>, String)> = BTreeMap::new();
            let mut unknown = Vec::new();
            for (fse_id, key, _requested, amount, date, reasons) in returns_rows::payments(c)? {
                match fse_id {
                    // The latest payment line of an FSE is where it stands.
                    Some(id) => {
                        paid.insert(id, (amount, date, reasons));
                    }
                    None => unknown.push(key),
                }
            }
            let mut stmt = c.prepare(RECONCILED)?;
            let mut rows = stmt.query(params![
                filter.from,
                filter.to,
                filter.organism,
                filter.patient
            ])?;
            let mut lines = Vec::new();
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                let status: String = r.get(6)?;
                let settlement = match status.as_str() {
                    "paid" => Settlement::Paid,
                    "partly_paid" => Settlement::PartlyPaid,
                    "rejected" => Settlement::Rejected,
                    _ => Settlement::Waiting,
                };
                let organism: String = r.get(5)?;
                let lot_number: Option<String> = r.get(10)?;
                let acknowledged: Option<String> = r.get(11)?;
                let overdue = settlement == Settlement::Waiting
                    && acknowledged
                        .as_deref()
                        .and_then(|ack| parse_date(ack.get(..10)?))
                        .is_some_and(|ack| today > ack + Duration::days(overdue_days));
                let payment = paid.get(&id);
                let settled = settlement != Settlement::Waiting;
                let last: Option<String> = r.get(7)?;
                let first: Option<String> = r.get(8)?;
                let billed: Option<i64> = r.get(9)?;
                let billed = billed.ok_or_else(|| {
                    BillingError::Storage(format!("FSE {id} : montant AMO illisible"))
                })?;
                lines.push(ReconciledFse {
                    fse_id: id,
                    number: crate::numbering::format_fse_number(r.get(1)?),
                    practitioner: r.get(2)?,
                    care_date: r.get(3)?,
                    patient: format!("{} {}", last.unwrap_or_default(), first.unwrap_or_default()),
                    nir: r.get(4)?,
                    organism: crate::store::lot_rows::organism_of(&organism),
                    lot_number,
                    billed_cents: billed,
                    paid_cents: if settled {
                        payment.map_or(0, |p| p.0)
                    } else {
                        0
                    },
                    settlement: if overdue {
                        Settlement::Overdue
                    } else {
                        settlement
                    },
                    payment_date: payment.and_then(|p| p.1.clone()),
                    reasons: payment
                        .map(|p| p.2.lines().map(str::to_owned).collect())
                        .unwrap_or_default(),
                });
            }
            Ok(report(filter, lines, unknown))
        })?;
        // What still needs an attachment over the same care dates (and organism).
        let numbers: std::collections::BTreeSet<i64> =
            report.fse.iter().map(|f| f.fse_id).collect();
        report.missing_attachments = self
            .missing_attachments(filter.from.as_deref(), filter.to.as_deref())?
            .into_iter()
            .filter(|m| {
                filter.organism.is_none() && filter.patient.is_none() || numbers.contains(&m.fse_id)
            })
            .collect();
        Ok(report)
    }
}

/// Adds `fse` to `tally`.
fn count(tally: &mut Tally, fse: &ReconciledFse) {
    tally.count += 1;
    tally.billed_cents += fse.billed_cents;
    match fse.settlement {
        Settlement::Waiting => tally.waiting_cents += fse.billed_cents,
        Settlement::Overdue => {
            tally.waiting_cents += fse.billed_cents;
            tally.overdue_cents += fse.billed_cents;
        }
        Settlement::Paid | Settlement::PartlyPaid | Settlement::Rejected => {
            tally.paid_cents += fse.paid_cents;
            tally.rejected_cents += fse.billed_cents - fse.paid_cents;
        }
    }
}

fn report(
    filter: &ReconcileFilter,
    fse: Vec<ReconciledFse>,
    unknown: Vec<String>,
) -> Reconciliation {
    let mut total = Tally::default();
    let mut by_organism: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_patient: BTreeMap<String, Tally> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u32> = BTreeMap::new();
    for f in &fse {
        count(&mut total, f);
        let o = &f.organism;
        count(
            by_organism
                .entry(format!("{}/{}/{}", o.regime, o.caisse, o.centre))
                .or_default(),
            f,
        );
        count(by_patient.entry(f.nir.clone()).or_default(), f);
        for r in &f.reasons {
            *reasons.entry(r.clone()).or_default() += 1;
        }
    }
    let groups = |m: BTreeMap<String, Tally>| {
        m.into_iter()
            .map(|(key, tally)| GroupTally { key, tally })
            .collect()
    };
    Reconciliation {
        from: filter.from.clone(),
        to: filter.to.clone(),
        total,
        by_organism: groups(by_organism),
        by_patient: groups(by_patient),
        reasons: reasons
            .into_iter()
            .map(|(reason, count)| ReasonCount { reason, count })
            .collect(),
        fse,
        unknown_invoices: unknown,
        missing_attachments: Vec::new(),
    }
}

/// The reconciliation as CSV (`;` separated): one line per FSE.
pub fn to_csv(r: &Reconciliation) -> Result<Vec<u8>, BillingError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let io = |e: csv::Error| BillingError::Storage(e.to_string());
    w.write_record([
        "fse",
        "praticien",
        "date_soins",
        "patient",
        "nir",
        "organisme",
        "lot",
        "facture_centimes",
        "paye_centimes",
        "etat",
        "date_paiement",
        "motifs",
    ])
    .map_err(io)?;
    for f in &r.fse {
        let o = &f.organism;
        let settlement = serde_json::to_value(f.settlement)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        w.write_record([
            f.number.as_str(),
            f.practitioner.as_str(),
            f.care_date.as_str(),
            f.patient.as_str(),
            f.nir.as_str(),
            &format!("{}{}{}", o.regime, o.caisse, o.centre),
            f.lot_number.as_deref().unwrap_or(""),
            &f.billed_cents.to_string(),
            &f.paid_cents.to_string(),
            &settlement,
            f.payment_date.as_deref().unwrap_or(""),
            &f.reasons.join(" | "),
        ])
        .map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| BillingError::Storage(e.to_string()))
}
