//! Cold start to first answer: spawn `passerelle run` (pcsc backend, TLS material already
//! made by an untimed first start) and poll `GET /v1/status` with a fresh connection every
//! millisecond until it answers 200.

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

use passerelle_tests::daemon::run_command;
use passerelle_tests::{net, passerelle_bin, proc, TestDir};

/// A data dir and config of the daemons started here (not the rig's `Daemon`: this needs
/// the exact spawn instant, and the rig's wait polls every 100 ms).
pub struct ColdStart {
    data: tempfile::TempDir,
    config: PathBuf,
    stderr_log: PathBuf,
    port: u16,
}

impl ColdStart {
    /// Writes the config (a free port, pcsc backend, logs at `info` to a file in `dir`).
    pub fn new(dir: &TestDir) -> Result<ColdStart, String> {
        let data = tempfile::Builder::new()
            .prefix("passerelle-bench-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let port = net::free_port()?;
        let config = dir.file("cold-daemon.toml");
        let toml = format!(
            "[server]\nport = {port}\n\n[readers]\nbackend = \"pcsc\"\n\n[storage]\ndata_dir = {data:?}\n\n\
             [log]\nlevel = \"info\"\nformat = \"human\"\nfile = {log:?}\n",
            data = data.path().display().to_string(),
            log = dir.file("cold-daemon.log").display().to_string(),
        );
        std::fs::write(&config, toml).map_err(|e| format!("write {}: {e}", config.display()))?;
        Ok(ColdStart {
            data,
            config,
            stderr_log: dir.file("cold-daemon-stderr.log"),
            port,
        })
    }

    fn ca(&self) -> PathBuf {
        self.data.path().join("tls").join("ca.pem")
    }

    /// One start: spawn, poll, stop. Returns the time from spawn to the first 200 and how
    /// long that last (successful) request took by itself.
    async fn once(&self, client: Option<&reqwest::Client>) -> Result<(Duration, Duration), String> {
        let url = format!("https://127.0.0.1:{}/v1/status", self.port);
        let t0 = Instant::now();
        let mut child = run_command(&self.config, &self.stderr_log)
            .spawn()
            .map_err(|e| format!("spawn {}: {e}", passerelle_bin().display()))?;
        let res = self.poll(&mut child, client, &url, t0).await;
        proc::stop(&mut child, Duration::from_secs(5));
        res.map_err(|e| {
            format!(
                "{e}\n--- daemon stderr ---\n{}",
                proc::tail(&self.stderr_log, 30)
            )
        })
    }

    async fn poll(
        &self,
        child: &mut Child,
        client: Option<&reqwest::Client>,
        url: &str,
        t0: Instant,
    ) -> Result<(Duration, Duration), String> {
        let mut last = String::from("no attempt");
        let mut fresh = None;
        while t0.elapsed() < Duration::from_secs(20) {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(format!("the daemon exited during start ({st})"));
            }
            let client = match client {
                Some(c) => c,
                // First (untimed) start: the CA appears once the daemon made it.
                None => match fresh.as_ref() {
                    Some(c) => c,
                    None => match tls_client(&self.ca()) {
                        Ok(c) => fresh.insert(c),
                        Err(e) => {
                            last = e;
                            tokio::time::sleep(Duration::from_millis(2)).await;
                            continue;
                        }
                    },
                },
            };
            let t_req = Instant::now();
            match client.get(url).timeout(Duration::from_secs(5)).send().await {
                Ok(r) if r.status() == 200 => {
                    let at = t0.elapsed();
                    let _ = r.bytes().await;
                    return Ok((at, t_req.elapsed()));
                }
                Ok(r) => last = format!("status {}", r.status()),
                Err(e) => last = format!("{e}"),
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Err(format!(
            "no 200 on /v1/status within 20 s of spawn; last: {last}"
        ))
    }

    /// An untimed first start (makes the TLS material), then `n` timed ones: (spawn → first
    /// 200, duration of that successful request alone).
    pub async fn measure(&self, n: usize) -> Result<Vec<(Duration, Duration)>, String> {
        let (first, _) = self
            .once(None)
            .await
            .map_err(|e| format!("first daemon start: {e}"))?;
        eprintln!("[bench] first start (creates the TLS material): {first:.1?}");
        let mut all = Vec::with_capacity(n);
        for i in 0..n {
            // A new client each time: no TLS session to resume from the previous process.
            let client = tls_client(&self.ca())?;
            let d = self
                .once(Some(&client))
                .await
                .map_err(|e| format!("daemon start #{}: {e}", i + 1))?;
            eprintln!(
                "[bench] cold start #{}: {:.1?} (the answering request alone: {:.1?})",
                i + 1,
                d.0,
                d.1
            );
            all.push(d);
        }
        Ok(all)
    }
}

/// HTTPS client trusting only `ca`, opening a fresh connection for every request.
pub fn tls_client(ca: &Path) -> Result<reqwest::Client, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("read {}: {e}", ca.display()))?;
    let cert =
        reqwest::Certificate::from_pem(&pem).map_err(|e| format!("parse {}: {e}", ca.display()))?;
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .no_proxy()
        .pool_max_idle_per_host(0)
        .connect_timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| format!("build client: {e}"))
}
