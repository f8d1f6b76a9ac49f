//! How a case of `cases.md` becomes a draft: the practice (profession, zone), the date and
//! time, the acts, the patient's situation; then what it must come to.

use passerelle_billing::clock::{format_date, parse_date};
use passerelle_billing::fse::draw_up;
use passerelle_billing::samples::{card_rights, draft, durand, lefevre, ngap};
use passerelle_billing::tariffs::Tariffs;
use passerelle_billing::BillingError;
use passerelle_protocol::{
    ActInput, Amc, AmcKind, ErrorCode, Exoneration, Fse, FseMode, InsuranceNature, Pregnancy,
    RightsRef, WorkAccident,
};
use time::macros::date;
use time::{Date, Duration, Month};

/// Which grid and zone bill the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// A midwife, with the tariff zone code of her CPS situation.
    Midwife(&'static str),
    /// A general practitioner, with his zone code.
    Gp(&'static str),
}

/// Zone codes (modelled, see `billing/src/practice.rs`).
pub const METRO: &str = "24";
/// Guadeloupe.
pub const GUADELOUPE: &str = "71";
/// Martinique.
pub const MARTINIQUE: &str = "72";
/// Guyane.
pub const GUYANE: &str = "73";
/// La Réunion.
pub const REUNION: &str = "74";
/// Mayotte.
pub const MAYOTTE: &str = "76";

/// The pregnancy of the case, relative to its date.
#[derive(Debug, Clone, Copy)]
pub enum Preg {
    /// In its `n`-th month (nature maternité).
    Month(u8),
    /// Delivered `n` days before (nature maternité: up to 12 days after).
    DaysAfter(i64),
    /// Delivered `n` days before, billed in maladie (post-natal period).
    PostnatalMaladie(i64),
}

/// The patient's situation.
#[derive(Debug, Clone, Default)]
pub struct Sit {
    pub preg: Option<Preg>,
    pub ald: bool,
    pub c2s: bool,
    /// Tiers payant complémentaire asked; `Some(allowed)`: the AMC contract allows it.
    pub tpc: Option<bool>,
    pub rate: Option<u8>,
    pub work_accident: bool,
    /// The rights read give this maladie rate (régime local: 90).
    pub rights_rate: Option<&'static str>,
}

/// What the case must come to.
#[derive(Debug, Clone, Copy)]
pub enum Expect {
    /// Accepted: total, AMO, patient, AMC parts in cents.
    Parts {
        total: i64,
        amo: i64,
        patient: i64,
        amc: i64,
    },
    /// Refused with this code.
    Refused(ErrorCode),
}

/// One case.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: &'static str,
    pub source: &'static str,
    pub who: Who,
    /// `YYYY-MM-DD HH:MM`.
    pub at: &'static str,
    pub acts: Vec<ActInput>,
    pub sit: Sit,
    pub expect: Expect,
}

/// `[total, AMO, patient, AMC]`.
pub fn parts(p: [i64; 4]) -> Expect {
    Expect::Parts {
        total: p[0],
        amo: p[1],
        patient: p[2],
        amc: p[3],
    }
}

/// NGAP act with its modifiers (coefficient "1" unless written `KEY COEF`).
pub fn act(spec: &str, modifiers: &[&str]) -> ActInput {
    let (key, coefficient) = spec.split_once(' ').unwrap_or((spec, "1"));
    ngap(key, coefficient, modifiers)
}

/// A travel allowance `key` for a one-way distance of `km`.
pub fn ik(key: &str, km: u32) -> ActInput {
    let mut a = ngap(key, "1", &[]);
    if let ActInput::Ngap { distance_km, .. } = &mut a {
        *distance_km = Some(km);
    }
    a
}

/// `act` at time `at` (`HH:MM`).
pub fn at_time(mut a: ActInput, at: &str) -> ActInput {
    match &mut a {
        ActInput::Ngap { time, .. } | ActInput::Ccam { time, .. } => *time = Some(at.into()),
    }
    a
}

fn months_back(d: Date, months: u8) -> Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 - i32::from(months);
    let month = Month::try_from((total % 12 + 1) as u8).unwrap();
    Date::from_calendar_date(total / 12, month, d.day().min(28)).unwrap()
}

fn iso(d: Date) -> Option<String> {
    Some(format_date(d))
}

/// Draws the case up (dégradée on what is stated, or sécurisée on constructed rights).
pub fn draw(case: &Case) -> Result<Fse, BillingError> {
    let (day, time) = case.at.split_once(' ').unwrap();
    let care = parse_date(day).unwrap();
    let s = &case.sit;
    let nature = match s.preg {
        _ if s.work_accident => InsuranceNature::AccidentTravail,
        Some(Preg::Month(_) | Preg::DaysAfter(_)) => InsuranceNature::Maternite,
        _ => InsuranceNature::Maladie,
    };
    let acts = case.acts.iter().map(|a| match a {
        ActInput::Ngap { time: None, .. } | ActInput::Ccam { time: None, .. } => {
            at_time(a.clone(), time)
        }
        other => other.clone(),
    });
    let mut d = draft(0, day, nature, FseMode::Degradee, acts.collect());
    d.practitioner = match case.who {
        Who::Midwife(zone) => durand_at(zone),
        Who::Gp(zone) => {
            let mut p = lefevre();
            p.tariff_zone = zone.into();
            p
        }
    };
    d.pregnancy = s.preg.map(|p| match p {
        // The n-th month began (n - 1) months and half a month ago.
        Preg::Month(n) => Pregnancy {
            start: iso(months_back(care, n - 1) - Duration::days(15)),
            delivery: None,
            pathological: false,
        },
        Preg::DaysAfter(n) | Preg::PostnatalMaladie(n) => Pregnancy {
            start: iso(care - Duration::days(n + 270)),
            delivery: iso(care - Duration::days(n)),
            pathological: false,
        },
    });
    d.exoneration = s.ald.then_some(Exoneration::Ald);
    d.coverage_rate = s.rate;
    d.work_accident = s.work_accident.then(|| WorkAccident {
        number: "250312001".into(),
        date: day.into(),
    });
    d.amc = match (s.c2s, s.tpc) {
        (true, _) => Some(amc(AmcKind::C2s, true)),
        (false, Some(allowed)) => Some(amc(AmcKind::Mutuelle, allowed)),
        _ => None,
    };
    d.amc_tiers_payant = s.tpc.is_some();
    d.tiers_payant = s.c2s || s.tpc.is_some();
    let tariffs = Tariffs::embedded().unwrap();
    let today = date!(2026 - 11 - 30);
    let rights = match s.rights_rate {
        None => None,
        Some(rate) => {
            // Santoni's card, its maladie period at `rate`.
            let mut r = card_rights("4055501234").unwrap();
            r.rights.periods[0].coverage = rate.into();
            let santoni = draft(2, day, nature, FseMode::Securisee, vec![]);
            d.patient = santoni.patient;
            d.organism = santoni.organism;
            d.mode = FseMode::Securisee;
            d.rights = Some(RightsRef::Vitale {
                card_serial: "4055501234".into(),
            });
            return draw_up(&tariffs, &d, &[], Some(r), today);
        }
    };
    draw_up(&tariffs, &d, &[], rights, today)
}

fn durand_at(zone: &str) -> passerelle_protocol::PractitionerRef {
    let mut p = durand();
    p.tariff_zone = zone.into();
    p
}

fn amc(kind: AmcKind, tiers_payant: bool) -> Amc {
    Amc {
        number: "99000001".into(),
        name: "Complémentaire saisie".into(),
        until: "2027-12-31".into(),
        tiers_payant,
        kind,
    }
}

/// Runs a case: `Err` with what differs.
pub fn run(case: &Case) -> Result<(), String> {
    let got = draw(case);
    match (case.expect, got) {
        (
            Expect::Parts {
                total,
                amo,
                patient,
                amc,
            },
            Ok(f),
        ) => {
            let a = f.amounts;
            let want = [total, amo, patient, amc];
            let have = [a.total_cents, a.amo_cents, a.patient_cents, a.amc_cents];
            if want != have {
                return Err(format!(
                    "expected [total, AMO, patient, AMC] {want:?}, got {have:?}"
                ));
            }
            if a.total_cents != a.amo_cents + a.amc_cents + a.patient_cents {
                return Err("the parts do not add up".into());
            }
            Ok(())
        }
        (Expect::Refused(code), Err(e)) if e.code() == code => Ok(()),
        (Expect::Refused(code), Err(e)) => {
            Err(format!("expected {code:?}, refused {:?}: {e}", e.code()))
        }
        (Expect::Refused(code), Ok(f)) => {
            Err(format!("expected {code:?}, accepted {:?}", f.amounts))
        }
        (Expect::Parts { .. }, Err(e)) => Err(format!("refused {:?}: {e}", e.code())),
    }
}
