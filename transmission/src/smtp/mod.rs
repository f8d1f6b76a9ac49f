//! Sending a built message with lettre 0.11 over rustls: STARTTLS on submission (587) or
//! implicit TLS (465), then AUTH PLAIN or LOGIN.
//!
//! Trust: lettre's `rustls-platform-verifier` feature checks the server against the system's
//! roots, and [`SmtpSettings::extra_ca_pem`] adds a private CA on top
//! (`TlsParametersBuilder::add_root_certificate`, which lettre hands to
//! `Verifier::new_with_extra_roots`). lettre 0.11 takes no custom rustls `ClientConfig`
//! (its TLS parameters are built only by its own builder), so [`crate::tls::client_config`]
//! reproduces the same trust for IMAP.
//!
//! Every failure is [`SmtpError::Temporary`] (send again later: 4xx replies, connection
//! refused, DNS, TLS, timeouts) or [`SmtpError::Permanent`] (5xx replies, login refused,
//! settings that cannot work), with the server's own words kept in [`Failure::detail`].

use std::fmt;
use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

mod error;

use error::permanent;
pub use error::{classify, Cause, Failure, SmtpError};

use crate::iris::IrisMessage;
pub use crate::tls::Security;

/// Where and how to send.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Server host name (checked against its certificate) or IP address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// STARTTLS or implicit TLS.
    pub security: Security,
    /// Login name for AUTH.
    pub username: String,
    /// Password for AUTH (never printed by `Debug`).
    pub password: String,
    /// A private CA (PEM) trusted besides the system's roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Limit for the TCP connection. (lettre's async transport applies its timeout to the
    /// connection only, not to reads: hence [`SmtpSettings::exchange_timeout`].)
    pub timeout: Duration,
    /// Limit for a whole exchange (connect, TLS, AUTH, and the message or the NOOP).
    pub exchange_timeout: Duration,
}

impl SmtpSettings {
    /// Settings trusting the system roots only, with the default limits (10 s to connect,
    /// 120 s for a whole exchange).
    pub fn new(host: &str, port: u16, security: Security, username: &str, password: &str) -> Self {
        SmtpSettings {
            host: host.to_owned(),
            port,
            security,
            username: username.to_owned(),
            password: password.to_owned(),
            extra_ca_pem: None,
            timeout: Duration::from_secs(10),
            exchange_timeout: Duration::from_secs(120),
        }
    }
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<masqué>")
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(|p| p.len()))
            .field("timeout", &self.timeout)
            .field("exchange_timeout", &self.exchange_timeout)
            .finish()
    }
}

/// What the server said when it took the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The reply code (250).
    pub code: u16,
    /// The reply text, e.g. `2.0.0 Ok: queued as 4XYZ` (the queue id helps find it in logs).
    pub server_reply: String,
}

fn transport(s: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, SmtpError> {
    let mut tls = TlsParameters::builder(s.host.clone());
    if let Some(pem) = &s.extra_ca_pem {
        let ca = Certificate::from_pem(pem).map_err(|e| permanent(Cause::Configuration, e))?;
        tls = tls.add_root_certificate(ca);
    }
    let params = tls
        .build_rustls()
        .map_err(|e| permanent(Cause::Configuration, e))?;
    let tls = match s.security {
        Security::StartTls => Tls::Required(params),
        Security::ImplicitTls => Tls::Wrapper(params),
    };
    // builder_dangerous only means "no TLS preset": TLS is set just above.
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.as_str())
            .port(s.port)
            .tls(tls)
            .credentials(Credentials::new(s.username.clone(), s.password.clone()))
            .authentication(vec![Mechanism::Plain, Mechanism::Login])
            .timeout(Some(s.timeout))
            .build(),
    )
}

fn timed_out(s: &SmtpSettings) -> SmtpError {
    SmtpError::Temporary(Failure {
        cause: Cause::Timeout,
        code: None,
        detail: format!(
            "échange non terminé après {} s",
            s.exchange_timeout.as_secs()
        ),
    })
}

/// Sends `message` (complete RFC 5322 bytes) to the envelope's recipients.
pub async fn send(
    s: &SmtpSettings,
    envelope: &Envelope,
    message: &[u8],
) -> Result<Sent, SmtpError> {
    let transport = transport(s)?;
    let reply = tokio::time::timeout(s.exchange_timeout, transport.send_raw(envelope, message))
        .await
        .map_err(|_| timed_out(s))?
        .map_err(|e| classify(&e))?;
    Ok(Sent {
        code: u16::from(reply.code()),
        server_reply: reply.message().collect::<Vec<_>>().join(" "),
    })
}

/// Sends a built IRIS message to its organism.
pub async fn send_iris(s: &SmtpSettings, message: &IrisMessage) -> Result<Sent, SmtpError> {
    send(s, message.envelope(), &message.bytes).await
}

/// Connects, secures, authenticates and QUITs without sending (for `passerelle doctor`).
pub async fn check_login(s: &SmtpSettings) -> Result<(), SmtpError> {
    let transport = transport(s)?;
    // Without lettre's `pool` feature, test_connection = connect + TLS + AUTH + NOOP + QUIT.
    let alive = tokio::time::timeout(s.exchange_timeout, transport.test_connection())
        .await
        .map_err(|_| timed_out(s))?
        .map_err(|e| classify(&e))?;
    if alive {
        Ok(())
    } else {
        Err(SmtpError::Temporary(Failure {
            cause: Cause::Protocol,
            code: None,
            detail: "NOOP sans réponse après l'authentification".into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let s = SmtpSettings::new("h", 587, Security::StartTls, "u", "secret-pw");
        assert!(!format!("{s:?}").contains("secret-pw"));
    }
}
