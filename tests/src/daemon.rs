//! The daemon under test: `passerelle run --config FILE` with its own port, data dir, CA.
//!
//! Every daemon the rig starts is paired at once as a local client, through the real CLI
//! (`passerelle pair request` over the Unix socket, approved with `passerelle pair approve`),
//! with every scope; [`Daemon::client`] sends that token by default.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use passerelle_protocol::{ReaderList, ServiceStatus};

use crate::paths::{passerelle_bin, TestDir};
use crate::proc;
use crate::wait::poll_until;

/// Which reader backend the daemon is configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `backend = "pcsc"`: the machine's pcscd (see [`crate::PcscdRig`]).
    Pcsc,
    /// `backend = "simulated"`: readers inside the daemon; no pcscd needed.
    Simulated,
}

/// How the rig starts `passerelle run`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Launcher {
    /// As the test process's user (root in CI), with its environment.
    #[default]
    Direct,
    /// As the hardened system unit runs it: through `setpriv` as `uid`/`uid` with no
    /// supplementary group, no capability (effective, inheritable, bounding) and no new
    /// privileges, with the bare environment of a `DynamicUser=` service; the binary is
    /// copied to a world-readable directory (the repository may sit in a private home), the
    /// configuration is root's and read-only, the data dir (the unit's `StateDirectory=`)
    /// belongs to `uid` and logs go to standard error only (journald's place). `trace` is
    /// put in front of it all (e.g. `strace -f -o FILE`), or is empty.
    Unit {
        /// The unprivileged user and group id.
        uid: u32,
        /// A wrapper command, or nothing.
        trace: Vec<String>,
    },
}

/// A running daemon. Killed on drop; its data dir is a temp dir removed on drop, its logs
/// stay in the test's artefact directory (`daemon.log`, `daemon-stderr.log`).
pub struct Daemon {
    child: Option<Child>,
    port: u16,
    config: PathBuf,
    stderr_log: PathBuf,
    file_log: PathBuf,
    data: tempfile::TempDir,
    /// Client without a token (trusts the daemon's CA).
    client: Option<reqwest::Client>,
    /// The rig's token (local client, every scope), kept across restarts.
    token: Option<String>,
    /// Client sending `token` by default.
    authed: Option<reqwest::Client>,
    launcher: Launcher,
    /// For [`Launcher::Unit`]: the copied binary and the configuration.
    unit_root: Option<tempfile::TempDir>,
    /// The daemon's own pid (not the wrapper's), once it answers.
    daemon_pid: Option<u32>,
}

/// Every scope, for the rig's own token.
pub const ALL_SCOPES: [&str; 4] = ["read_cards", "sign", "transmit", "admin"];

impl Daemon {
    /// Writes a config for `backend` on a free port and starts the daemon; returns once
    /// `GET /v1/status` answers 200 over TLS trusted through the daemon's own CA and the
    /// rig is paired (see the module documentation).
    pub async fn start(dir: &TestDir, backend: Backend) -> crate::Result<Daemon> {
        Daemon::start_with(dir, backend, "").await
    }

    /// Like [`Daemon::start`], with `extra` appended to the configuration (for example a
    /// `[security]` section).
    pub async fn start_with(dir: &TestDir, backend: Backend, extra: &str) -> crate::Result<Daemon> {
        Daemon::start_launched(dir, backend, extra, Launcher::Direct).await
    }

    /// Like [`Daemon::start_with`], started by `launcher`.
    pub async fn start_launched(
        dir: &TestDir,
        backend: Backend,
        extra: &str,
        launcher: Launcher,
    ) -> crate::Result<Daemon> {
        let port = crate::net::free_port()?;
        let data = tempfile::Builder::new()
            .prefix("passerelle-test-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let file_log = dir.file("daemon.log");
        let unit_root = match &launcher {
            Launcher::Direct => None,
            Launcher::Unit { uid, .. } => Some(unit_root(data.path(), *uid)?),
        };
        let config = match &unit_root {
            Some(root) => root.path().join("config.toml"),
            None => dir.file("daemon.toml"),
        };
        let backend = match backend {
            Backend::Pcsc => "pcsc",
            Backend::Simulated => "simulated",
        };
        let log_file = match unit_root {
            Some(_) => String::new(),
            None => format!("file = {:?}\n", file_log.display().to_string()),
        };
        let (server_keys, extra) = split_server_section(extra);
        let toml = format!(
            "[server]\nport = {port}\n{server_keys}\n[readers]\nbackend = \"{backend}\"\n\n[storage]\ndata_dir = {data:?}\n\n\
             [log]\nlevel = \"info,passerelle_agent=debug,passerelle=debug\"\nformat = \"human\"\n{log_file}\n{extra}\n",
            data = data.path().display().to_string(),
        );
        // Written then renamed, so the daemon never reads a half-written file.
        let tmp = config.with_extension("toml.tmp");
        std::fs::write(&tmp, toml).map_err(|e| format!("write config: {e}"))?;
        std::fs::rename(&tmp, &config).map_err(|e| format!("rename config: {e}"))?;
        let mut d = Daemon {
            child: None,
            port,
            config,
            stderr_log: dir.file("daemon-stderr.log"),
            file_log,
            data,
            client: None,
            token: None,
            authed: None,
            launcher,
            unit_root,
            daemon_pid: None,
        };
        d.spawn_and_wait().await?;
        Ok(d)
    }

    async fn spawn_and_wait(&mut self) -> crate::Result<()> {
        let bin = passerelle_bin();
        let mut command = match (&self.launcher, &self.unit_root) {
            (Launcher::Unit { uid, trace }, Some(root)) => {
                unit_command(trace, *uid, root.path(), &self.config, &self.stderr_log)
            }
            _ => run_command(&self.config, &self.stderr_log),
        };
        let child = command.spawn().map_err(|e| {
            format!(
                "spawn {} (build it: cargo build -p passerelle-agent): {e}",
                bin.display()
            )
        })?;
        eprintln!(
            "[rig] daemon started, pid {}, port {}",
            child.id(),
            self.port
        );
        self.child = Some(child);
        let ca = self.ca_path();
        let res = poll_until(
            "the daemon to answer GET /v1/status with 200",
            Duration::from_secs(15),
            || {
                let exited = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                let ca = ca.clone();
                let cached = self.client.clone();
                let url = self.url("/v1/status");
                async move {
                    if let Some(st) = exited {
                        return Err(format!("daemon exited ({st})"));
                    }
                    let client = match cached {
                        Some(c) => c,
                        None => client_trusting(&ca)?,
                    };
                    let resp = client
                        .get(url)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await
                        .map_err(|e| format!("{e:?}"))?;
                    if resp.status() == 200 {
                        Ok(client)
                    } else {
                        Err(format!("status {}", resp.status()))
                    }
                }
            },
        )
        .await;
        match res {
            Ok(client) => {
                self.client = Some(client);
                self.daemon_pid = self.child.as_ref().map(|c| match &self.launcher {
                    Launcher::Unit { trace, .. } if !trace.is_empty() => own_pid(c.id()),
                    _ => c.id(),
                });
                // Grants survive a restart: pair only the first time.
                if self.token.is_none() {
                    let token = self.pair_local("passerelle-tests", &ALL_SCOPES).await?;
                    self.token = Some(token);
                }
                let token = self.token.clone().unwrap_or_default();
                self.authed = Some(client_with_token(&self.ca_path(), &token)?);
                Ok(())
            }
            Err(e) => Err(format!(
                "{e}\n--- daemon stderr ---\n{}",
                proc::tail(&self.stderr_log, 40)
            )),
        }
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after 5 s) and starts it again with the
    /// same config, port and data dir; waits until it answers.
    pub async fn restart(&mut self) -> crate::Result<()> {
        self.stop();
        self.spawn_and_wait().await
    }

    /// The TLS port (127.0.0.1 and ::1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// `base_url()` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// An HTTPS client that trusts only this daemon's CA (`{data_dir}/tls/ca.pem`) and
    /// sends the rig's token (`Authorization: Bearer`, every scope) by default.
    pub fn client(&self) -> reqwest::Client {
        self.authed.clone().expect("daemon is running")
    }

    /// The same client without any token (for the attack tests).
    pub fn client_without_token(&self) -> reqwest::Client {
        self.client.clone().expect("daemon is running")
    }

    /// The rig's token (a local client's: valid only without an `Origin` header).
    pub fn token(&self) -> String {
        self.token.clone().expect("daemon is paired")
    }

    /// The daemon's configuration file.
    pub fn config_path(&self) -> &Path {
        &self.config
    }

    /// Stops the daemon (SIGTERM, then SIGKILL after 5 s); [`Daemon::restart`] starts it again.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            match self.daemon_pid.take() {
                // Behind a wrapper: the daemon gets the signal, the wrapper exits with it.
                Some(pid) if pid != child.id() => {
                    proc::signal(pid, libc::SIGTERM);
                    if proc::wait_timeout(&mut child, Duration::from_secs(5)).is_none() {
                        proc::signal(pid, libc::SIGKILL);
                        proc::stop(&mut child, Duration::from_secs(5));
                    }
                }
                _ => proc::stop(&mut child, Duration::from_secs(5)),
            }
        }
    }

    /// The daemon's data dir.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// Path of the local CA certificate the daemon wrote.
    pub fn ca_path(&self) -> PathBuf {
        self.data.path().join("tls").join("ca.pem")
    }

    /// Process id of the running daemon (itself, not a wrapper of [`Launcher::Unit`]).
    pub fn pid(&self) -> Option<u32> {
        self.daemon_pid
            .or_else(|| self.child.as_ref().map(Child::id))
    }

    /// Whether the daemon process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The tail of the daemon's logs (for failure messages).
    pub fn log_tail(&self, n: usize) -> String {
        let file = proc::tail(&self.file_log, n);
        if file.is_empty() {
            proc::tail(&self.stderr_log, n)
        } else {
            file
        }
    }

    /// `GET path`, expecting 200 and a JSON body of type `T`.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> crate::Result<T> {
        let resp = self
            .client()
            .get(self.url(path))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e:?}"))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| format!("GET {path}: body: {e}"))?;
        if status != 200 {
            return Err(format!("GET {path}: status {status}, body {body}"));
        }
        serde_json::from_str(&body).map_err(|e| format!("GET {path}: {e}; body {body}"))
    }

    /// `POST path` with a JSON body; the response, whatever its status.
    pub async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> crate::Result<reqwest::Response> {
        self.client()
            .post(self.url(path))
            .json(body)
            .timeout(Duration::from_secs(20))
            .send()
            .await
            .map_err(|e| format!("POST {path}: {e:?}"))
    }

    /// `POST path` with a JSON body, expecting 200 and a JSON body of type `T`.
    pub async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> crate::Result<T> {
        let resp = self.post(path, body).await?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| format!("POST {path}: body: {e}"))?;
        if status != 200 {
            return Err(format!("POST {path}: status {status}, body {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("POST {path}: {e}; body {text}"))
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> crate::Result<ServiceStatus> {
        self.get_json("/v1/status").await
    }

    /// `GET /v1/readers`.
    pub async fn readers(&self) -> crate::Result<ReaderList> {
        self.get_json("/v1/readers").await
    }

    /// Polls `GET /v1/readers` until `pred` holds (up to `timeout`); returns that list.
    pub async fn wait_readers(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&ReaderList) -> bool,
    ) -> crate::Result<ReaderList> {
        let pred = &pred;
        poll_until(what, timeout, || async move {
            let list = self.readers().await?;
            if pred(&list) {
                Ok(list)
            } else {
                Err(format!("{list:?}"))
            }
        })
        .await
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Splits the `[server]` section out of `extra` (the rig writes that section itself, with
/// the port): its keys, and the rest.
fn split_server_section(extra: &str) -> (String, String) {
    let (mut keys, mut rest, mut in_server) = (String::new(), String::new(), false);
    for line in extra.lines() {
        if line.trim_start().starts_with('[') {
            in_server = line.trim() == "[server]";
            if in_server {
                continue;
            }
        }
        let target = if in_server { &mut keys } else { &mut rest };
        target.push_str(line);
        target.push('\n');
    }
    (keys, rest)
}

/// The world-readable directory of [`Launcher::Unit`] (the copied binary, the
/// configuration); gives `data` to `uid`.
fn unit_root(data: &Path, uid: u32) -> crate::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::Builder::new()
        .prefix("passerelle-unit-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    std::fs::copy(passerelle_bin(), root.path().join("passerelle"))
        .map_err(|e| format!("copy the binary: {e}"))?;
    std::os::unix::fs::chown(data, Some(uid), Some(uid)).map_err(|e| format!("chown: {e}"))?;
    Ok(root)
}

/// `[trace…] setpriv … ROOT/passerelle run --config CONFIG` with a service's bare
/// environment (see [`Launcher::Unit`]).
fn unit_command(trace: &[String], uid: u32, root: &Path, config: &Path, log: &Path) -> Command {
    let setpriv = [
        "setpriv".to_string(),
        format!("--reuid={uid}"),
        format!("--regid={uid}"),
        "--clear-groups".into(),
        "--no-new-privs".into(),
        "--inh-caps=-all".into(),
        "--bounding-set=-all".into(),
    ];
    let mut argv = trace.iter().chain(&setpriv);
    let mut cmd = Command::new(argv.next().expect("setpriv"));
    cmd.args(argv)
        .arg(root.join("passerelle"))
        .arg("run")
        .arg("--config")
        .arg(config)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/")
        .env("LANG", "C.UTF-8")
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(proc::log_file(log))
        .stderr(proc::log_file(log));
    cmd
}

/// The daemon's pid under the wrapper `pid` (strace forks it): the wrapper's only child.
fn own_pid(pid: u32) -> u32 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()
        .and_then(|c| c.split_whitespace().next()?.parse().ok())
        .unwrap_or(pid)
}

/// An HTTPS client that trusts only the CA in `ca_pem` (no system roots, no proxy).
pub fn client_trusting(ca_pem: &Path) -> crate::Result<reqwest::Client> {
    builder_trusting(ca_pem)?
        .build()
        .map_err(|e| format!("build client: {e}"))
}

/// Like [`client_trusting`], sending `Authorization: Bearer TOKEN` on every request.
pub fn client_with_token(ca_pem: &Path, token: &str) -> crate::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|e| format!("token header: {e}"))?;
    headers.insert(reqwest::header::AUTHORIZATION, value);
    builder_trusting(ca_pem)?
        .default_headers(headers)
        .build()
        .map_err(|e| format!("build client: {e}"))
}

/// A client builder that trusts only the CA in `ca_pem` (no system roots, no proxy), for
/// tests that need more than [`client_trusting`] (e.g. `tls_info`).
pub fn builder_trusting(ca_pem: &Path) -> crate::Result<reqwest::ClientBuilder> {
    let pem = std::fs::read(ca_pem).map_err(|e| format!("read {}: {e}", ca_pem.display()))?;
    let cert = reqwest::Certificate::from_pem(&pem)
        .map_err(|e| format!("parse {}: {e}", ca_pem.display()))?;
    Ok(reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .no_proxy()
        .connect_timeout(Duration::from_secs(5)))
}

/// `passerelle run --config CONFIG`, standard output and error appended to `log`.
pub fn run_command(config: &Path, log: &Path) -> Command {
    let mut cmd = Command::new(passerelle_bin());
    cmd.arg("run")
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(proc::log_file(log))
        .stderr(proc::log_file(log));
    cmd
}

/// The response's `Content-Type` ("" when absent or not text).
pub fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}
