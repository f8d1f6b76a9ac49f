//! Reading a B2 file back and checking it: record order and every total. Used by the tests,
//! and before a lot is signed.

use super::layout::{
    ACT, FILE_TRAILER, INVOICE_END, INVOICE_START, LOT_END, LOT_HEADER, REPLACEMENT,
};
use super::{number, records, B2Error, Layout};

/// What a well-formed file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Lots.
    pub lots: usize,
    /// Invoices.
    pub invoices: usize,
    /// Acts.
    pub acts: usize,
    /// Replacement parts (`4`).
    pub replacements: usize,
    /// Records.
    pub records: usize,
    /// Sum of invoice totals, cents.
    pub total_cents: i64,
    /// Sum of AMO parts, cents.
    pub amo_cents: i64,
}

#[derive(Default)]
struct Open {
    lot: Option<i64>,
    invoice: Option<(i64, usize, i64)>,
    lot_invoices: i64,
    lot_total: i64,
    lot_amo: i64,
    lot_tp: i64,
    lot_amc: i64,
}

/// Checks order (`000`, then per lot `1`, per invoice `2` [`4`] `3`+ `5`, `6`, then `999`) and
/// that every end record's counts and totals equal the sum of what it closes.
pub fn check(bytes: &[u8]) -> Result<Summary, B2Error> {
    let recs = records(bytes)?;
    let mut s = Summary {
        records: recs.len(),
        ..Summary::default()
    };
    let mut st = Open::default();
    let last = recs.len().saturating_sub(1);
    for (i, r) in recs.iter().enumerate() {
        let bad = |reason: &str| B2Error::Malformed {
            index: i,
            reason: reason.to_owned(),
        };
        let num = |l: &Layout, name: &str| {
            number(l, r, name).ok_or_else(|| bad(&format!("zone {name} illisible")))
        };
        let is = |kind: &str| r.starts_with(kind.as_bytes());
        if i == 0 {
            if !is("000") {
                return Err(bad("l'en-tête 000 manque"));
            }
            continue;
        }
        if is("999") {
            if i != last || st.lot.is_some() {
                return Err(bad("999 mal placé"));
            }
            let expect = [
                ("lots", s.lots as i64),
                ("invoices", s.invoices as i64),
                ("records", s.records as i64),
                ("total", s.total_cents),
                ("amo", s.amo_cents),
            ];
            for (name, value) in expect {
                if num(&FILE_TRAILER, name)? != value {
                    return Err(bad(&format!("999 : {name} ne correspond pas")));
                }
            }
            return Ok(s);
        }
        match (r.first(), st.lot.is_some(), st.invoice.is_some()) {
            (Some(b'1'), false, _) => {
                st = Open {
                    lot: Some(num(&LOT_HEADER, "lot")?),
                    ..Open::default()
                }
            }
            (Some(b'2'), true, false) => st.invoice = Some((num(&INVOICE_START, "fse")?, 0, 0)),
            (Some(b'4'), true, true) => {
                let (fse, acts, _) = st.invoice.unwrap_or_default();
                if num(&REPLACEMENT, "fse")? != fse || acts != 0 {
                    return Err(bad("part de remplacement mal placée"));
                }
                s.replacements += 1;
            }
            (Some(b'3'), true, true) => {
                let (fse, acts, sum) = st.invoice.unwrap_or_default();
                if num(&ACT, "fse")? != fse || num(&ACT, "seq")? != acts as i64 + 1 {
                    return Err(bad("acte d'une autre facture ou hors séquence"));
                }
                st.invoice = Some((fse, acts + 1, sum + num(&ACT, "amount")?));
                s.acts += 1;
            }
            (Some(b'5'), true, true) => {
                let (fse, acts, sum) = st.invoice.take().unwrap_or_default();
                let (total, amo) = (num(&INVOICE_END, "total")?, num(&INVOICE_END, "amo")?);
                if num(&INVOICE_END, "fse")? != fse
                    || num(&INVOICE_END, "acts")? != acts as i64
                    || acts == 0
                {
                    return Err(bad("fin de facture : numéro ou nombre d'actes faux"));
                }
                let amc = num(&INVOICE_END, "amc")?;
                if total != sum || total != amo + amc + num(&INVOICE_END, "patient")? {
                    return Err(bad("fin de facture : montants incohérents"));
                }
                st.lot_invoices += 1;
                st.lot_total += total;
                st.lot_amo += amo;
                st.lot_tp += num(&INVOICE_END, "tiers_payant")?;
                st.lot_amc += amc;
            }
            (Some(b'6'), true, false) => {
                let expect = [
                    ("lot", st.lot.unwrap_or_default()),
                    ("invoices", st.lot_invoices),
                    ("total", st.lot_total),
                    ("amo", st.lot_amo),
                    ("tiers_payant", st.lot_tp),
                    ("amc", st.lot_amc),
                ];
                for (name, value) in expect {
                    if num(&LOT_END, name)? != value {
                        return Err(bad(&format!("fin de lot : {name} ne correspond pas")));
                    }
                }
                s.lots += 1;
                s.invoices += st.lot_invoices as usize;
                s.total_cents += st.lot_total;
                s.amo_cents += st.lot_amo;
                st = Open::default();
            }
            _ => return Err(bad("enregistrement inattendu à cette place")),
        }
    }
    Err(B2Error::Malformed {
        index: recs.len(),
        reason: "le 999 final manque".to_owned(),
    })
}
