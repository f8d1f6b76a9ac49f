//! Numbers: FSE 9 digits unique per practitioner, lots 3 digits per practitioner wrapping
//! 001..999 then 001. Both come from a per-practitioner counter in the store, taken inside
//! the write transaction that uses it (a rolled-back transaction consumes no number).

use rusqlite::{params, OptionalExtension, Transaction};

use super::error::BillingError;

/// Largest FSE number.
pub const MAX_FSE_NUMBER: i64 = 999_999_999;
/// Largest lot number; the next one is 1 again.
pub const MAX_LOT_NUMBER: i64 = 999;

/// What a counter numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    /// FSE numbers.
    Fse,
    /// Lot sequence (the lot number is derived by [`lot_number`]).
    Lot,
    /// PJ lot sequence (SCOR), apart from the lots of FSE; numbered the same way.
    PjLot,
}

impl Counter {
    fn name(self) -> &'static str {
        match self {
            Counter::Fse => "fse",
            Counter::Lot => "lot",
            Counter::PjLot => "pj_lot",
        }
    }
}

/// Takes the next value (from 1) of `counter` for `practitioner`, inside `tx`.
pub fn next(
    tx: &Transaction<'_>,
    practitioner: &str,
    counter: Counter,
) -> Result<i64, BillingError> {
    let last: Option<i64> = tx
        .query_row(
            "SELECT last FROM counters WHERE practitioner = ?1 AND kind = ?2",
            params![practitioner, counter.name()],
            |r| r.get(0),
        )
        .optional()?;
    let value = last.unwrap_or(0) + 1;
    if counter == Counter::Fse && value > MAX_FSE_NUMBER {
        return Err(BillingError::Storage(
            "numéros de feuilles de soins épuisés pour ce praticien".into(),
        ));
    }
    tx.execute(
        "INSERT INTO counters (practitioner, kind, last) VALUES (?1, ?2, ?3)
         ON CONFLICT (practitioner, kind) DO UPDATE SET last = excluded.last",
        params![practitioner, counter.name(), value],
    )?;
    Ok(value)
}

/// The 3-digit lot number of the `seq`-th lot (from 1): 1..=999, then 1 again.
pub fn lot_number(seq: i64) -> i64 {
    (seq - 1).rem_euclid(MAX_LOT_NUMBER) + 1
}

/// An FSE number as on the wire and in B2: 9 digits.
pub fn format_fse_number(n: i64) -> String {
    format!("{n:09}")
}

/// A lot number as on the wire and in B2: 3 digits.
pub fn format_lot_number(n: i64) -> String {
    format!("{n:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lot_numbers_wrap_after_999() {
        assert_eq!(lot_number(1), 1);
        assert_eq!(lot_number(999), 999);
        assert_eq!(lot_number(1000), 1);
        assert_eq!(lot_number(1998), 999);
        assert_eq!(format_lot_number(lot_number(1000)), "001");
        assert_eq!(format_fse_number(42), "000000042");
    }

    #[test]
    fn counters_are_per_practitioner_and_never_repeat() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::store::migrations::run(&mut conn).unwrap();
        let tx = conn.transaction().unwrap();
        let a: Vec<i64> = (0..3)
            .map(|_| next(&tx, "11111111", Counter::Fse).unwrap())
            .collect();
        assert_eq!(a, [1, 2, 3]);
        assert_eq!(next(&tx, "22222222", Counter::Fse).unwrap(), 1);
        assert_eq!(next(&tx, "11111111", Counter::Lot).unwrap(), 1);
        tx.commit().unwrap();
        let tx = conn.transaction().unwrap();
        assert_eq!(next(&tx, "11111111", Counter::Fse).unwrap(), 4);
        // A rolled-back transaction gives its number back.
        drop(tx);
        let tx = conn.transaction().unwrap();
        assert_eq!(next(&tx, "11111111", Counter::Fse).unwrap(), 4);
        tx.execute(
            "UPDATE counters SET last = 999999999 WHERE practitioner = '11111111' AND kind = 'fse'",
            [],
        )
        .unwrap();
        assert!(next(&tx, "11111111", Counter::Fse).is_err());
    }
}
