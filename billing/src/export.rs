//! CSV export of the FSE history (one line per FSE, amounts in cents), `;` separated as
//! French spreadsheets expect: the acts with their coefficients and modifiers (`C+MSF`,
//! `SF 7.5`), the state, the tiers payant and the lot number as sent to the organism.

use passerelle_protocol::{Fse, PricedAct};

use super::error::BillingError;
use super::state::fse_name;

/// Column names, in order.
pub const HEADER: [&str; 21] = [
    "id",
    "numero",
    "etat",
    "praticien",
    "date_soins",
    "nir_assure",
    "nom",
    "prenom",
    "organisme",
    "nature",
    "mode",
    "droits",
    "actes",
    "taux_amo",
    "total_centimes",
    "amo_centimes",
    "amc_centimes",
    "patient_centimes",
    "tiers_payant",
    "tiers_payant_centimes",
    "lot",
];

/// The CSV of `fse`, header first.
pub fn to_csv(fse: &[Fse]) -> Result<Vec<u8>, BillingError> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let fail = |e: csv::Error| BillingError::Storage(format!("export CSV : {e}"));
    w.write_record(HEADER).map_err(fail)?;
    for f in fse {
        let o = &f.organism;
        let acts: Vec<String> = f.acts.iter().map(act).collect();
        let name = |v: serde_json::Result<serde_json::Value>| {
            v.ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        };
        let a = &f.amounts;
        let tiers_payant = match (
            f.tiers_payant,
            f.amc.as_ref().is_some_and(|m| m.tiers_payant),
        ) {
            (true, true) => "amo+amc",
            (true, false) => "amo",
            (false, true) => "amc",
            (false, false) => "non",
        };
        w.write_record([
            f.id.to_string(),
            f.number.clone(),
            fse_name(f.status).to_owned(),
            f.practitioner.billing_number.clone(),
            f.care_date.clone(),
            f.patient.insured_nir.clone(),
            f.patient.last_name.clone(),
            f.patient.first_name.clone(),
            format!("{}{}{}", o.regime, o.caisse, o.centre),
            name(serde_json::to_value(f.nature)),
            name(serde_json::to_value(f.mode)),
            name(serde_json::to_value(f.rights.origin)),
            acts.join(" + "),
            f.coverage_rate.to_string(),
            a.total_cents.to_string(),
            a.amo_cents.to_string(),
            a.amc_cents.to_string(),
            a.patient_cents.to_string(),
            tiers_payant.to_owned(),
            a.tiers_payant_cents.to_string(),
            f.lot_number.clone().unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| BillingError::Storage(format!("export CSV : {e}")))
}

/// `C+MSF`, `SF 7.5`, `SF 12/2` (second act at half rate), `IK 10`, `JKHD001/2`.
fn act(a: &PricedAct) -> String {
    let mut out = a.code.clone();
    if a.nomenclature != "ccam" && a.coefficient_hundredths != 100 {
        out.push(' ');
        out.push_str(&coefficient(a.coefficient_hundredths));
    }
    if a.association_percent == 50 {
        out.push_str("/2");
    }
    for m in &a.modifiers {
        out.push('+');
        out.push_str(m);
    }
    out
}

/// `750` → `7.5`, `1200` → `12`.
fn coefficient(hundredths: u32) -> String {
    let (int, frac) = (hundredths / 100, hundredths % 100);
    match frac {
        0 => int.to_string(),
        f if f % 10 == 0 => format!("{int}.{}", f / 10),
        f => format!("{int}.{f:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_print_without_trailing_zeros() {
        assert_eq!(coefficient(750), "7.5");
        assert_eq!(coefficient(1200), "12");
        assert_eq!(coefficient(725), "7.25");
        assert_eq!(coefficient(5), "0.05");
    }

    #[test]
    fn acts_show_coefficients_modifiers_and_halves() {
        let mut a = PricedAct {
            nomenclature: "ngap".into(),
            code: "C".into(),
            label: String::new(),
            coefficient_hundredths: 100,
            activity: String::new(),
            phase: String::new(),
            modifiers: vec!["MSF".into(), "F".into()],
            date: "2025-06-15".into(),
            time: None,
            association_percent: 100,
            amount_cents: 4750,
            amo_rate: 70,
            amo_cents: 3325,
            to_check: true,
        };
        assert_eq!(act(&a), "C+MSF+F");
        (a.code, a.coefficient_hundredths, a.association_percent) = ("SF".into(), 1200, 50);
        a.modifiers.clear();
        assert_eq!(act(&a), "SF 12/2");
    }

    #[test]
    fn empty_history_is_just_the_header() {
        let out = String::from_utf8(to_csv(&[]).unwrap()).unwrap();
        assert_eq!(out.trim_end(), HEADER.join(";"));
    }
}
