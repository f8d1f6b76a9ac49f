//! Reading a mailbox over IMAP (async-imap on tokio, TLS by tokio-rustls): IMAPS or
//! STARTTLS, UIDs, raw messages by UID, Message-ID, and IDLE when the server offers it.
//!
//! Read-only by construction: the mailbox is opened with `EXAMINE` and bodies are fetched
//! with `BODY.PEEK[]`, so nothing is deleted, expunged or flagged (not even `\Seen`).

use std::fmt;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::types::UnsolicitedResponse;
use async_imap::Session;
use futures_util::TryStreamExt;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

mod connect;
mod headers;

use connect::{connect, from_imap, timed};
pub use headers::message_id;

pub use crate::tls::Security;
use crate::tls::TlsError;

type Stream = TlsStream<TcpStream>;

/// Where and how to read.
#[derive(Clone)]
pub struct ImapSettings {
    /// Server host name (checked against its certificate) or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// IMAPS or STARTTLS.
    pub security: Security,
    /// Login name.
    pub username: String,
    /// Password (never printed by `Debug`).
    pub password: String,
    /// A private CA (PEM) trusted besides the system's roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Limit for connecting and for each command.
    pub timeout: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<masqué>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why reading the mailbox failed.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// No connection, or it was lost.
    #[error("Le serveur de réception (IMAP) est injoignable : {0}")]
    Connection(String),
    /// The TLS handshake or the certificate check failed.
    #[error("La connexion sécurisée (TLS) au serveur IMAP a échoué : {0}")]
    Tls(String),
    /// The TLS settings are unusable.
    #[error(transparent)]
    Configuration(#[from] TlsError),
    /// The server did not answer in time.
    #[error("Le serveur IMAP ne répond pas (délai de {0} s dépassé).")]
    Timeout(u64),
    /// The login was refused.
    #[error("Identifiant ou mot de passe de messagerie (IMAP) refusé : {0}")]
    Authentication(String),
    /// The mailbox cannot be opened.
    #[error("Le dossier de messagerie « {0} » est introuvable ou inaccessible : {1}")]
    Mailbox(String, String),
    /// The server answered something unexpected.
    #[error("Réponse inattendue du serveur IMAP : {0}")]
    Protocol(String),
}

impl ImapError {
    /// Whether trying again later may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(
            self,
            ImapError::Connection(_) | ImapError::Tls(_) | ImapError::Timeout(_)
        )
    }
}

/// One message as stored on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedMessage {
    /// Its UID (stable while the mailbox's UIDVALIDITY is unchanged).
    pub uid: u32,
    /// The whole message as the server keeps it.
    pub raw: Vec<u8>,
    /// Its Message-ID header, angle brackets included, if it has one.
    pub message_id: Option<String>,
}

/// What ended a [`ImapMailbox::wait_for_change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The server reported a change (new message, expunge...): list the UIDs again.
    Changed,
    /// Nothing happened within the wait.
    TimedOut,
    /// The server has no IDLE: the wait was a pause and a NOOP; list the UIDs again.
    Polled,
}

/// An open, read-only mailbox.
pub struct ImapMailbox {
    session: Option<Session<Stream>>,
    timeout: Duration,
    idle: bool,
    uid_validity: Option<u32>,
}

impl fmt::Debug for ImapMailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapMailbox")
            .field("open", &self.session.is_some())
            .field("idle", &self.idle)
            .field("uid_validity", &self.uid_validity)
            .finish()
    }
}

impl ImapMailbox {
    /// Connects, logs in and opens `mailbox` (e.g. `INBOX`) read-only.
    pub async fn open(s: &ImapSettings, mailbox: &str) -> Result<ImapMailbox, ImapError> {
        let client = connect(s).await?;
        let t = s.timeout;
        let login = tokio::time::timeout(t, client.login(&s.username, &s.password))
            .await
            .map_err(|_| ImapError::Timeout(t.as_secs()))?;
        let mut session = match login {
            Ok(session) => session,
            Err((async_imap::error::Error::No(text), _)) => {
                return Err(ImapError::Authentication(text))
            }
            Err((e, _)) => return Err(from_imap(e)),
        };
        let idle = timed(t, session.capabilities()).await?.has_str("IDLE");
        let opened = timed(t, session.examine(mailbox))
            .await
            .map_err(|e| match e {
                ImapError::Protocol(m) => ImapError::Mailbox(mailbox.to_owned(), m),
                other => other,
            })?;
        Ok(ImapMailbox {
            session: Some(session),
            timeout: t,
            idle,
            uid_validity: opened.uid_validity,
        })
    }

    fn session(&mut self) -> Result<&mut Session<Stream>, ImapError> {
        self.session
            .as_mut()
            .ok_or_else(|| ImapError::Connection("session interrompue pendant une attente".into()))
    }

    /// The mailbox's UIDVALIDITY: if it changes, UIDs seen before mean nothing any more.
    pub fn uid_validity(&self) -> Option<u32> {
        self.uid_validity
    }

    /// Whether the server offers IDLE.
    pub fn supports_idle(&self) -> bool {
        self.idle
    }

    /// Every UID in the mailbox, ascending.
    pub async fn uids(&mut self) -> Result<Vec<u32>, ImapError> {
        let t = self.timeout;
        // Changes reported so far are covered by this listing: forget them, so that the next
        // wait does not wake for them. Those reported during the search stay and wake it.
        self.drain_changes()?;
        let set = timed(t, self.session()?.uid_search("ALL")).await?;
        let mut uids: Vec<u32> = set.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The message with this UID, without marking it seen; `None` if there is none.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<FetchedMessage>, ImapError> {
        let t = self.timeout;
        let session = self.session()?;
        let fetches: Vec<_> = timed(t, async {
            session
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                .await?
                .try_collect::<Vec<_>>()
                .await
        })
        .await?;
        Ok(fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(|raw| FetchedMessage {
                uid,
                raw: raw.to_vec(),
                message_id: message_id(raw),
            }))
    }

    /// Waits up to `max` for the server to report a change: IDLE when offered, else a pause
    /// and a NOOP. Returns at once if a change was reported since the last
    /// [`ImapMailbox::uids`] (during a fetch, say). The usual loop: `uids`, fetch what is new,
    /// `wait_for_change`, again.
    pub async fn wait_for_change(&mut self, max: Duration) -> Result<Wake, ImapError> {
        let t = self.timeout;
        if self.drain_changes()? {
            return Ok(Wake::Changed);
        }
        if !self.idle {
            tokio::time::sleep(max).await;
            timed(t, self.session()?.noop()).await?;
            return Ok(Wake::Polled);
        }
        let session = self
            .session
            .take()
            .ok_or_else(|| ImapError::Connection("session interrompue".into()))?;
        let mut handle = session.idle();
        timed(t, handle.init()).await?;
        let (wait, stop) = handle.wait_with_timeout(max);
        // Dropping `stop` would interrupt the wait: keep it until the wait ends.
        let outcome = wait.await;
        drop(stop);
        let session = timed(t, handle.done()).await?;
        self.session = Some(session);
        match outcome.map_err(from_imap)? {
            IdleResponse::NewData(_) => Ok(Wake::Changed),
            IdleResponse::Timeout | IdleResponse::ManualInterrupt => Ok(if self.drain_changes()? {
                Wake::Changed
            } else {
                Wake::TimedOut
            }),
        }
    }

    /// Empties the unsolicited responses; whether one of them told of a change.
    fn drain_changes(&mut self) -> Result<bool, ImapError> {
        let session = self.session()?;
        let mut changed = false;
        while let Ok(r) = session.unsolicited_responses.try_recv() {
            changed |= matches!(
                r,
                UnsolicitedResponse::Exists(_)
                    | UnsolicitedResponse::Recent(_)
                    | UnsolicitedResponse::Expunge(_)
            );
        }
        Ok(changed)
    }

    /// Logs out politely.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        let t = self.timeout;
        timed(t, self.session()?.logout()).await
    }
}
