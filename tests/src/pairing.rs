//! Pairing from the rig: the CLI against a daemon, and local pairing through it.

use std::process::Stdio;
use std::time::Duration;

use crate::daemon::Daemon;
use crate::paths::passerelle_bin;

impl Daemon {
    /// Runs `passerelle ARGS --data-dir DATA` (the CLI against this daemon) and returns its
    /// output, whatever the exit status.
    pub async fn cli(&self, args: &[&str]) -> crate::Result<std::process::Output> {
        let out = tokio::process::Command::new(passerelle_bin())
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir())
            .stdin(Stdio::null())
            .output();
        tokio::time::timeout(Duration::from_secs(30), out)
            .await
            .map_err(|_| format!("passerelle {args:?}: no answer within 30 s"))?
            .map_err(|e| format!("passerelle {args:?}: {e}"))
    }

    /// Pairs a local client the way a local program would: `passerelle pair request` (over
    /// the Unix socket), reads the code it shows, approves it with `passerelle pair approve
    /// CODE`, and returns the token the request then prints.
    pub async fn pair_local(&self, app_name: &str, scopes: &[&str]) -> crate::Result<String> {
        use tokio::io::AsyncBufReadExt;
        let mut cmd = tokio::process::Command::new(passerelle_bin());
        cmd.args(["pair", "request", "--app-name", app_name, "--wait", "30"])
            .arg("--data-dir")
            .arg(self.data_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for s in scopes {
            cmd.args(["--scope", s]);
        }
        let mut child = cmd.spawn().map_err(|e| format!("pair request: {e}"))?;
        let stderr = child.stderr.take().ok_or("pair request: no stderr")?;
        let mut lines = tokio::io::BufReader::new(stderr).lines();
        let code = tokio::time::timeout(Duration::from_secs(15), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(code) = find_code(&line) {
                    return Ok(code);
                }
                eprintln!("[rig] pair request: {line}");
            }
            Err("pair request ended without showing a code".to_string())
        })
        .await
        .map_err(|_| "pair request: no code within 15 s".to_string())??;
        let approve = self.cli(&["pair", "approve", &code]).await?;
        if !approve.status.success() {
            return Err(format!(
                "pair approve {code}: {}",
                String::from_utf8_lossy(&approve.stderr)
            ));
        }
        // Drain stderr so the request never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let out = tokio::time::timeout(Duration::from_secs(15), child.wait_with_output())
            .await
            .map_err(|_| "pair request: no token within 15 s".to_string())?
            .map_err(|e| format!("pair request: {e}"))?;
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if !out.status.success() || !token.starts_with("pst_") {
            return Err(format!("pair request: {} stdout {token:?}", out.status));
        }
        eprintln!("[rig] paired {app_name} with code {code}");
        Ok(token)
    }
}

/// A `123-456` code in a line of text.
pub fn find_code(line: &str) -> Option<String> {
    let b = line.as_bytes();
    (0..b.len().saturating_sub(6)).find_map(|i| {
        let w = &b[i..i + 7];
        let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
        (digits(&w[..3]) && w[3] == b'-' && digits(&w[4..])).then(|| line[i..i + 7].to_owned())
    })
}
