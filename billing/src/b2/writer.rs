//! Writing the B2 file of one lot from its FSE.

use passerelle_protocol::{Fse, FseMode, InsuranceNature, Organism, RateBasis, RightsOrigin};
use time::OffsetDateTime;

use super::layout::{
    ACT, FILE_HEADER, FILE_TRAILER, INVOICE_END, INVOICE_START, LOT_END, LOT_HEADER, REPLACEMENT,
};
use super::{encode, B2Error, Value, RECORD_LEN};
use crate::clock::paris_time;

/// Modelled norm tag written in the file header.
pub const NORM: &str = "B2MOD1";

/// What the lot header and file header say.
#[derive(Debug, Clone)]
pub struct LotHeader {
    /// Billing number of the practitioner (emitter).
    pub practitioner: String,
    /// Lot number 1..=999.
    pub lot_number: i64,
    /// Destination organism.
    pub organism: Organism,
    /// When the file is made.
    pub created: OffsetDateTime,
}

/// The B2 file (`000`, `1`, per FSE `2` [`4`] `3`… `5`, `6`, `999`) of one lot. Pure: the same
/// input always gives the same bytes.
pub fn write_lot(header: &LotHeader, invoices: &[Fse]) -> Result<Vec<u8>, B2Error> {
    let acts: usize = invoices.iter().map(|f| f.acts.len()).sum();
    let replacements = invoices.iter().filter(|f| f.replacement.is_some()).count();
    let record_count = 4 + 2 * invoices.len() + acts + replacements;
    let mut out = Vec::with_capacity(record_count * RECORD_LEN);
    // The date and time of the file are the practitioner's, in Paris (never UTC: a lot made
    // at 00:30 in Paris is of that day).
    let c = paris_time(header.created);
    let date =
        i64::from(c.year()) * 10_000 + i64::from(u8::from(c.month())) * 100 + i64::from(c.day());
    let time = i64::from(c.hour()) * 10_000 + i64::from(c.minute()) * 100 + i64::from(c.second());
    use Value::{Num, Text};
    out.extend(encode(
        &FILE_HEADER,
        &[
            Text("PS"),
            Text(&header.practitioner),
            Text(NORM),
            Num(date),
            Num(time),
        ],
    )?);
    let o = &header.organism;
    out.extend(encode(
        &LOT_HEADER,
        &[
            Num(header.lot_number),
            Text(&o.regime),
            Text(&o.caisse),
            Text(&o.centre),
            Text(&header.practitioner),
            Num(date),
        ],
    )?);
    let (mut total, mut amo, mut tp, mut amc) = (0i64, 0i64, 0i64, 0i64);
    for fse in invoices {
        write_invoice(&mut out, fse)?;
        total += fse.amounts.total_cents;
        amo += fse.amounts.amo_cents;
        tp += fse.amounts.tiers_payant_cents;
        amc += fse.amounts.amc_cents;
    }
    let count = invoices.len() as i64;
    out.extend(encode(
        &LOT_END,
        &[
            Num(header.lot_number),
            Num(count),
            Num(total),
            Num(amo),
            Num(tp),
            Num(amc),
        ],
    )?);
    out.extend(encode(
        &FILE_TRAILER,
        &[
            Num(1),
            Num(count),
            Num(record_count as i64),
            Num(total),
            Num(amo),
        ],
    )?);
    Ok(out)
}

fn write_invoice(out: &mut Vec<u8>, fse: &Fse) -> Result<(), B2Error> {
    use Value::{Num, Text};
    let number: i64 = fse.number.parse().map_err(|_| B2Error::Overflow {
        record: "2",
        field: "fse",
    })?;
    let p = &fse.patient;
    let (prescriber, prescribed) = match &fse.prescriber {
        Some(pr) => (pr.id.as_str(), compact(&pr.date)),
        None => ("", String::new()),
    };
    out.extend(encode(
        &INVOICE_START,
        &[
            Num(number),
            Text(&p.insured_nir),
            Text(&compact(&p.birth_date)),
            Num(i64::from(p.birth_rank)),
            Text(&p.quality),
            Text(&p.last_name),
            Text(&p.first_name),
            Text(nature_code(fse.nature)),
            Text(mode_code(fse.mode)),
            Text(&compact(&fse.care_date)),
            Text(prescriber),
            Text(&prescribed),
            Text(if fse.amounts.tiers_payant_cents > 0 {
                "O"
            } else {
                "N"
            }),
            Num(i64::from(fse.coverage_rate)),
            Text(basis_code(fse.rate_basis)),
            Text(rights_code(fse.rights.origin)),
            Text(if fse.amc.as_ref().is_some_and(|a| a.tiers_payant) {
                "O"
            } else {
                "N"
            }),
        ],
    )?);
    if let Some(r) = &fse.replacement {
        out.extend(encode(
            &REPLACEMENT,
            &[
                Num(number),
                Text(&fse.practitioner.billing_number),
                Text(&r.substitute_billing_number),
                Text(&r.substitute_holder_id),
                Text(&r.substitute_last_name),
                Text(&r.substitute_first_name),
            ],
        )?);
    }
    for (i, act) in fse.acts.iter().enumerate() {
        let modifiers: String = act.modifiers.iter().map(|m| format!("{m:<3}")).collect();
        out.extend(encode(
            &ACT,
            &[
                Num(number),
                Num(i as i64 + 1),
                Text(if act.nomenclature == "ccam" { "C" } else { "N" }),
                Text(&act.code),
                Num(i64::from(act.coefficient_hundredths)),
                Text(&act.activity),
                Text(&act.phase),
                Text(&modifiers),
                Text(&compact(&act.date)),
                Num(act.amount_cents),
                Num(i64::from(act.amo_rate)),
                Num(act.amo_cents),
                Num(i64::from(act.association_percent)),
            ],
        )?);
    }
    let a = &fse.amounts;
    out.extend(encode(
        &INVOICE_END,
        &[
            Num(number),
            Num(fse.acts.len() as i64),
            Num(a.total_cents),
            Num(a.amo_cents),
            Num(a.patient_cents),
            Num(a.tiers_payant_cents),
            Num(a.amc_cents),
        ],
    )?);
    Ok(())
}

/// `YYYY-MM-DD` → `YYYYMMDD`.
fn compact(date: &str) -> String {
    date.chars().filter(|c| *c != '-').collect()
}

/// Modelled nature codes.
pub fn nature_code(n: InsuranceNature) -> &'static str {
    match n {
        InsuranceNature::Maladie => "10",
        InsuranceNature::Maternite => "30",
        InsuranceNature::AccidentTravail => "41",
    }
}

/// Modelled exoneration codes: `MA` maladie, `MT` maternité, `AT` accident du travail,
/// `AL` ALD, `IV` IVG.
pub fn basis_code(b: RateBasis) -> &'static str {
    match b {
        RateBasis::Maladie => "MA",
        RateBasis::Maternite => "MT",
        RateBasis::AccidentTravail => "AT",
        RateBasis::Ald => "AL",
        RateBasis::Ivg => "IV",
    }
}

/// Modelled rights origin codes: `V` Carte Vitale, `A` ADRi, `E` e-carte Vitale (ApCV),
/// `D` declared.
pub fn rights_code(o: RightsOrigin) -> &'static str {
    match o {
        RightsOrigin::Vitale => "V",
        RightsOrigin::Adri => "A",
        RightsOrigin::Apcv => "E",
        RightsOrigin::Declared => "D",
    }
}

/// Modelled mode codes: `S` sécurisée, `D` dégradée, `V` SESAM sans Vitale.
pub fn mode_code(m: FseMode) -> &'static str {
    match m {
        FseMode::Securisee => "S",
        FseMode::Degradee => "D",
        FseMode::SansVitale => "V",
    }
}
