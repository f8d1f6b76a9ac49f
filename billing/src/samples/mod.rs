//! Sample FSE drafts over the fictitious fixture people (`simcard/fixtures/cards/`), and
//! their rights as the cards hold them ([`SampleRights`]): tests, benchmarks and the demo.
//! Nothing here is real patient data.

mod cards;

pub use cards::{card_rights, SampleRights};

use passerelle_protocol::{
    ActInput, FseDraft, FseMode, InsuranceNature, Organism, Patient, PractitionerRef, Pregnancy,
    Prescriber, RightsRef,
};
use time::Duration;

use super::clock::{format_date, parse_date};
use super::error::BillingError;
use super::rights::RightsLookup;

/// Billing number of the first situation of the fixture midwife (CPS `durand-sage-femme`).
pub const DURAND_BILLING: &str = "69312233";

/// The first situation of the fixture midwife (Lyon: tariff zone `24`, métropole).
pub fn durand() -> PractitionerRef {
    PractitionerRef {
        billing_number: DURAND_BILLING.to_owned(),
        situation: 0,
        tariff_zone: "24".to_owned(),
        profession: "50".to_owned(),
        speciality: "21".to_owned(),
    }
}

/// The situation of the fixture general practitioner (CPS `lefevre-medecin`, Paris).
pub fn lefevre() -> PractitionerRef {
    PractitionerRef {
        billing_number: "75123456".to_owned(),
        situation: 0,
        tariff_zone: "22".to_owned(),
        profession: "10".to_owned(),
        speciality: "01".to_owned(),
    }
}

/// A fixture patient: (card serial, NIR, last name, first name, birth date, quality,
/// [régime, caisse, centre]).
type Person = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    [&'static str; 3],
);

/// The fixture patients (Vitale fixtures `nguyen`, `martin-famille` spouse,
/// `santoni-corse`, `bernard-c2s`).
pub const PEOPLE: [Person; 4] = [
    (
        "4098765432",
        "292016938801232",
        "NGUYEN",
        "THI MAI",
        "1992-01-08",
        "00",
        ["01", "691", "0002"],
    ),
    (
        "4012345678",
        "178067511223315",
        "MARTIN",
        "SOPHIE",
        "1980-03-02",
        "02",
        ["01", "751", "0001"],
    ),
    (
        "4055501234",
        "165022A00401925",
        "SANTONI",
        "ANGE",
        "1965-02-10",
        "00",
        ["01", "201", "0001"],
    ),
    (
        "4077712345",
        "298046912345617",
        "BERNARD",
        "INES",
        "1998-04-23",
        "00",
        ["01", "691", "0002"],
    ),
];

/// An NGAP act.
pub fn ngap(key: &str, coefficient: &str, modifiers: &[&str]) -> ActInput {
    ActInput::Ngap {
        key: key.to_owned(),
        coefficient: coefficient.to_owned(),
        modifiers: modifiers.iter().map(|m| (*m).to_owned()).collect(),
        date: None,
        time: None,
        distance_km: None,
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
        time: None,
    }
}

/// A draft for fixture person `person` (index in [`PEOPLE`], modulo), billed by the fixture
/// midwife on `care_date`, with `acts`; a sécurisée one names the person's Carte Vitale.
pub fn draft(
    person: usize,
    care_date: &str,
    nature: InsuranceNature,
    mode: FseMode,
    acts: Vec<ActInput>,
) -> FseDraft {
    let (serial, nir, last, first, birth, quality, [regime, caisse, centre]) =
        PEOPLE[person % PEOPLE.len()];
    FseDraft {
        practitioner: durand(),
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
        rights: (mode == FseMode::Securisee).then(|| RightsRef::Vitale {
            card_serial: serial.to_owned(),
        }),
        pregnancy: None,
        work_accident: None,
        exoneration: None,
        coverage_rate: None,
        tiers_payant: false,
        amc: None,
        amc_tiers_payant: false,
        expected_amounts: None,
        replacement_session: None,
    }
}

/// A pregnancy that started `days` before `care_date`, not delivered yet.
pub fn pregnant_for(care_date: &str, days: i64) -> Pregnancy {
    Pregnancy {
        start: parse_date(care_date).map(|d| format_date(d - Duration::days(days))),
        delivery: None,
        pathological: false,
    }
}

/// The `i`-th of a varied series of drafts (acts, modes, natures, patients rotate), for
/// volume tests and benchmarks: maternity drafts are dégradée or sans Vitale (the stated
/// pregnancy, whatever the date); sécurisée ones rest on [`SampleRights`].
pub fn varied(i: usize, care_date: &str) -> FseDraft {
    let acts = match i % 4 {
        0 => vec![ngap("SF", "12", &[])],
        1 => vec![ngap("C", "1", &["MSF"]), ccam("JKHD001")],
        2 => vec![ccam("JKLD001")],
        _ => vec![ngap("V", "1", &["MSF", "IFD"])],
    };
    let mode = match i % 5 {
        0 => FseMode::Degradee,
        1 => FseMode::SansVitale,
        _ => FseMode::Securisee,
    };
    let nature = if mode != FseMode::Securisee && i.is_multiple_of(3) {
        InsuranceNature::Maternite
    } else {
        InsuranceNature::Maladie
    };
    let mut d = draft(i, care_date, nature, mode, acts);
    if nature == InsuranceNature::Maternite {
        d.pregnancy = Some(pregnant_for(care_date, 200));
    }
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

/// Draws `draft` up with the rights of the fixture cards ([`SampleRights`]).
pub fn draw(
    tariffs: &crate::tariffs::Tariffs,
    draft: &FseDraft,
    today: time::Date,
) -> Result<passerelle_protocol::Fse, BillingError> {
    let rights = match &draft.rights {
        Some(r) => Some(SampleRights.resolve(r)?),
        None => None,
    };
    crate::fse::draw_up(tariffs, draft, &[], rights, today)
}

/// `d` made without reading a card: a sécurisée draft becomes sans Vitale (rights stated,
/// not read), for tests that put no Carte Vitale in a reader.
pub fn unread(mut d: FseDraft) -> FseDraft {
    if d.mode == FseMode::Securisee {
        d.mode = FseMode::SansVitale;
        d.rights = None;
    }
    d
}
