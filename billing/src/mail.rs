//! The mail settings of each practitioner situation and the daily emission's record, kept
//! in the store (the password never is: it has a file of its own, managed by the
//! transmission crate).

use passerelle_protocol::MailSettings;
use rusqlite::params;
use rusqlite::OptionalExtension;

use crate::clock::format_instant;
use crate::store::outbox_rows;
use crate::{Billing, BillingError};

/// The daily emission as recorded: who turned it on, what its last run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleRecord {
    /// The grant that turned it on.
    pub grant_id: String,
    /// When (RFC 3339).
    pub enabled_at: String,
    /// The last run's day (`YYYY-MM-DD`, Paris), if it ran.
    pub last_run: Option<String>,
    /// What the last run did, in French.
    pub last_report: Option<String>,
}

impl Billing {
    /// The mail settings of `practitioner`, if set.
    pub fn mail_settings(&self, practitioner: &str) -> Result<Option<MailSettings>, BillingError> {
        self.store
            .read(|c| outbox_rows::mail_settings(c, practitioner))?
            .map(|json| parse(&json))
            .transpose()
    }

    /// Every situation's mail settings.
    pub fn all_mail_settings(&self) -> Result<Vec<MailSettings>, BillingError> {
        self.store
            .read(outbox_rows::all_mail_settings)?
            .iter()
            .map(|json| parse(json))
            .collect()
    }

    /// Stores `settings` (already checked by the caller).
    pub fn put_mail_settings(&self, settings: &MailSettings) -> Result<(), BillingError> {
        let json =
            serde_json::to_string(settings).map_err(|e| BillingError::Storage(e.to_string()))?;
        let now = format_instant(self.clock.now());
        self.store
            .write(|tx| outbox_rows::put_mail_settings(tx, &settings.practitioner, &json, &now))
    }

    /// The daily emission's record, if it is on.
    pub fn schedule(&self) -> Result<Option<ScheduleRecord>, BillingError> {
        self.store.read(|c| {
            Ok(c.query_row(
                "SELECT grant_id, enabled_at, last_run, last_report FROM daily_schedule
                 WHERE name = 'daily'",
                [],
                |r| {
                    Ok(ScheduleRecord {
                        grant_id: r.get(0)?,
                        enabled_at: r.get(1)?,
                        last_run: r.get(2)?,
                        last_report: r.get(3)?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Turns the daily emission on for `grant_id` (`Some`), or off (`None`).
    pub fn set_schedule(&self, grant_id: Option<&str>) -> Result<(), BillingError> {
        let now = format_instant(self.clock.now());
        self.store.write(|tx| {
            match grant_id {
                Some(g) => tx.execute(
                    "INSERT INTO daily_schedule (name, grant_id, enabled_at) VALUES ('daily', ?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET grant_id = ?1, enabled_at = ?2",
                    params![g, now],
                )?,
                None => tx.execute("DELETE FROM daily_schedule WHERE name = 'daily'", [])?,
            };
            Ok(())
        })
    }

    /// Records a run of the daily emission on `day` (`YYYY-MM-DD`) and what it did.
    pub fn record_schedule_run(&self, day: &str, report: &str) -> Result<(), BillingError> {
        self.store.write(|tx| {
            tx.execute(
                "UPDATE daily_schedule SET last_run = ?1, last_report = ?2 WHERE name = 'daily'",
                params![day, report],
            )?;
            Ok(())
        })
    }
}

/// Every situation's mail settings, read from a connection (the doctor's read-only one).
pub fn read_all_settings(conn: &rusqlite::Connection) -> Result<Vec<MailSettings>, BillingError> {
    outbox_rows::all_mail_settings(conn)?
        .iter()
        .map(|json| parse(json))
        .collect()
}

fn parse(json: &str) -> Result<MailSettings, BillingError> {
    serde_json::from_str(json)
        .map_err(|e| BillingError::Storage(format!("réglages de messagerie illisibles : {e}")))
}
