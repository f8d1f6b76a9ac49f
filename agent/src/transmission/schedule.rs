//! The daily emission (`transmission.daily_at`, Paris time): once an application with the
//! `transmit` and `sign` scopes turned it on, at that time each day it builds the day's lots
//! from the signed FSE, signs them with each CPS in a reader whose PIN is verified (for that
//! application), puts every signed lot in the outbox and says what it did. Without such a
//! card it signs nothing (never a PIN from the configuration) and keeps the FSE for the next
//! run. It runs on the billing clock, so tests move time instead of waiting.

use std::sync::Arc;
use std::time::Duration;

use passerelle_billing::clock::{format_date, paris_time};
use passerelle_protocol::{AttemptReason, AuditActor, CardKind};
use time::{OffsetDateTime, Time};

use super::Transmission;
use crate::api::AppState;
use crate::hub::PinHolder;
use crate::service::billing_signer::CardSigner;
use crate::service::{cards, Caller};

/// How often the schedule looks without being woken.
const EVERY: Duration = Duration::from_secs(30);

/// The instant of `day`'s run at `hour:minute` Paris time, as the clock counts.
pub fn run_at(now: OffsetDateTime, hour: u8, minute: u8) -> Option<OffsetDateTime> {
    let local = paris_time(now);
    let at = local
        .replace_time(Time::from_hms(hour, minute, 0).ok()?)
        .to_offset(time::UtcOffset::UTC);
    // Around a change of offset, the Paris offset of `at` may differ from `now`'s by an hour.
    let offset = paris_time(at).offset();
    Some(
        local
            .replace_time(Time::from_hms(hour, minute, 0).ok()?)
            .replace_offset(offset),
    )
}

/// The daily emission's task.
pub struct Daily {
    /// The daemon's state (hub, billing, events).
    pub state: AppState,
    /// Transmission settings and the wake-up.
    pub transmission: Arc<Transmission>,
}

impl Daily {
    /// Runs until the task is dropped (returns at once when no time is configured).
    pub async fn run(self) {
        let Some((hour, minute)) = self.transmission.config.daily_time() else {
            return;
        };
        loop {
            if let Err(e) = self.tick(hour, minute).await {
                tracing::error!(error = %e, "daily emission");
            }
            tokio::select! {
                _ = self.transmission.wake.notified() => {}
                _ = tokio::time::sleep(EVERY) => {}
            }
        }
    }

    /// Runs today's emission if it is due and has not run yet.
    async fn tick(&self, hour: u8, minute: u8) -> Result<(), String> {
        let now = self.transmission.clock.now();
        let Some(at) = run_at(now, hour, minute) else {
            return Ok(());
        };
        let day = format_date(paris_time(now).date());
        let billing = self.state.billing.clone();
        let record = tokio::task::spawn_blocking(move || billing.schedule())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let Some(record) = record else {
            return Ok(());
        };
        if now < at || record.last_run.as_deref() == Some(day.as_str()) {
            return Ok(());
        }
        let caller = Caller {
            client: Some("émission quotidienne".into()),
            actor: AuditActor {
                grant_id: Some(record.grant_id.clone()),
                ..Default::default()
            },
            // Signs only with a PIN the application that turned the emission on verified.
            holder: Some(PinHolder::Grant(record.grant_id.clone())),
        };
        let report = self.emit(&caller).await;
        tracing::info!(report, "daily emission");
        let billing = self.state.billing.clone();
        let (d, r) = (day.clone(), report.clone());
        tokio::task::spawn_blocking(move || billing.record_schedule_run(&d, &r))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        crate::audit::record(
            "daily_emission",
            caller.actor.clone(),
            serde_json::json!({ "day": day, "report": report }),
        )
        .written()
        .await;
        Ok(())
    }

    /// Signs the lots with each verified CPS, queues every signed lot; what it did, in French.
    async fn emit(&self, caller: &Caller) -> String {
        let hub = self.state.hub.clone();
        let mut built = 0;
        let mut signers = Vec::new();
        let mut problems = Vec::new();
        for (reader, slot) in hub.verified_cpx() {
            if slot.card.kind == CardKind::Cpe {
                continue;
            }
            let Ok(card) = cards::cpx(&hub, &reader, caller, false).await else {
                continue;
            };
            for situation in card.situations.iter().filter(|s| s.may_sign_lot) {
                let signer =
                    CardSigner::prepare(hub.clone(), &reader, caller, situation.index, true).await;
                let signer = match signer {
                    Ok(s) => s,
                    Err(e) => {
                        problems.push(format!("{reader} : {e}"));
                        continue;
                    }
                };
                let billing = self.state.billing.clone();
                let lots =
                    tokio::task::spawn_blocking(move || billing.build_and_sign_lots(&signer)).await;
                match lots {
                    Ok(Ok(lots)) => built += lots.len(),
                    Ok(Err(e)) => problems.push(e.to_string()),
                    Err(e) => problems.push(e.to_string()),
                }
                signers.push(situation.billing_number.clone());
            }
        }
        let billing = self.state.billing.clone();
        let queued = tokio::task::spawn_blocking(move || {
            billing.queue_signed_lots(None, AttemptReason::Daily)
        })
        .await;
        let queued = match queued {
            Ok(Ok(q)) => q.len(),
            Ok(Err(e)) => {
                problems.push(e.to_string());
                0
            }
            Err(e) => {
                problems.push(e.to_string());
                0
            }
        };
        self.transmission.nudge();
        let mut report = match signers.is_empty() {
            true => {
                "Aucune CPS au code vérifié dans un lecteur : aucun lot signé, les FSE signées \
                     attendent la prochaine émission."
                    .to_owned()
            }
            false => format!(
                "{built} lot(s) construit(s) et signé(s) (praticien(s) {}).",
                signers.join(", ")
            ),
        };
        report.push_str(&format!(" {queued} lot(s) mis en envoi."));
        if !problems.is_empty() {
            report.push_str(&format!(" Problèmes : {}.", problems.join(" ; ")));
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_run_is_at_paris_time() {
        // Winter: 18:30 Paris is 17:30 UTC; summer: 16:30 UTC.
        let winter = run_at(datetime!(2026-01-15 08:00 UTC), 18, 30).unwrap();
        assert_eq!(
            winter.to_offset(time::UtcOffset::UTC),
            datetime!(2026-01-15 17:30 UTC)
        );
        let summer = run_at(datetime!(2026-07-15 08:00 UTC), 18, 30).unwrap();
        assert_eq!(
            summer.to_offset(time::UtcOffset::UTC),
            datetime!(2026-07-15 16:30 UTC)
        );
    }
}
