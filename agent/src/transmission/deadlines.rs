//! The deadline watch: lots not sent yet near (or past) their send-by date are announced on
//! the event stream (`lot_deadline_near`), once per lot and day (`passerelle doctor` says
//! the same from the store); lots sent without an ARL within 2 working days count a
//! failure (sent again, or a paper duplicate the second time); replacement sessions past
//! their last day are closed (`replacement_closed`). Scanned attachments ([`Watch::attachments`]):
//! PJ lots are made of the attachments whose FSE lot is acknowledged, sent again or put on
//! paper by their deadlines, and attachments past their 90 days are purged.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use passerelle_billing::calendar::deadline_state;
use passerelle_billing::clock::parse_date;
use passerelle_billing::{Billing, Clock};
use passerelle_protocol::{EventKind, Lot, LotStatus};
use time::Date;
use tokio::sync::Notify;

use crate::events::EventBus;

/// How often the watch looks without being woken.
const EVERY: Duration = Duration::from_secs(60);

/// The watch's state.
pub struct Watch {
    /// The store.
    pub billing: Arc<Billing>,
    /// The billing clock.
    pub clock: Arc<dyn Clock>,
    /// Working days of warning.
    pub warning_days: u32,
    /// Woken with the outbox worker (the clock moved, a lot was queued).
    pub wake: Arc<Notify>,
    /// Where the warnings go.
    pub events: Arc<EventBus>,
}

/// The lots to warn about on `today`, with whether each is overdue.
pub fn near(lots: &[Lot], today: Date, warning_days: u32) -> Vec<(&Lot, bool)> {
    let waiting = |l: &&Lot| {
        matches!(
            l.status,
            LotStatus::Signed | LotStatus::Sending | LotStatus::NeedsAttention
        )
    };
    lots.iter()
        .filter(waiting)
        .filter_map(|l| {
            let by = parse_date(l.send_by.as_deref()?)?;
            deadline_state(by, today, warning_days).map(|overdue| (l, overdue))
        })
        .collect()
}

impl Watch {
    /// Lots whose ARL did not come in time: sent again, or paper the second time.
    async fn arl_timeouts(&self) {
        let billing = self.billing.clone();
        let Ok(Ok(late)) = tokio::task::spawn_blocking(move || billing.arl_timeouts()).await else {
            return;
        };
        let events = self.events.clone();
        let sink: passerelle_transmission::worker::EventSink = Arc::new(move |kind| {
            events.publish(kind);
        });
        let mut queued = false;
        for applied in &late {
            queued |= passerelle_transmission::returns::apply::arl_events(applied, &sink).queued;
        }
        if queued {
            self.wake.notify_one();
        }
    }

    /// Scanned attachments: new PJ lots, their deadlines, the purge; with their events. A
    /// purge is an audit line too (the daemon deleted documents of care).
    async fn attachments(&self) {
        let billing = self.billing.clone();
        let events = self.events.clone();
        let sink: passerelle_transmission::worker::EventSink = Arc::new(move |kind| {
            events.publish(kind);
        });
        let done = tokio::task::spawn_blocking(move || {
            use passerelle_transmission::returns::apply::{build_pj_lots, pj_events};
            // The purge first: whatever a round's deadlines did, its purge is done too.
            let purged = billing.purge_attachments()?;
            let mut queued = build_pj_lots(&billing, &sink)?.queued;
            for applied in &billing.pj_timeouts()? {
                queued |= pj_events(applied, &sink).queued;
            }
            Ok::<_, passerelle_billing::BillingError>((queued, purged))
        })
        .await;
        let (queued, purged) = match done {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => return tracing::error!(error = %e, "PJ lots: store call failed"),
            Err(e) => return tracing::error!(error = %e, "PJ lots: task failed"),
        };
        if queued {
            // The worker is the one waiting now (this watch is running).
            self.wake.notify_waiters();
            self.wake.notify_one();
        }
        if !purged.is_empty() {
            tracing::info!(
                count = purged.len(),
                "attachments purged (90 days after ARL PJ)"
            );
            crate::audit::record(
                crate::audit::action::ATTACHMENTS_PURGED,
                passerelle_protocol::AuditActor::default(),
                serde_json::json!({ "attachments": purged, "kept_days": 90 }),
            )
            .written()
            .await;
            self.events.publish(EventKind::AttachmentsPurged {
                attachment_ids: purged,
            });
        }
    }

    /// Replacement sessions past their last day: closed, with their events.
    async fn end_replacements(&self) {
        let billing = self.billing.clone();
        let Ok(Ok(ended)) =
            tokio::task::spawn_blocking(move || billing.end_due_replacements()).await
        else {
            return;
        };
        for s in ended {
            self.events.publish(EventKind::ReplacementClosed {
                session_id: s.id,
                replaced: s.replaced.billing_number.clone(),
                reason: s.closed_because.clone().unwrap_or_default(),
            });
        }
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        let mut told: HashSet<(i64, Date)> = HashSet::new();
        loop {
            self.end_replacements().await;
            self.arl_timeouts().await;
            self.attachments().await;
            let billing = self.billing.clone();
            if let Ok(Ok(lots)) = tokio::task::spawn_blocking(move || billing.lots(None)).await {
                let today = self.clock.today();
                for (lot, overdue) in near(&lots, today, self.warning_days) {
                    if told.insert((lot.id, today)) {
                        self.events.publish(EventKind::LotDeadlineNear {
                            lot_id: lot.id,
                            lot_number: lot.number.clone(),
                            practitioner: lot.practitioner.clone(),
                            send_by: lot.send_by.clone().unwrap_or_default(),
                            overdue,
                        });
                    }
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(EVERY) => {}
            }
        }
    }
}
