//! Child-process helpers: signals, bounded waits, log tails.

use std::fs::File;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::wait::Deadline;

/// Sends `sig` to process `pid` (no error if it is gone).
pub fn signal(pid: u32, sig: libc::c_int) {
    // kill(1) rather than libc::kill: this crate has no unsafe code.
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// Whether a process with this pid exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 (after the parenthesised name) is the state; Z = zombie.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits up to `timeout` for `child` to exit; `None` if it did not.
pub fn wait_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Deadline::after(timeout);
    loop {
        if let Ok(Some(st)) = child.try_wait() {
            return Some(st);
        }
        if deadline.passed() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stops `child`: SIGTERM, up to `grace` to exit, then SIGKILL; always reaps it.
pub fn stop(child: &mut Child, grace: Duration) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    signal(child.id(), libc::SIGTERM);
    if wait_timeout(child, grace).is_none() {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Kills `child` with SIGKILL and reaps it.
pub fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Opens (appending) a log file for a child's output.
pub fn log_file(path: &Path) -> Stdio {
    let f = File::options()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("open log {}: {e}", path.display()));
    Stdio::from(f)
}

/// Runs `cmd` to completion with a time limit; returns (exit ok, stdout+stderr text).
/// The process is killed at the limit (its output so far is still returned).
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> crate::Result<(bool, String)> {
    let out = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out.reopen().map_err(|e| e.to_string())?)
        .stderr(out.reopen().map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("spawn {cmd:?}: {e}"))?;
    let status = wait_timeout(&mut child, timeout);
    if status.is_none() {
        kill(&mut child);
    }
    let text = std::fs::read_to_string(out.path()).unwrap_or_default();
    Ok((status.is_some_and(|s| s.success()), text))
}

/// The last `n` lines of a text file (empty if unreadable).
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
