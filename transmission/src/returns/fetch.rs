//! Fetching the returns: one task per practitioner mailbox with IMAP settings, reading it
//! read-only (`EXAMINE`, `BODY.PEEK[]`: the mailbox is left as it was). Each new mail (by
//! UID, past the cursor kept in the store) is kept raw first — with the cursor, in one
//! transaction — then applied. IDLE when the server offers it, else a poll at
//! `poll_interval`. A server that is down is tried again (5 s, doubling up to 5 min); the
//! cursor makes sure nothing is missed nor read twice. A UIDVALIDITY change reads the
//! mailbox again from the start (what was kept already is recognised by its Message-ID or
//! its content hash).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use passerelle_billing::store::returns_rows::NewMail;
use passerelle_billing::{Billing, Clock};
use passerelle_protocol::MailSettings;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{apply, mail};
use crate::imap::{ImapError, ImapMailbox};
use crate::settings::{self, Passwords};
use crate::worker::EventSink;

/// What the fetchers need.
#[derive(Clone)]
pub struct Inbox {
    /// The store.
    pub billing: Arc<Billing>,
    /// The billing clock (when a mail was received).
    pub clock: Arc<dyn Clock>,
    /// The mailbox passwords.
    pub passwords: Passwords,
    /// A private authority for the mail servers, if any.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// The organism directory file (the known senders).
    pub organisms_file: PathBuf,
    /// How long to wait between two looks when the server has no IDLE.
    pub poll_interval: Duration,
    /// Woken to re-read the settings; also woken for the outbox when a lot is queued again.
    pub wake: Arc<Notify>,
    /// Where events go.
    pub events: EventSink,
}

/// The longest IDLE before the connection is refreshed.
const IDLE_MAX: Duration = Duration::from_secs(25 * 60);
/// How often the supervisor looks at the mail settings.
const SETTINGS_EVERY: Duration = Duration::from_secs(30);

impl Inbox {
    /// Applies what was kept but not applied (a crash in between), then keeps one fetcher
    /// per mailbox running, restarting them when the settings change.
    pub async fn run(self) {
        self.apply_stored().await;
        let mut running: BTreeMap<String, (String, JoinHandle<()>)> = BTreeMap::new();
        loop {
            let billing = self.billing.clone();
            let settings = tokio::task::spawn_blocking(move || billing.all_mail_settings())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            let mut wanted = BTreeMap::new();
            for s in settings.into_iter().filter(|s| s.imap.is_some()) {
                let key = serde_json::to_string(&s).unwrap_or_default();
                wanted.insert(s.practitioner.clone(), (key, s));
            }
            running.retain(|p, (key, task)| {
                let keep = wanted.get(p).is_some_and(|(k, _)| k == key) && !task.is_finished();
                if !keep {
                    task.abort();
                }
                keep
            });
            for (p, (key, s)) in wanted {
                if let std::collections::btree_map::Entry::Vacant(slot) = running.entry(p) {
                    let me = self.clone();
                    slot.insert((key, tokio::spawn(async move { me.fetch_forever(s).await })));
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(SETTINGS_EVERY) => {}
            }
        }
    }

    /// Applies every mail kept but not applied yet.
    pub async fn apply_stored(&self) {
        let billing = self.billing.clone();
        let ids = tokio::task::spawn_blocking(move || billing.stored_returns()).await;
        for id in ids.ok().and_then(Result::ok).unwrap_or_default() {
            self.apply(id).await;
        }
    }

    async fn apply(&self, id: i64) {
        let (billing, file, events) = (
            self.billing.clone(),
            self.organisms_file.clone(),
            self.events.clone(),
        );
        let done = tokio::task::spawn_blocking(move || {
            let known = apply::known_senders(&billing, &file);
            apply::apply(&billing, id, &known, &events)
        })
        .await;
        match done {
            Ok(Ok(applied)) if applied.queued => {
                self.wake.notify_waiters();
                self.wake.notify_one();
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error = %e, id, "return mail not applied"),
            Err(e) => tracing::error!(error = %e, id, "return mail task"),
        }
    }

    /// Reads `settings`' mailbox until the task is dropped.
    async fn fetch_forever(&self, settings: MailSettings) {
        let mut pause = Duration::from_secs(5);
        loop {
            match self.session(&settings).await {
                Ok(()) => pause = Duration::from_secs(5),
                Err(e) => {
                    tracing::warn!(practitioner = settings.practitioner, error = %e,
                        retry_in_s = pause.as_secs(), "returns: mailbox unreachable");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(300));
                }
            }
        }
    }

    /// One connection: fetch what is new, wait for a change, again, until an error.
    async fn session(&self, settings: &MailSettings) -> Result<(), ImapError> {
        let who = settings.practitioner.clone();
        let password = self
            .passwords
            .read(&who)
            .map_err(|e| ImapError::Connection(e.to_string()))?;
        let imap = settings::imap(settings, &password, self.extra_ca_pem.as_deref())
            .ok_or_else(|| ImapError::Connection("aucun serveur IMAP réglé".into()))?;
        let mut mailbox = ImapMailbox::open(&imap, "INBOX").await?;
        let validity = mailbox.uid_validity().unwrap_or(0);
        loop {
            let billing = self.billing.clone();
            let p = who.clone();
            let cursor = tokio::task::spawn_blocking(move || billing.imap_cursor(&p))
                .await
                .ok()
                .and_then(Result::ok)
                .flatten();
            let last = match cursor {
                Some((v, last)) if v == validity => last,
                _ => 0,
            };
            for uid in mailbox.uids().await?.into_iter().filter(|u| *u > last) {
                let Some(fetched) = mailbox.fetch(uid).await? else {
                    continue;
                };
                // A mail not kept stops this session: the cursor stays before it, and the
                // next session fetches it again (never skipped).
                if let Some(id) = self.keep(&who, validity, uid, &fetched.raw).await? {
                    self.apply(id).await;
                }
            }
            mailbox
                .wait_for_change(match mailbox.supports_idle() {
                    true => IDLE_MAX,
                    false => self.poll_interval,
                })
                .await?;
        }
    }

    /// Keeps a fetched mail (with the cursor past it); its id when it is new, `None` when
    /// it was kept already; an error when the store could not keep it.
    async fn keep(
        &self,
        who: &str,
        validity: u32,
        uid: u32,
        raw: &[u8],
    ) -> Result<Option<i64>, ImapError> {
        let envelope = mail::read(raw);
        let (billing, who, raw) = (self.billing.clone(), who.to_owned(), raw.to_vec());
        let now = passerelle_billing::clock::format_instant(self.clock.now());
        let kept = tokio::task::spawn_blocking(move || {
            let sha = hex::encode(Sha256::digest(&raw));
            billing.keep_return_mail(&NewMail {
                practitioner: &who,
                uid: Some((validity, uid)),
                message_id: envelope.message_id.as_deref(),
                sha256: &sha,
                sender: envelope.sender.as_deref(),
                subject: &envelope.subject,
                raw: &raw,
                kind: envelope.kind,
                now: &now,
            })
        })
        .await;
        match kept {
            Ok(Ok(id)) => Ok(id),
            Ok(Err(e)) => {
                tracing::error!(error = %e, uid, "return mail not kept");
                Err(ImapError::Connection(format!(
                    "courrier non conservé : {e}"
                )))
            }
            Err(e) => {
                tracing::error!(error = %e, uid, "return mail task");
                Err(ImapError::Connection(format!(
                    "courrier non conservé : {e}"
                )))
            }
        }
    }
}
