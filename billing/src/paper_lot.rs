//! The paper duplicate of a lot that failed twice, from what the store keeps: the lot, its
//! FSE, the reason, the sender's address. The PDF itself is [`crate::returns::paper`].

use passerelle_protocol::{Lot, LotStatus};

use crate::clock::paris_date;
use crate::returns::nir::Nir;
use crate::returns::paper::{
    paper_duplicate_pdf, PaperDuplicate, PaperFse, PaperOrganism, PaperPractitioner,
};
use crate::returns::types::{CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism};
use crate::store::{fse_rows, lot_rows, outbox_rows};
use crate::{Billing, BillingError};

impl Billing {
    /// Says that the paper duplicate of lot `id` (which must be `paper`) was printed and
    /// posted to the caisse: the lot stays `paper`, with the day it was posted, and is no
    /// longer reported as waiting for it. Posting it again answers the lot unchanged.
    pub fn mark_paper_posted(&self, id: i64) -> Result<Lot, BillingError> {
        let now = crate::clock::format_instant(self.clock.now());
        self.store.write(|tx| {
            let lot = lot_rows::load(tx, id)?;
            if lot.status != LotStatus::Paper {
                return Err(BillingError::PaperNotNeeded {
                    number: lot.number.clone(),
                    status: crate::outbox::status_in_french(lot.status).to_owned(),
                });
            }
            if lot.paper_posted.is_none() {
                tx.execute(
                    "UPDATE lots SET paper_posted = ?2 WHERE id = ?1",
                    rusqlite::params![id, now],
                )?;
            }
            lot_rows::load(tx, id)
        })
    }

    /// The paper duplicate (PDF) of lot `id`, which must need one (`paper`).
    pub fn paper_duplicate(&self, id: i64) -> Result<Vec<u8>, BillingError> {
        let (lot, fse, reason, from) = self.store.read(|c| {
            let lot = lot_rows::load(c, id)?;
            let reason: Option<String> =
                c.query_row("SELECT paper_reason FROM lots WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            let from = outbox_rows::mail_settings(c, &lot.practitioner)?
                .and_then(|json| {
                    serde_json::from_str::<passerelle_protocol::MailSettings>(&json).ok()
                })
                .map(|s| s.from);
            Ok((lot.clone(), fse_rows::of_lot(c, id)?, reason, from))
        })?;
        if lot.status != LotStatus::Paper {
            return Err(BillingError::PaperNotNeeded {
                number: lot.number.clone(),
                status: crate::outbox::status_in_french(lot.status).to_owned(),
            });
        }
        let bad = |what: &str, e: &dyn std::fmt::Display| {
            BillingError::Storage(format!("duplicata du lot {} ({what}) : {e}", lot.number))
        };
        let o = &lot.organism;
        let organism =
            Organism::new(&o.regime, &o.caisse, &o.centre).map_err(|e| bad("organisme", &e))?;
        let invoices = fse
            .iter()
            .map(|f| {
                let number: i64 = f.number.parse().map_err(|e| bad("numéro de FSE", &e))?;
                let date = crate::clock::parse_date(&f.care_date)
                    .ok_or_else(|| bad("date de soins", &f.care_date))?;
                Ok(PaperFse {
                    fse: FseNumber::new(number).map_err(|e| bad("numéro de FSE", &e))?,
                    care_date: CalendarDate::new(date).map_err(|e| bad("date de soins", &e))?,
                    patient: format!("{} {}", f.patient.last_name, f.patient.first_name),
                    nir: Nir::new(&f.patient.insured_nir).map_err(|e| bad("NIR", &e))?,
                    amount: Cents::new(f.amounts.total_cents).map_err(|e| bad("montant", &e))?,
                })
            })
            .collect::<Result<Vec<_>, BillingError>>()?;
        let number: i64 = lot.number.parse().map_err(|e| bad("numéro de lot", &e))?;
        let duplicate = PaperDuplicate {
            practitioner: PaperPractitioner {
                name: format!("Praticien n° {}", lot.practitioner),
                billing_number: Digits::new(&lot.practitioner)
                    .map_err(|e| bad("numéro de facturation", &e))?,
                address: from.into_iter().collect(),
            },
            organism: PaperOrganism {
                organism,
                label: format!(
                    "Organisme {} (régime {}, caisse {}, centre {})",
                    lot.organism.regime,
                    lot.organism.regime,
                    lot.organism.caisse,
                    lot.organism.centre
                ),
                address: Vec::new(),
            },
            lot: LotNumber::new(number).map_err(|e| bad("numéro de lot", &e))?,
            date: CalendarDate::new(paris_date(self.clock.now())).map_err(|e| bad("date", &e))?,
            reason: reason.unwrap_or_else(|| "Deux échecs de transmission".to_owned()),
            invoices,
        };
        paper_duplicate_pdf(&duplicate).map_err(|e| BillingError::ReturnRefused(e.to_string()))
    }
}
