//! Opening the connection: TCP, then TLS at once (IMAPS) or after STARTTLS.

use std::fmt;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{ImapError, ImapSettings, Security, Stream};
use crate::tls;

/// Sorts async-imap's errors (a NO to LOGIN is handled where it happens).
pub(super) fn from_imap(e: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error as E;
    match e {
        E::Io(io) => ImapError::Connection(io.to_string()),
        E::ConnectionLost => ImapError::Connection("connexion perdue".into()),
        other => ImapError::Protocol(other.to_string()),
    }
}

/// Runs `fut` within `limit`; a late answer is [`ImapError::Timeout`].
pub(super) async fn timed<T, E>(
    limit: Duration,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, ImapError>
where
    E: Into<ImapError>,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(ImapError::Timeout(limit.as_secs())),
    }
}

impl From<async_imap::error::Error> for ImapError {
    fn from(e: async_imap::error::Error) -> Self {
        from_imap(e)
    }
}

/// Connects and secures the connection; the server's greeting has been read.
pub(super) async fn connect(s: &ImapSettings) -> Result<async_imap::Client<Stream>, ImapError> {
    let connector = TlsConnector::from(tls::client_config(s.extra_ca_pem.as_deref())?);
    let name = tls::server_name(&s.host)?;
    let t = s.timeout;
    let tcp = timed(t, async {
        TcpStream::connect((s.host.as_str(), s.port))
            .await
            .map_err(|e| ImapError::Connection(format!("{}:{} : {e}", s.host, s.port)))
    })
    .await?;
    let tls_err = |e: std::io::Error| ImapError::Tls(e.to_string());
    match s.security {
        Security::ImplicitTls => {
            let stream = timed(t, async {
                connector.connect(name, tcp).await.map_err(tls_err)
            })
            .await?;
            let mut client = async_imap::Client::new(stream);
            read_greeting(&mut client, t).await?;
            Ok(client)
        }
        Security::StartTls => {
            let mut plain = async_imap::Client::new(tcp);
            read_greeting(&mut plain, t).await?;
            timed(t, plain.run_command_and_check_ok("STARTTLS", None)).await?;
            let tcp = plain.into_inner();
            let stream = timed(t, async {
                connector.connect(name, tcp).await.map_err(tls_err)
            })
            .await?;
            // No second greeting after STARTTLS (RFC 3501 §6.2.1).
            Ok(async_imap::Client::new(stream))
        }
    }
}

async fn read_greeting<T>(client: &mut async_imap::Client<T>, t: Duration) -> Result<(), ImapError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + fmt::Debug + Send,
{
    let greeting = timed(t, async {
        client
            .read_response()
            .await
            .map_err(|e| ImapError::Connection(e.to_string()))
    })
    .await?;
    greeting
        .map(|_| ())
        .ok_or_else(|| ImapError::Connection("fermée avant l'accueil du serveur".into()))
}
