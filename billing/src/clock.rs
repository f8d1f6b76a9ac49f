//! Time for billing: a [`Clock`] trait so tests move time, and the French civil date.
//!
//! Instants are UTC; "today" (for acts dated in the future) is the date in metropolitan
//! France (Europe/Paris: UTC+1, UTC+2 from the last Sunday of March 01:00 UTC to the last
//! Sunday of October 01:00 UTC). Overseas departments are not modelled yet.

use std::sync::Mutex;

use time::{Date, Duration, Month, OffsetDateTime, Weekday};

/// Where billing reads the time.
pub trait Clock: Send + Sync {
    /// The current instant (UTC).
    fn now(&self) -> OffsetDateTime;

    /// Today's date in France.
    fn today(&self) -> Date {
        paris_date(self.now())
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told (tests, benchmarks).
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(at))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut at = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *at += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The system clock moved by an offset that can be changed while the daemon runs: the
/// demonstration and the end-to-end tests move time (deadlines, the daily emission) without
/// waiting. Starts at the system time.
#[derive(Debug, Default)]
pub struct ShiftedClock(Mutex<Duration>);

impl ShiftedClock {
    /// Moves the clock forward by `by` (never backwards: time that went back would let an
    /// outbox attempt wait twice).
    pub fn advance(&self, by: Duration) {
        let mut offset = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by.max(Duration::ZERO);
    }

    /// How far ahead of the system clock it is.
    pub fn offset(&self) -> Duration {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.offset()
    }
}

/// The civil date in metropolitan France at the UTC instant `at`.
pub fn paris_date(at: OffsetDateTime) -> Date {
    paris_time(at).date()
}

/// The instant `at` in metropolitan France's civil time (its offset UTC+1 or UTC+2).
pub fn paris_time(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    let year = at.year();
    let summer_start =
        last_sunday(year, Month::March).map(|d| d.midnight().assume_utc() + Duration::hours(1));
    let summer_end =
        last_sunday(year, Month::October).map(|d| d.midnight().assume_utc() + Duration::hours(1));
    let summer = match (summer_start, summer_end) {
        (Some(s), Some(e)) => at >= s && at < e,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    let offset = time::UtcOffset::from_hms(hours, 0, 0).unwrap_or(time::UtcOffset::UTC);
    at.to_offset(offset)
}

/// Parses a time of day `HH:MM` (24 h) into minutes after midnight.
pub fn parse_time(s: &str) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !s[..2]
            .bytes()
            .chain(s[3..].bytes())
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (h, m): (u16, u16) = (s[..2].parse().ok()?, s[3..].parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let mut d =
        Date::from_calendar_date(year, month, time::util::days_in_month(month, year)).ok()?;
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day()?;
    }
    Some(d)
}

/// True for `DDDD-DD-DD` (digits), whether or not it is a real date (a Vitale birth date
/// may be "lunar", with `00` day or month).
pub fn date_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    if !date_shaped(s) {
        return None;
    }
    let year: i32 = s[0..4].parse().ok()?;
    let month: u8 = s[5..7].parse().ok()?;
    let day: u8 = s[8..10].parse().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Formats `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Formats an instant as RFC 3339 UTC, to the second.
pub fn format_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn paris_date_follows_summer_time() {
        // Winter: 23:30 UTC is already the next day in Paris (UTC+1).
        assert_eq!(
            format_date(paris_date(datetime!(2026-01-10 23:30 UTC))),
            "2026-01-11"
        );
        // Summer: 22:30 UTC is the next day (UTC+2), 21:30 is not.
        assert_eq!(
            format_date(paris_date(datetime!(2026-07-10 22:30 UTC))),
            "2026-07-11"
        );
        assert_eq!(
            format_date(paris_date(datetime!(2026-07-10 21:30 UTC))),
            "2026-07-10"
        );
    }

    #[test]
    fn paris_time_and_times_of_day() {
        let t = paris_time(datetime!(2026-01-10 23:30 UTC));
        assert_eq!(
            (format_date(t.date()), t.hour(), t.minute()),
            ("2026-01-11".into(), 0, 30)
        );
        assert_eq!(parse_time("20:00"), Some(1200));
        assert_eq!(parse_time("00:00"), Some(0));
        for bad in ["24:00", "7:30", "07:60", "0730", "07:3a", ""] {
            assert_eq!(parse_time(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new(datetime!(2026-03-02 09:00 UTC));
        assert_eq!(format_date(clock.today()), "2026-03-02");
        clock.advance(Duration::days(1));
        assert_eq!(format_instant(clock.now()), "2026-03-03T09:00:00Z");
    }

    #[test]
    fn dates_parse_strictly() {
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2026-2-3").is_none());
        assert_eq!(
            parse_date("2024-02-29").map(format_date).as_deref(),
            Some("2024-02-29")
        );
    }
}
