//! The local commands' side of the one local API: `passerelle pair …`, `status` and `lots`
//! are HTTP clients of the daemon's own routes, over its local socket
//! ([`platform::local_socket`](crate::platform::local_socket)). The daemon serves its whole
//! router there; who may do what on it is decided in one place,
//! [`api::auth::local`](crate::api::auth::local): the daemon's own account and the
//! superuser, without a token.

pub mod admin;
pub mod client;
pub mod outbox;
pub mod replacements;
pub mod returns;

use std::path::{Path, PathBuf};

use hyper::Method;
use passerelle_protocol::ApiError;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::platform::local_socket;

/// The daemon of one data directory, reached through its local socket.
pub struct LocalClient {
    data_dir: PathBuf,
}

impl LocalClient {
    /// The daemon of `data_dir`; checks that it answers.
    pub async fn connect(data_dir: &Path) -> Result<LocalClient, String> {
        let client = LocalClient {
            data_dir: data_dir.to_owned(),
        };
        client.stream().await?;
        Ok(client)
    }

    async fn stream(&self) -> Result<local_socket::LocalStream, String> {
        local_socket::connect(&self.data_dir).await.map_err(|e| {
            format!(
                "impossible de joindre le démon sur {} ({e}) : est-il lancé avec ce dossier de données ?",
                local_socket::socket_path(&self.data_dir).display()
            )
        })
    }

    /// `GET path`: the answer as `T`, or the daemon's French message and code.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        self.call(Method::GET, path, None::<&()>).await
    }

    /// `POST path` with `body` as JSON.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, String> {
        self.call(Method::POST, path, body).await
    }

    /// `PUT path` with `body` as JSON.
    pub async fn put<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, String> {
        self.call(Method::PUT, path, body).await
    }

    /// `DELETE path`.
    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, String> {
        self.call(Method::DELETE, path, None::<&()>).await
    }

    /// `GET path`: the answer's bytes as they are (a PDF, a CSV).
    pub async fn get_bytes(&self, path: &str) -> Result<Vec<u8>, String> {
        self.call_raw(Method::GET, path, None::<&()>).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<T, String> {
        let body = self.call_raw(method, path, body).await?;
        serde_json::from_slice(&body).map_err(|e| format!("réponse illisible du démon ({e})"))
    }

    async fn call_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
    ) -> Result<Vec<u8>, String> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| e.to_string())?;
        let stream = self.stream().await?;
        let answer = crate::http1::request(stream, "localhost", method, path, body)
            .await
            .map_err(|e| {
                let socket = local_socket::socket_path(&self.data_dir);
                format!("{} : {e}", socket.display())
            })?;
        if answer.status.is_success() {
            return Ok(answer.body.to_vec());
        }
        match serde_json::from_slice::<ApiError>(&answer.body) {
            Ok(e) => Err(format!("{} ({})", e.error.message, e.error.code.as_str())),
            Err(_) => Err(format!(
                "réponse inattendue du démon : {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )),
        }
    }
}

/// Prints `answer`: JSON, or one line per item (`empty` when none).
pub(crate) fn show<T: Serialize>(
    answer: &T,
    as_json: bool,
    lines: impl Fn(&T) -> Vec<String>,
    empty: &str,
) {
    if as_json {
        let text = serde_json::to_string_pretty(answer).unwrap_or_default();
        println!("{text}");
        return;
    }
    let lines = lines(answer);
    if lines.is_empty() {
        println!("{empty}");
    }
    for line in lines {
        println!("{line}");
    }
}
