//! The facts a practitioner states on an FSE, read once: the pregnancy's dates and the
//! work accident. The rules over them (maternity period, 6th month, post-natal weeks) are
//! modelled on the public sources cited in `billing/data/RULES.md` (R1.2, R2.4).

use passerelle_protocol::{Pregnancy, WorkAccident};
use time::{Date, Duration, Month};

use super::clock::parse_date;
use super::error::BillingError;

/// Days after the delivery the maternity insurance still covers (ameli [S20]: "jusqu'au
/// 12e jour après la date de l'accouchement").
pub const DAYS_AFTER_DELIVERY: i64 = 12;
/// Weeks after the delivery the travel surcharge MD applies (ameli [S1]).
pub const POSTNATAL_WEEKS: i64 = 14;
/// Weeks of amenorrhoea from which a pathological pregnancy opens MD (ameli [S1]).
pub const PATHOLOGICAL_FROM_SA: i64 = 24;

/// A pregnancy's dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PregnancyDates {
    /// Presumed start.
    pub start: Option<Date>,
    /// Delivery.
    pub delivery: Option<Date>,
    /// Pathological, followed on prescription.
    pub pathological: bool,
}

impl PregnancyDates {
    /// Reads `p`: dates well formed, not in the future, the delivery after the start.
    pub fn read(p: &Pregnancy, today: Date) -> Result<Self, BillingError> {
        let date = |field: &str, v: &Option<String>| -> Result<Option<Date>, BillingError> {
            let Some(v) = v else { return Ok(None) };
            let d = parse_date(v).ok_or_else(|| {
                BillingError::invalid(field, "date attendue au format AAAA-MM-JJ.")
            })?;
            if d > today {
                return Err(BillingError::ActInFuture {
                    field: field.to_owned(),
                    date: v.clone(),
                });
            }
            Ok(Some(d))
        };
        let start = date("pregnancy.start", &p.start)?;
        let delivery = date("pregnancy.delivery", &p.delivery)?;
        if let (Some(s), Some(d)) = (start, delivery) {
            if d <= s || d > s + Duration::days(320) {
                return Err(BillingError::invalid(
                    "pregnancy.delivery",
                    "la date d'accouchement doit suivre le début de grossesse de moins de 46 semaines.",
                ));
            }
        }
        if start.is_none() && delivery.is_none() {
            return Err(BillingError::invalid(
                "pregnancy",
                "donnez le début présumé de la grossesse ou la date d'accouchement.",
            ));
        }
        Ok(PregnancyDates {
            start,
            delivery,
            pathological: p.pathological,
        })
    }

    /// The first day of the 6th month of pregnancy: the start plus five calendar months
    /// (modelled: the caisse's own computation is not public).
    pub fn sixth_month(&self) -> Option<Date> {
        let s = self.start?;
        let months = u8::from(s.month()) as i32 - 1 + 5;
        let (year, month) = (s.year() + months / 12, (months % 12) as u8 + 1);
        let month = Month::try_from(month).ok()?;
        let day = s.day().min(time::util::days_in_month(month, year));
        Date::from_calendar_date(year, month, day).ok()
    }

    /// True when `d` is in the maternity period these dates give: from the start (or 46
    /// weeks before the delivery) to 12 days after the delivery (or 46 weeks after the
    /// start while it has not happened).
    pub fn covers(&self, d: Date) -> bool {
        let from = self
            .start
            .or_else(|| self.delivery.map(|x| x - Duration::days(320)));
        let until = match (self.delivery, self.start) {
            (Some(x), _) => Some(x + Duration::days(DAYS_AFTER_DELIVERY)),
            (None, Some(s)) => Some(s + Duration::days(320)),
            (None, None) => None,
        };
        matches!((from, until), (Some(f), Some(u)) if f <= d && d <= u)
    }

    /// True within 14 weeks after the delivery.
    pub fn postnatal(&self, d: Date) -> bool {
        self.delivery
            .is_some_and(|x| x <= d && d <= x + Duration::weeks(POSTNATAL_WEEKS))
    }

    /// Weeks of amenorrhoea at `d` (2 weeks more than since the presumed start).
    pub fn amenorrhoea_weeks(&self, d: Date) -> Option<i64> {
        Some((d - self.start?).whole_weeks() + 2)
    }
}

/// Checks a work accident's number (1 to 9 digits, modelled) and date (on or before the
/// care).
pub fn check_work_accident(w: &WorkAccident, care_date: Date) -> Result<(), BillingError> {
    if w.number.is_empty() || w.number.len() > 9 || !w.number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BillingError::invalid(
            "work_accident.number",
            "numéro d'accident du travail : 1 à 9 chiffres.",
        ));
    }
    let d = parse_date(&w.date).ok_or_else(|| {
        BillingError::invalid("work_accident.date", "date attendue au format AAAA-MM-JJ.")
    })?;
    if d > care_date {
        return Err(BillingError::invalid(
            "work_accident.date",
            "l'accident du travail est postérieur aux soins.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn dates(start: Option<&str>, delivery: Option<&str>) -> PregnancyDates {
        let p = Pregnancy {
            start: start.map(Into::into),
            delivery: delivery.map(Into::into),
            pathological: false,
        };
        PregnancyDates::read(&p, date!(2026 - 01 - 01)).unwrap()
    }

    #[test]
    fn sixth_month_and_maternity_period() {
        let p = dates(Some("2024-10-15"), Some("2025-07-05"));
        assert_eq!(p.sixth_month(), Some(date!(2025 - 03 - 15)));
        assert!(p.covers(date!(2024 - 10 - 15)) && p.covers(date!(2025 - 07 - 17)));
        assert!(!p.covers(date!(2025 - 07 - 18)) && !p.covers(date!(2024 - 10 - 14)));
        assert!(p.postnatal(date!(2025 - 10 - 11)) && !p.postnatal(date!(2025 - 10 - 12)));
        assert_eq!(p.amenorrhoea_weeks(date!(2025 - 03 - 18)), Some(24));
        assert_eq!(
            dates(Some("2024-09-30"), None).sixth_month(),
            Some(date!(2025 - 02 - 28))
        );
    }

    #[test]
    fn pregnancy_dates_are_checked() {
        let read = |s: Option<&str>, d: Option<&str>| {
            PregnancyDates::read(
                &Pregnancy {
                    start: s.map(Into::into),
                    delivery: d.map(Into::into),
                    pathological: false,
                },
                date!(2025 - 06 - 01),
            )
        };
        assert!(read(None, None).is_err());
        assert!(read(Some("2025-05-01"), Some("2025-04-01")).is_err());
        assert!(read(Some("2025-07-01"), None).is_err(), "future");
        assert!(read(Some("01/05/2025"), None).is_err());
        let at = |n: &str, d: &str| {
            check_work_accident(
                &WorkAccident {
                    number: n.into(),
                    date: d.into(),
                },
                date!(2025 - 03 - 12),
            )
        };
        assert!(at("123456789", "2025-03-01").is_ok());
        assert!(at("", "2025-03-01").is_err() && at("12A", "2025-03-01").is_err());
        assert!(at("1", "2025-03-13").is_err());
    }
}
