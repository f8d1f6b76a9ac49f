//! Starting, probing and stopping the rig's server processes.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::RigError;

/// How often the waits below look again.
const POLL: Duration = Duration::from_millis(50);

/// `n` distinct TCP ports free on 127.0.0.1 right now: all bound at once (so they differ),
/// then released. Another process may take one before the servers bind it: callers retry.
pub fn free_ports<const N: usize>() -> Result<[u16; N], RigError> {
    let mut listeners = Vec::with_capacity(N);
    let mut ports = [0u16; N];
    for port in &mut ports {
        let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| RigError::Io(format!("bind 127.0.0.1:0: {e}")))?;
        *port = l
            .local_addr()
            .map_err(|e| RigError::Io(e.to_string()))?
            .port();
        listeners.push(l);
    }
    Ok(ports)
}

/// Spawns `cmd` with stdout and stderr appended to `log`.
pub fn spawn_logged(cmd: &mut Command, log: &Path) -> Result<Child, RigError> {
    let open = || {
        File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| RigError::Io(format!("open {}: {e}", log.display())))
    };
    cmd.stdin(Stdio::null())
        .stdout(open()?)
        .stderr(open()?)
        .spawn()
        .map_err(|e| RigError::Spawn(format!("{cmd:?}: {e}")))
}

/// Sends `signal` (a name such as `TERM`) to `pid` with kill(1): this crate has no unsafe code.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `timeout` for `child` to exit; whether it did.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let start = Instant::now();
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Whether process `pid` exists and is not a zombie (orphans of a server are re-parented
/// to PID 1, which on some containers never reaps them).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

/// Reads a pid file (`None` if absent or garbled).
pub fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Waits up to `timeout` for process `pid` to be gone.
pub fn wait_gone(pid: u32, timeout: Duration) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() >= timeout {
            return false;
        }
        std::thread::sleep(POLL);
    }
    true
}

/// Waits until a server on `port` greets with a line starting with `greeting`
/// (`"220 "` for SMTP, `"* OK"` for IMAP). Fails early if `child` exits.
pub fn wait_greeting(
    port: u16,
    greeting: &str,
    child: &mut Child,
    timeout: Duration,
) -> Result<(), RigError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(RigError::Exited(format!(
                "server exited ({status}) before 127.0.0.1:{port} answered"
            )));
        }
        let last = match read_first_line(addr) {
            Ok(line) if line.starts_with(greeting) => return Ok(()),
            Ok(line) => format!("unexpected greeting {line:?}"),
            Err(e) => e,
        };
        if start.elapsed() >= timeout {
            return Err(RigError::NotReady(format!(
                "127.0.0.1:{port} did not greet with {greeting:?} within {timeout:?}; last: {last}"
            )));
        }
        std::thread::sleep(POLL);
    }
}

fn read_first_line(addr: SocketAddr) -> Result<String, String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(stream)
        .read_line(&mut line)
        .map_err(|e| format!("read {addr}: {e}"))?;
    Ok(line.trim_end().to_owned())
}

/// Waits until nothing accepts connections on any of `ports` (a server's children may keep a
/// listening socket a moment after their master is gone).
pub fn wait_ports_closed(ports: &[u16], timeout: Duration) -> Result<(), RigError> {
    let start = Instant::now();
    loop {
        let open: Vec<u16> = ports
            .iter()
            .copied()
            .filter(|p| {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, *p));
                TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
            })
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        if start.elapsed() >= timeout {
            return Err(RigError::NotReady(format!(
                "ports {open:?} still accept connections {timeout:?} after the stop"
            )));
        }
        std::thread::sleep(POLL);
    }
}

/// Waits until `path` exists (a Unix socket a server creates).
pub fn wait_path(path: &Path, timeout: Duration) -> Result<(), RigError> {
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() >= timeout {
            return Err(RigError::NotReady(format!(
                "{} did not appear within {timeout:?}",
                path.display()
            )));
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

/// The uid and gid of a system user, from `/etc/passwd`.
pub fn user_ids(name: &str) -> Result<(u32, u32), RigError> {
    let passwd = std::fs::read_to_string("/etc/passwd")
        .map_err(|e| RigError::Io(format!("read /etc/passwd: {e}")))?;
    passwd
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
        })
        .flatten()
        .next()
        .ok_or_else(|| {
            RigError::Missing(format!(
                "system user {name:?} (run install-mail-deps.sh: the postfix and dovecot packages create it)"
            ))
        })
}

/// Whether this process runs as root (Postfix and Dovecot must be started as root).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}
