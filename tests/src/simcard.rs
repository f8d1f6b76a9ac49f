//! A simulated card plugged into a vpcd slot: `passerelle simcard --vpcd ... --card ...`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use tokio::sync::mpsc;

use crate::paths::{passerelle_bin, TestDir};
use crate::proc;

/// A running card simulator, controlled through its stdin (`remove`, `insert`,
/// `insert KIND:ID`, `quit`); its stdout lines (`inserted`, `removed`) are read with
/// timeouts. Killed on drop.
pub struct Simcard {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::UnboundedReceiver<String>,
    log: PathBuf,
    label: String,
}

impl Simcard {
    /// Starts a card `spec` (e.g. `vitale:nguyen`) on the vpcd `port` of 127.0.0.1, with
    /// extra arguments (e.g. `["--remove-after-apdus", "3"]`). Its stdout and stderr are
    /// copied to `simcard-<port>.log` in `dir`.
    pub fn start(dir: &TestDir, port: u16, spec: &str, extra: &[&str]) -> crate::Result<Simcard> {
        let label = format!("simcard-{port}");
        let log = dir.file(&format!("{label}.log"));
        let mut child = Command::new(passerelle_bin())
            .arg("simcard")
            .arg("--vpcd")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--card")
            .arg(spec)
            .args(extra)
            // Every APDU in the log (PIN data masked by the simulator).
            .env("PASSERELLE_SIMCARD_LOG", "debug")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(proc::log_file(&log))
            .spawn()
            .map_err(|e| format!("spawn {} simcard: {e}", passerelle_bin().display()))?;
        eprintln!("[rig] {label} ({spec}) started, pid {}", child.id());
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::unbounded_channel();
        let copy_to = log.clone();
        std::thread::spawn(move || {
            let mut logf = std::fs::File::options()
                .create(true)
                .append(true)
                .open(copy_to)
                .ok();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(f) = logf.as_mut() {
                    let _ = writeln!(f, "[stdout] {line}");
                }
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Simcard {
            child,
            stdin,
            lines: rx,
            log,
            label,
        })
    }

    /// How many commands with this header (`"00 20 00 81"`) the card answered so far, from
    /// its log.
    pub fn commands_seen(&self, header: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&format!("command={header}")))
            .count()
    }

    /// How many answers began with this status word byte (`"61"`, `"6C"`), from its log.
    pub fn answers_seen(&self, sw1: &str) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(&format!("sw={sw1} ")))
            .count()
    }

    /// Sends one control command line (`remove`, `insert`, `insert cps:...`,
    /// `remove-after N`, `quit`).
    pub fn command(&mut self, cmd: &str) -> crate::Result<()> {
        let stdin = self.stdin.as_mut().ok_or("simcard stdin closed")?;
        writeln!(stdin, "{cmd}")
            .and_then(|_| stdin.flush())
            .map_err(|e| format!("{}: write {cmd:?}: {e}", self.label))
    }

    /// Waits up to `timeout` for a stdout line equal to `expected` (after trimming);
    /// other lines are skipped. Fails with the lines seen and the log tail.
    pub async fn wait_line(&mut self, expected: &str, timeout: Duration) -> crate::Result<()> {
        let mut seen = Vec::new();
        let res = tokio::time::timeout(timeout, async {
            while let Some(line) = self.lines.recv().await {
                if line.trim() == expected {
                    return true;
                }
                seen.push(line);
            }
            false
        })
        .await;
        match res {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!(
                "{}: stdout closed before {expected:?} (exit: {:?}); seen {seen:?}; log:\n{}",
                self.label,
                self.child.try_wait().ok().flatten(),
                proc::tail(&self.log, 20)
            )),
            Err(_) => Err(format!(
                "{}: no {expected:?} line within {timeout:?}; seen {seen:?}; log:\n{}",
                self.label,
                proc::tail(&self.log, 20)
            )),
        }
    }

    /// Sends `cmd` and waits for the `expected` acknowledgement line (10 s).
    pub async fn do_and_wait(&mut self, cmd: &str, expected: &str) -> crate::Result<()> {
        self.command(cmd)?;
        self.wait_line(expected, Duration::from_secs(10)).await
    }

    /// The card's log file (stderr, and its stdout lines).
    pub fn log(&self) -> &std::path::Path {
        &self.log
    }

    /// Process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Simcard {
    fn drop(&mut self) {
        self.stdin.take();
        proc::kill(&mut self.child);
    }
}
