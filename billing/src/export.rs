//! CSV export of the FSE history (one line per FSE, amounts in cents and euros), `;`
//! separated as French spreadsheets expect.

use passerelle_protocol::Fse;

use super::error::BillingError;
use super::state::fse_name;

/// Column names, in order.
pub const HEADER: [&str; 16] = [
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
    "actes",
    "total_centimes",
    "amo_centimes",
    "patient_centimes",
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
        let acts: Vec<String> = f
            .acts
            .iter()
            .map(|a| match a.nomenclature.as_str() {
                "ngap" => format!("{} {}", a.code, coefficient(a.coefficient_hundredths)),
                _ => a.code.clone(),
            })
            .collect();
        let enum_name = |v: serde_json::Result<serde_json::Value>| {
            v.ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
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
            enum_name(serde_json::to_value(f.nature)),
            enum_name(serde_json::to_value(f.mode)),
            acts.join(" + "),
            f.amounts.total_cents.to_string(),
            f.amounts.amo_cents.to_string(),
            f.amounts.patient_cents.to_string(),
            f.lot_id.map(|l| l.to_string()).unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| BillingError::Storage(format!("export CSV : {e}")))
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
    fn empty_history_is_just_the_header() {
        let out = String::from_utf8(to_csv(&[]).unwrap()).unwrap();
        assert_eq!(out.trim_end(), HEADER.join(";"));
    }
}
