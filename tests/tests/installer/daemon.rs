//! `passerelle run` on an installed data directory (simulated readers: no pcscd needed),
//! stopped on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use passerelle_tests::TestDir;

/// The daemon, running.
pub struct InstalledDaemon {
    child: Child,
    /// Its TLS port.
    pub port: u16,
}

impl InstalledDaemon {
    /// Starts the daemon on `data_dir` with `extra` appended to its configuration; waits
    /// until `GET /v1/status` answers, trusting the data dir's authority.
    pub fn start(dir: &TestDir, data_dir: &Path, extra: &str) -> InstalledDaemon {
        let port = passerelle_tests::net::free_port().unwrap();
        let config = dir.file("daemon.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nport = {port}\n[readers]\nbackend = \"simulated\"\n[storage]\n\
                 data_dir = {:?}\n[log]\nfile = {:?}\n{extra}",
                data_dir.display().to_string(),
                dir.file("daemon.log").display().to_string()
            ),
        )
        .unwrap();
        let stderr = dir.file("daemon-stderr.log");
        let child = Command::new(passerelle_tests::passerelle_bin())
            .args(["run", "--config", config.to_str().unwrap()])
            .stdout(passerelle_tests::proc::log_file(&stderr))
            .stderr(passerelle_tests::proc::log_file(&stderr))
            .spawn()
            .unwrap();
        let daemon = InstalledDaemon { child, port };
        let client = passerelle_tests::daemon::client_trusting(&daemon.ca(data_dir)).unwrap();
        let url = daemon.url("/v1/status");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(passerelle_tests::poll_until(
            "the daemon to answer",
            Duration::from_secs(15),
            || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    let r = client.get(&url).send().await.map_err(|e| e.to_string())?;
                    (r.status() == 200)
                        .then_some(())
                        .ok_or_else(|| r.status().to_string())
                }
            },
        ))
        .unwrap_or_else(|e| panic!("{e}; see {}", stderr.display()));
        daemon
    }

    /// `https://localhost:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    fn ca(&self, data_dir: &Path) -> PathBuf {
        data_dir.join("tls/ca.pem")
    }
}

impl Drop for InstalledDaemon {
    fn drop(&mut self) {
        passerelle_tests::proc::stop(&mut self.child, Duration::from_secs(5));
    }
}
