//! Sample FSE drafts over the fictitious fixture people (`simcard/fixtures/cards/`): tests,
//! benchmarks and the demo. Nothing here is real patient data.

use passerelle_protocol::{
    ActInput, FseDraft, FseMode, InsuranceNature, Organism, Patient, PractitionerRef, Prescriber,
};

/// Billing number of the first situation of the fixture midwife (CPS `durand-sage-femme`).
pub const DURAND_BILLING: &str = "69312233";

/// A fixture patient: (NIR, last name, first name, birth date, quality, régime, caisse, centre).
type Person = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [&'static str; 3],
);

/// The fixture patients (Vitale fixtures `nguyen`, `martin-famille` spouse, `santoni-corse`).
pub const PEOPLE: [Person; 3] = [
    (
        "292016938801232",
        "NGUYEN",
        "THI MAI",
        "1992-01-08",
        "00",
        ["01", "691", "0002"],
    ),
    (
        "178067511223315",
        "MARTIN",
        "SOPHIE",
        "1980-03-02",
        "02",
        ["01", "751", "0001"],
    ),
    (
        "165022A00401925",
        "SANTONI",
        "ANGE",
        "1965-02-10",
        "00",
        ["01", "201", "0001"],
    ),
];

/// An NGAP act.
pub fn ngap(key: &str, coefficient: &str, modifiers: &[&str]) -> ActInput {
    ActInput::Ngap {
        key: key.to_owned(),
        coefficient: coefficient.to_owned(),
        modifiers: modifiers.iter().map(|m| (*m).to_owned()).collect(),
        date: None,
    }
}

/// A CCAM act, activity 1 phase 0.
pub fn ccam(code: &str) -> ActInput {
    ActInput::Ccam {
        code: code.to_owned(),
        activity: "1".to_owned(),
        phase: "0".to_owned(),
        modifiers: vec![],
        date: None,
    }
}

/// A draft for fixture person `person` (index in [`PEOPLE`], modulo), billed by the fixture
/// midwife on `care_date`, with `acts`.
pub fn draft(
    person: usize,
    care_date: &str,
    nature: InsuranceNature,
    mode: FseMode,
    acts: Vec<ActInput>,
) -> FseDraft {
    let (nir, last, first, birth, quality, [regime, caisse, centre]) =
        PEOPLE[person % PEOPLE.len()];
    FseDraft {
        practitioner: PractitionerRef {
            billing_number: DURAND_BILLING.to_owned(),
            situation: 0,
        },
        patient: Patient {
            insured_nir: nir.to_owned(),
            last_name: last.to_owned(),
            first_name: first.to_owned(),
            birth_date: birth.to_owned(),
            birth_rank: 1,
            quality: quality.to_owned(),
        },
        organism: Organism {
            regime: regime.to_owned(),
            caisse: caisse.to_owned(),
            centre: centre.to_owned(),
        },
        nature,
        mode,
        deferred_signature: false,
        care_date: care_date.to_owned(),
        prescriber: None,
        basket: None,
        acts,
        coverage_rate: None,
        tiers_payant: false,
        expected_amounts: None,
    }
}

/// The `i`-th of a varied series of drafts (acts, modes, natures, patients rotate), for
/// volume tests and benchmarks.
pub fn varied(i: usize, care_date: &str) -> FseDraft {
    let acts = match i % 4 {
        0 => vec![ngap("SF", "12", &[])],
        1 => vec![ngap("C", "1", &[]), ccam("JQQM018")],
        2 => vec![ccam("JKLD001")],
        _ => vec![ngap("SF", "7.5", &["F"]), ngap("ID", "1", &[])],
    };
    let nature = if matches!(i % 3, 0) {
        InsuranceNature::Maternite
    } else {
        InsuranceNature::Maladie
    };
    let mode = match i % 5 {
        0 => FseMode::Degradee,
        1 => FseMode::SansVitale,
        _ => FseMode::Securisee,
    };
    let mut d = draft(i, care_date, nature, mode, acts);
    d.tiers_payant = matches!(i % 2, 0);
    d.deferred_signature = matches!(i % 7, 0);
    if matches!(i % 6, 0) {
        d.prescriber = Some(Prescriber {
            id: "10001234567".to_owned(),
            date: care_date.to_owned(),
        });
    }
    d
}
