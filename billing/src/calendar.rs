//! Working days in metropolitan France, for the legal deadlines: send an FSE within 3
//! working days (direct payment) or 8 (tiers payant); re-send a lot within 2 working days
//! when no ARL came or it was negative.
//!
//! A working day is Monday to Friday, not a public holiday (jours ouvrés). Holidays: 1 Jan,
//! Easter Monday, 1 May, 8 May, Ascension, Whit Monday, 14 Jul, 15 Aug, 1 Nov, 11 Nov,
//! 25 Dec. Alsace-Moselle's Good Friday and 26 Dec are not modelled; the overseas
//! departments' own day counts for the Sunday and holiday surcharge ([`is_holiday_in`]),
//! not for the deadlines.

use passerelle_protocol::Fse;
use time::{Date, Duration, Month, Weekday};

use super::clock::parse_date;
use super::practice::Zone;

/// Easter Sunday of `year` (Gregorian, anonymous algorithm).
pub fn easter(year: i32) -> Option<Date> {
    let a = year % 19;
    let (b, c) = (year / 100, year % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_calendar_date(year, Month::try_from(month as u8).ok()?, day as u8).ok()
}

/// True when `d` is a public holiday in metropolitan France.
pub fn is_holiday(d: Date) -> bool {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    if fixed.contains(&(u8::from(d.month()), d.day())) {
        return true;
    }
    match easter(d.year()) {
        Some(e) => [1, 39, 50]
            .iter()
            .any(|offset| e + Duration::days(*offset) == d),
        None => false,
    }
}

/// True when `d` is a public holiday in `zone`: the métropole's days and, in a DROM, the
/// day commemorating the abolition of slavery (Mayotte 27 April, Martinique 22 May,
/// Guadeloupe 27 May, Guyane 10 June, La Réunion 20 December: dates not confirmed from a
/// source read for Passerelle, listed as to check in the README). Alsace-Moselle's Good
/// Friday and 26 December are not modelled (no zone of their own).
pub fn is_holiday_in(d: Date, zone: Zone) -> bool {
    let abolition = match zone {
        Zone::Metropole => None,
        Zone::Mayotte => Some((4, 27)),
        Zone::Martinique => Some((5, 22)),
        Zone::Guadeloupe => Some((5, 27)),
        Zone::Guyane => Some((6, 10)),
        Zone::Reunion => Some((12, 20)),
    };
    is_holiday(d) || abolition == Some((u8::from(d.month()), d.day()))
}

/// True on a Sunday or a public holiday of `zone` (the days of the surcharge F).
pub fn is_sunday_or_holiday(d: Date, zone: Zone) -> bool {
    d.weekday() == Weekday::Sunday || is_holiday_in(d, zone)
}

/// True for Monday to Friday outside public holidays.
pub fn is_working_day(d: Date) -> bool {
    !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) && !is_holiday(d)
}

/// The `n`-th working day after `d` (`d` itself not counted).
pub fn add_working_days(mut d: Date, n: u32) -> Option<Date> {
    let mut left = n;
    while left > 0 {
        d = d.next_day()?;
        if is_working_day(d) {
            left -= 1;
        }
    }
    Some(d)
}

/// Last day to send `fse`: 3 working days after the care date, 8 with tiers payant.
/// (Counted from the care date: to check against the convention's exact wording.)
pub fn send_deadline(fse: &Fse) -> Option<Date> {
    let days = if fse.amounts.tiers_payant_cents > 0 {
        8
    } else {
        3
    };
    add_working_days(parse_date(&fse.care_date)?, days)
}

/// Last day to re-send a lot sent on `sent` when no ARL came or it was negative.
pub fn resend_deadline(sent: Date) -> Option<Date> {
    add_working_days(sent, 2)
}

/// Where a lot not sent yet stands against its send-by date on `today`: `None` while far
/// enough, `Some(false)` within `warning_days` working days of it (the day itself
/// included), `Some(true)` once it has passed.
pub fn deadline_state(send_by: Date, today: Date, warning_days: u32) -> Option<bool> {
    if today > send_by {
        return Some(true);
    }
    let warn_from = add_working_days(today, warning_days)?;
    (warn_from >= send_by).then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn easter_and_movable_holidays() {
        assert_eq!(easter(2024), Some(date!(2024 - 03 - 31)));
        assert_eq!(easter(2025), Some(date!(2025 - 04 - 20)));
        assert_eq!(easter(2026), Some(date!(2026 - 04 - 05)));
        for d in [
            date!(2026 - 04 - 06),
            date!(2026 - 05 - 14),
            date!(2026 - 05 - 25),
            date!(2026 - 07 - 14),
        ] {
            assert!(is_holiday(d), "{d}");
        }
        assert!(!is_holiday(date!(2026 - 04 - 07)));
        assert!(!is_working_day(date!(2026 - 03 - 07)), "Saturday");
        assert!(is_working_day(date!(2026 - 03 - 06)));
    }

    #[test]
    fn each_drom_has_its_abolition_day() {
        let d = date!(2025 - 05 - 27);
        assert!(is_holiday_in(d, Zone::Guadeloupe));
        assert!(!is_holiday_in(d, Zone::Metropole) && !is_holiday_in(d, Zone::Martinique));
        assert!(is_sunday_or_holiday(date!(2025 - 06 - 15), Zone::Metropole));
        assert!(
            !is_sunday_or_holiday(date!(2025 - 03 - 15), Zone::Metropole),
            "Saturday"
        );
        assert!(is_sunday_or_holiday(date!(2025 - 07 - 14), Zone::Reunion));
    }

    #[test]
    fn deadlines_skip_weekends_and_holidays() {
        // Tuesday 12 May 2026: Wed 13, (Thu 14 Ascension), Fri 15, Mon 18.
        assert_eq!(
            add_working_days(date!(2026 - 05 - 12), 3),
            Some(date!(2026 - 05 - 18))
        );
        // Friday 8 May (holiday itself): Mon 11, Tue 12, Wed 13.
        assert_eq!(
            add_working_days(date!(2026 - 05 - 08), 3),
            Some(date!(2026 - 05 - 13))
        );
        // Friday 24 Dec 2027 → Mon 27, Tue 28 (25 Dec is a Saturday).
        assert_eq!(
            resend_deadline(date!(2027 - 12 - 24)),
            Some(date!(2027 - 12 - 28))
        );
        assert_eq!(
            add_working_days(date!(2026 - 03 - 02), 0),
            Some(date!(2026 - 03 - 02))
        );
    }

    #[test]
    fn send_deadline_depends_on_tiers_payant() {
        let t = crate::tariffs::Tariffs::embedded().unwrap();
        let mut d = crate::samples::varied(1, "2026-03-02");
        let f = crate::samples::draw(&t, &d, date!(2026 - 03 - 02)).unwrap();
        assert_eq!(send_deadline(&f), Some(date!(2026 - 03 - 05)));
        d.tiers_payant = true;
        let f = crate::samples::draw(&t, &d, date!(2026 - 03 - 02)).unwrap();
        assert_eq!(send_deadline(&f), Some(date!(2026 - 03 - 12)));
    }

    #[test]
    fn deadline_warnings_count_working_days() {
        // Send by Wednesday 2026-03-04.
        let by = date!(2026 - 03 - 04);
        assert_eq!(deadline_state(by, date!(2026 - 03 - 02), 1), None);
        assert_eq!(deadline_state(by, date!(2026 - 03 - 03), 1), Some(false));
        assert_eq!(deadline_state(by, date!(2026 - 03 - 04), 1), Some(false));
        assert_eq!(deadline_state(by, date!(2026 - 03 - 05), 1), Some(true));
        // On the Friday before a Monday deadline, one working day ahead is the Monday.
        assert_eq!(
            deadline_state(date!(2026 - 03 - 09), date!(2026 - 03 - 06), 1),
            Some(false)
        );
    }
}
