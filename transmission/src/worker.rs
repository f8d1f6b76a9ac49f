//! The outbox worker: sends the due attempts (lots of FSE and PJ lots alike), one at a time
//! per practitioner mailbox (the mailboxes in parallel), and reports each outcome to the
//! billing store.
//!
//! For each due attempt: the message is built once (settings, password, destination,
//! signed lot) and stored with [`Billing::claim`] before the first SMTP try; a temporary
//! failure waits (30 s, doubling, at most an hour) and tries the same bytes again; a
//! permanent one (5xx, login refused, settings or certificate unusable) fails the attempt
//! and the lot needs attention, with the reason in French. An attempt found `sending` (a
//! crash after the server took it, before the store could say so) is sent again with its
//! stored bytes: same Message-ID, same lot number.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::address::Envelope;
use passerelle_billing::clock::Clock;
use passerelle_billing::outbox::{DueAttempt, OutgoingLot};
use passerelle_billing::Billing;
use passerelle_protocol::{AttemptState, EventKind, LotKind, MailSettings, OutboxAttempt};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::iris::{Mode, OrganismCertificate};
use crate::organisms::{Destination, Directory};
use crate::settings::{self, Passwords};
use crate::smtp::{self, SmtpError};

/// How the worker reports what happens (the daemon publishes these on its event stream).
pub type EventSink = Arc<dyn Fn(EventKind) + Send + Sync>;

/// What the worker needs.
#[derive(Clone)]
pub struct Outbox {
    /// The store.
    pub billing: Arc<Billing>,
    /// Where "now" comes from (the billing clock: tests move it).
    pub clock: Arc<dyn Clock>,
    /// The organism directory file (read again for each message: it is updatable).
    pub organisms_file: PathBuf,
    /// The mailbox passwords.
    pub passwords: Passwords,
    /// A private authority for the mail servers (PEM), if configured.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Test or production lots.
    pub mode: Mode,
    /// Woken when an attempt is queued or the clock moved.
    pub wake: Arc<Notify>,
    /// Where events go.
    pub events: EventSink,
}

/// The longest the worker sleeps without looking at the outbox again.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);

/// The wait after the `tries`-th temporary failure: 30 s, doubling, at most an hour.
pub fn backoff(tries: u32) -> time::Duration {
    let seconds = 30u64.saturating_mul(1 << tries.saturating_sub(1).min(7));
    time::Duration::seconds(seconds.min(3600) as i64)
}

impl Outbox {
    /// Runs until the task is dropped.
    pub async fn run(self) {
        loop {
            let handled = self.round().await;
            if handled == 0 {
                let nap = self.time_to_next_due().await;
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(nap) => {}
                }
            }
        }
    }

    /// Handles every attempt due now, mailboxes in parallel; returns how many.
    pub async fn round(&self) -> usize {
        let billing = self.billing.clone();
        let now = self.clock.now();
        let due = tokio::task::spawn_blocking(move || billing.due_attempts(now)).await;
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "outbox: cannot read the due attempts");
                return 0;
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox: reading task failed");
                return 0;
            }
        };
        let count = due.len();
        let mut running = tokio::task::JoinSet::new();
        for d in due {
            let me = self.clone();
            running.spawn(async move { me.handle(d).await });
        }
        while running.join_next().await.is_some() {}
        count
    }

    async fn time_to_next_due(&self) -> Duration {
        let billing = self.billing.clone();
        let next = tokio::task::spawn_blocking(move || billing.next_due()).await;
        let Ok(Ok(Some(next))) = next else {
            return LONGEST_SLEEP;
        };
        let Ok(at) = OffsetDateTime::parse(&next, &time::format_description::well_known::Rfc3339)
        else {
            return LONGEST_SLEEP;
        };
        let wait = (at - self.clock.now()).max(time::Duration::ZERO);
        Duration::try_from(wait)
            .unwrap_or(LONGEST_SLEEP)
            .min(LONGEST_SLEEP)
    }

    /// One attempt: build (once), send, report.
    async fn handle(&self, due: DueAttempt) {
        let attempt = due.attempt.clone();
        let lot = due.lot.clone();
        let state = attempt.state;
        let practitioner = lot.practitioner().to_owned();
        let Some(settings) = self.blocking(move |b| b.mail_settings(&practitioner)).await else {
            return;
        };
        let Some(settings) = settings else {
            let reason = format!(
                "Messagerie non réglée pour le praticien {} : `passerelle mail set` ou PUT \
                 /v1/mail/{}.",
                lot.practitioner(),
                lot.practitioner()
            );
            return self.fail(&attempt, state, &reason).await;
        };
        let password = match self.passwords.read(lot.practitioner()) {
            Ok(p) => p,
            Err(e) => return self.fail(&attempt, state, &e.to_string()).await,
        };
        let (recipient, message) = match due.message {
            Some(bytes) => (attempt.recipient.clone().unwrap_or_default(), bytes),
            None => match self.build(&due, &settings).await {
                Ok(built) => built,
                Err(reason) => return self.fail(&attempt, state, &reason).await,
            },
        };
        let envelope = match (settings.from.parse(), recipient.parse()) {
            (Ok(from), Ok(to)) => Envelope::new(Some(from), vec![to]).ok(),
            _ => None,
        };
        let Some(envelope) = envelope else {
            let reason = format!(
                "Adresses d'envoi invalides ({} → {recipient}).",
                settings.from
            );
            return self.fail(&attempt, state, &reason).await;
        };
        if state == AttemptState::Queued {
            let (id, to, bytes) = (attempt.id, recipient.clone(), message.clone());
            if self
                .blocking(move |b| b.claim(id, &to, &bytes))
                .await
                .is_none()
            {
                return;
            }
        }
        if let OutgoingLot::Fse(lot) = &lot {
            (self.events)(EventKind::LotSending {
                lot_id: lot.id,
                lot_number: lot.number.clone(),
                attempt_id: attempt.id,
                recipient: recipient.clone(),
            });
        }
        let smtp_settings = settings::smtp(&settings, &password, self.extra_ca_pem.as_deref());
        match smtp::send(&smtp_settings, &envelope, &message).await {
            Ok(sent) => {
                let id = attempt.id;
                let reply = format!("{} {}", sent.code, sent.server_reply);
                if let Some((done, lot)) = self.blocking(move |b| b.mark_sent(id, &reply)).await {
                    tracing::info!(
                        lot = lot.number(),
                        kind = ?done.kind,
                        practitioner = lot.practitioner(),
                        message_id = done.message_id,
                        "lot sent"
                    );
                    (self.events)(match lot {
                        OutgoingLot::Fse(lot) => EventKind::LotSent {
                            lot_id: lot.id,
                            lot_number: lot.number,
                            attempt_id: done.id,
                            message_id: done.message_id,
                        },
                        OutgoingLot::Pj(pj) => EventKind::PjLotSent {
                            pj_lot_id: pj.id,
                            pj_lot_number: pj.number,
                            attempt_id: done.id,
                            message_id: done.message_id,
                        },
                    });
                }
            }
            Err(e @ SmtpError::Temporary(_)) => {
                let next = self.clock.now() + backoff(attempt.tries + 1);
                let (id, reason) = (attempt.id, e.to_string());
                let waited = self
                    .blocking(move |b| b.mark_temporary(id, AttemptState::Sending, &reason, next))
                    .await;
                if let Some(waiting) = waited {
                    tracing::warn!(lot = lot.number(), error = %e, next_try = ?waiting.next_try,
                        "lot not sent, trying again later");
                    self.failed_event(&waiting, false);
                }
            }
            Err(e) => {
                self.fail(&attempt, AttemptState::Sending, &e.to_string())
                    .await
            }
        }
    }

    /// Builds the message of a queued attempt: (recipient, bytes), or why it cannot be.
    async fn build(
        &self,
        due: &DueAttempt,
        settings: &MailSettings,
    ) -> Result<(String, Vec<u8>), String> {
        let destination = match settings::oct(settings) {
            Some(oct) => Destination {
                address: oct.address.clone(),
                certificate: OrganismCertificate::from_pem_or_der(oct.certificate_pem.as_bytes())
                    .map_err(|e| format!("Certificat de l'OCT : {e}"))?,
            },
            None => Directory::load(&self.organisms_file)
                .and_then(|d| d.destination(due.lot.organism()))
                .map_err(|e| e.to_string())?,
        };
        destination
            .certificate
            .check_validity(self.clock.now())
            .map_err(|e| e.to_string())?;
        let unavailable = "Base de facturation indisponible.";
        let (from, id) = (&settings.from, &due.attempt.message_id);
        let message = match &due.lot {
            OutgoingLot::Fse(lot) => {
                let lot_id = lot.id;
                let files = self
                    .blocking(move |b| b.lot_files(lot_id))
                    .await
                    .ok_or(unavailable)?;
                crate::lot_message::build(lot, &files, from, &destination, id, self.mode)
            }
            OutgoingLot::Pj(pj) => {
                let pj_id = pj.id;
                let files = self
                    .blocking(move |b| b.pj_lot_files(pj_id))
                    .await
                    .ok_or(unavailable)?;
                crate::pj_message::build(pj, &files, from, &destination, id, self.mode)
            }
        }
        .map_err(|e| e.to_string())?;
        Ok((destination.address, message.bytes))
    }

    async fn fail(&self, attempt: &OutboxAttempt, from: AttemptState, reason: &str) {
        let (id, why) = (attempt.id, reason.to_owned());
        if let Some((failed, lot)) = self.blocking(move |b| b.mark_failed(id, from, &why)).await {
            tracing::warn!(
                lot = lot.number(),
                practitioner = lot.practitioner(),
                reason,
                "lot needs attention"
            );
            self.failed_event(&failed, true);
        }
    }

    fn failed_event(&self, attempt: &OutboxAttempt, permanent: bool) {
        let message = attempt.last_error.clone().unwrap_or_default();
        (self.events)(match attempt.kind {
            LotKind::Fse => EventKind::LotSendFailed {
                lot_id: attempt.lot_id,
                lot_number: attempt.lot_number.clone(),
                attempt_id: attempt.id,
                permanent,
                message,
                next_try: attempt.next_try.clone(),
            },
            LotKind::Pj => EventKind::PjLotSendFailed {
                pj_lot_id: attempt.lot_id,
                pj_lot_number: attempt.lot_number.clone(),
                attempt_id: attempt.id,
                permanent,
                message,
                next_try: attempt.next_try.clone(),
            },
        });
    }

    /// Runs a store call on a blocking thread; `None` (logged) when it failed.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Billing) -> Result<T, passerelle_billing::BillingError> + Send + 'static,
    ) -> Option<T> {
        let billing = self.billing.clone();
        match tokio::task::spawn_blocking(move || f(&billing)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "outbox: store call failed");
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "outbox: store task failed");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let s = |n| backoff(n).whole_seconds();
        assert_eq!((s(1), s(2), s(3)), (30, 60, 120));
        assert_eq!(s(8), 3600);
        assert_eq!(s(40), 3600);
    }
}
