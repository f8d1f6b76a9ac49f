//! The classification of SMTP failures into temporary and permanent, worded in French.

use std::fmt;

/// Which step failed, to word the message and to guide the practitioner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// No TCP connection (refused, unreachable, name not resolved).
    Connection,
    /// The TLS handshake or the certificate check failed.
    Tls,
    /// The server did not answer in time.
    Timeout,
    /// The login was refused (or the server offers no usable mechanism).
    Authentication,
    /// The server refused the sender, the recipient or the message.
    Refused,
    /// The server's answer made no sense.
    Protocol,
    /// The settings themselves are unusable (bad CA file, no STARTTLS on the server).
    Configuration,
}

/// The details of a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Which step failed.
    pub cause: Cause,
    /// The SMTP reply code, when the server answered one.
    pub code: Option<u16>,
    /// The server's text, or the local error's, as received.
    pub detail: String,
}

/// A failed send or login check: temporary (retry later) or permanent (retrying is useless).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpError {
    /// Send again later.
    #[error("{}", describe(.0, true))]
    Temporary(Failure),
    /// Do not send again as it is: something must change first.
    #[error("{}", describe(.0, false))]
    Permanent(Failure),
}

impl SmtpError {
    /// Whether retrying later may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self, SmtpError::Temporary(_))
    }
    /// The details, whichever the kind.
    pub fn failure(&self) -> &Failure {
        match self {
            SmtpError::Temporary(f) | SmtpError::Permanent(f) => f,
        }
    }
}

fn describe(f: &Failure, temporary: bool) -> String {
    let reply = match f.code {
        Some(code) => format!("{code} {}", f.detail),
        None => f.detail.clone(),
    };
    let what = match (f.cause, temporary) {
        (Cause::Connection, _) => "Le serveur d'envoi est injoignable",
        (Cause::Tls, _) => "La connexion sécurisée (TLS) au serveur d'envoi a échoué",
        (Cause::Timeout, _) => "Le serveur d'envoi ne répond pas",
        (Cause::Authentication, true) => {
            "Le serveur d'envoi ne peut pas vérifier l'identifiant pour l'instant"
        }
        (Cause::Authentication, false) => "Identifiant ou mot de passe de messagerie refusé",
        (Cause::Refused, true) => "Le serveur d'envoi a refusé le message pour l'instant",
        (Cause::Refused, false) => "Le serveur d'envoi a refusé le message",
        (Cause::Protocol, _) => "Réponse inattendue du serveur d'envoi",
        (Cause::Configuration, _) => "Réglages de messagerie inutilisables",
    };
    let then = if temporary {
        "nouvel essai plus tard"
    } else {
        "à corriger avant un nouvel envoi"
    };
    format!("{what} ({reply}) : {then}.")
}

pub(super) fn permanent(cause: Cause, detail: impl fmt::Display) -> SmtpError {
    SmtpError::Permanent(Failure {
        cause,
        code: None,
        detail: detail.to_string(),
    })
}

/// Sorts a lettre error into temporary or permanent.
pub fn classify(e: &lettre::transport::smtp::Error) -> SmtpError {
    if let Some(code) = e.status() {
        let code = u16::from(code);
        // The server's text (every line of it); lettre keeps it as the error's source.
        let detail = std::error::Error::source(e)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let cause = match code {
            454 | 530 | 534 | 535 | 538 => Cause::Authentication,
            _ => Cause::Refused,
        };
        let failure = Failure {
            cause,
            code: Some(code),
            detail,
        };
        return if e.is_permanent() {
            SmtpError::Permanent(failure)
        } else {
            SmtpError::Temporary(failure)
        };
    }
    let detail = e.to_string();
    let temporary = |cause| {
        SmtpError::Temporary(Failure {
            cause,
            code: None,
            detail: detail.clone(),
        })
    };
    if e.is_timeout() {
        temporary(Cause::Timeout)
    } else if e.is_tls() || has_tls_source(e) {
        temporary(Cause::Tls)
    } else if e.is_client() {
        // lettre's own refusals: no STARTTLS offered, no common AUTH mechanism.
        let cause = if detail.contains("authentication") {
            Cause::Authentication
        } else {
            Cause::Configuration
        };
        permanent(cause, &detail)
    } else if e.is_response() {
        temporary(Cause::Protocol)
    } else {
        temporary(Cause::Connection)
    }
}

/// Whether a rustls error is in the chain: lettre reports a failed implicit-TLS handshake
/// as a connection error wrapping an `io::Error` that wraps the `rustls::Error`.
fn has_tls_source(e: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(err) = source {
        let inner = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if err.is::<rustls::Error>() || inner.is_some_and(|i| i.is::<rustls::Error>()) {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_french_and_keep_the_server_text() {
        let e = SmtpError::Permanent(Failure {
            cause: Cause::Authentication,
            code: Some(535),
            detail: "5.7.8 Error: authentication failed".into(),
        });
        let text = e.to_string();
        assert!(
            text.starts_with("Identifiant ou mot de passe de messagerie refusé"),
            "{text}"
        );
        assert!(
            text.contains("535 5.7.8 Error: authentication failed"),
            "{text}"
        );
        assert!(!e.is_temporary());
    }
}
