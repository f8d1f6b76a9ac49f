//! A private pcscd for one test at a time, with the vpcd virtual readers.
//!
//! There is one pcscd per machine (its socket path is fixed), so every test that needs it
//! holds [`PcscdRig`] for its whole run: a process-wide mutex plus an exclusive `flock` on
//! `/tmp/passerelle-tests-pcscd.lock` serialise them across threads and test binaries.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::paths::TestDir;
use crate::proc;
use crate::wait::Deadline;

/// Name of the first vpcd reader (card side connects to [`VPCD_PORT_0`]).
pub const READER_0: &str = "Virtual PCD 00 00";
/// Name of the second vpcd reader (card side connects to [`VPCD_PORT_1`]).
pub const READER_1: &str = "Virtual PCD 00 01";
/// vpcd TCP port of [`READER_0`] (Debian's `/etc/reader.conf.d/vpcd`).
pub const VPCD_PORT_0: u16 = 35963;
/// vpcd TCP port of [`READER_1`].
pub const VPCD_PORT_1: u16 = 35964;

/// Name of the first slot of a second vpcd *device* ([`PcscdRig::start_with_second_device`]):
/// a reader of its own in pcscd (the slots of one device share its lock there, so a card
/// that holds [`READER_0`] also holds [`READER_1`], never this one).
pub const READER_B: &str = "Virtual PCD B 00 00";
/// vpcd TCP port of [`READER_B`].
pub const VPCD_PORT_B: u16 = 35965;

const LOCK_PATH: &str = "/tmp/passerelle-tests-pcscd.lock";
const PID_FILE: &str = "/run/pcscd/pcscd.pid";
const SYSTEM_VPCD_CONF: &str = "/etc/reader.conf.d/vpcd";
const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so.0.8";
const SOCKET_FILE: &str = "/run/pcscd/pcscd.comm";
static PROCESS_LOCK: Mutex<()> = Mutex::new(());

/// Exclusive use of the machine's pcscd, which this rig starts and owns.
///
/// Dropping it stops pcscd (and releases the locks). Simulated cards and daemons are
/// separate handles: drop them before (declare them after) the rig.
pub struct PcscdRig {
    child: Option<Child>,
    log: PathBuf,
    starts: u32,
    log_apdus: bool,
    /// `pcscd -c` directory, for the second device; `None`: the system's configuration.
    config: Option<PathBuf>,
    // Field order matters: the flock guard is released before the mutex.
    _flock: fd_lock::RwLockWriteGuard<'static, File>,
    _mutex: MutexGuard<'static, ()>,
}

impl PcscdRig {
    /// Takes the locks (waiting for other tests), stops any pcscd already running, starts
    /// `pcscd -f` (plus `-d` when verbose) logging to `pcscd.log` in `dir`, and waits until
    /// `opensc-tool -l` lists both vpcd readers. pcscd does not log APDUs: a VERIFY would
    /// put a PIN in its log (see [`PcscdRig::start_logging_apdus`]).
    pub fn start(dir: &TestDir) -> crate::Result<PcscdRig> {
        Self::start_with(dir, false, None)
    }

    /// Like [`PcscdRig::start`], with pcscd logging every APDU in clear (`-a`): only for
    /// tests that send no PIN.
    pub fn start_logging_apdus(dir: &TestDir) -> crate::Result<PcscdRig> {
        Self::start_with(dir, true, None)
    }

    /// Like [`PcscdRig::start`], with a second vpcd device besides Debian's: its own copy of
    /// the driver and its own reader entry (port [`VPCD_PORT_B`], reader [`READER_B`]), as
    /// two USB readers would be. Written under `dir`, read with `pcscd -c`.
    pub fn start_with_second_device(dir: &TestDir) -> crate::Result<PcscdRig> {
        let conf = dir.file("reader.conf.d");
        let driver = dir.file("libifdvpcd-b.so");
        let io = |what: &str, e: std::io::Error| format!("{what}: {e}");
        std::fs::create_dir_all(&conf).map_err(|e| io("reader.conf.d", e))?;
        std::fs::copy(SYSTEM_VPCD_CONF, conf.join("vpcd")).map_err(|e| io(SYSTEM_VPCD_CONF, e))?;
        std::fs::copy(VPCD_DRIVER, &driver).map_err(|e| io(VPCD_DRIVER, e))?;
        let entry = format!(
            "FRIENDLYNAME \"Virtual PCD B\"\nDEVICENAME   /dev/null:0x{VPCD_PORT_B:X}\nLIBPATH      {}\nCHANNELID    0x{VPCD_PORT_B:X}\n",
            driver.display()
        );
        std::fs::write(conf.join("vpcd-b"), entry).map_err(|e| io("vpcd-b", e))?;
        Self::start_with(dir, false, Some(conf))
    }

    fn start_with(
        dir: &TestDir,
        log_apdus: bool,
        config: Option<PathBuf>,
    ) -> crate::Result<PcscdRig> {
        let mutex = PROCESS_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(LOCK_PATH)
            .map_err(|e| format!("open {LOCK_PATH}: {e}"))?;
        // Leaked on purpose: the guard must borrow it for 'static; one small leak per test.
        let lock: &'static mut fd_lock::RwLock<File> =
            Box::leak(Box::new(fd_lock::RwLock::new(file)));
        eprintln!("[rig] waiting for the pcscd lock {LOCK_PATH}");
        let flock = lock
            .write()
            .map_err(|e| format!("flock {LOCK_PATH}: {e}"))?;
        stop_foreign_pcscd()?;
        let mut rig = PcscdRig {
            child: None,
            log: dir.file("pcscd.log"),
            starts: 0,
            log_apdus,
            config,
            _flock: flock,
            _mutex: mutex,
        };
        rig.start_pcscd()?;
        Ok(rig)
    }

    /// Starts pcscd again (after [`PcscdRig::kill_pcscd`]) and waits for the vpcd readers.
    pub fn start_pcscd(&mut self) -> crate::Result<()> {
        if self.child.is_some() {
            return Err("pcscd already running".into());
        }
        self.starts += 1;
        clear_stale_files();
        let mut cmd = Command::new("pcscd");
        cmd.arg("--foreground");
        if self.log_apdus {
            cmd.arg("--apdu");
        }
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        if crate::verbose() {
            cmd.arg("--debug");
        } else {
            cmd.arg("--info");
        }
        if let Ok(mut f) = File::options().create(true).append(true).open(&self.log) {
            let _ = writeln!(f, "===== pcscd start #{} =====", self.starts);
        }
        let child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(proc::log_file(&self.log))
            .stderr(proc::log_file(&self.log))
            .spawn()
            .map_err(|e| format!("spawn pcscd (run scripts/install-test-deps): {e}"))?;
        eprintln!("[rig] pcscd started, pid {}", child.id());
        self.child = Some(child);
        self.wait_readers(Duration::from_secs(15))
    }

    /// Kills pcscd with SIGKILL (no clean-up on its side), as a crash would.
    pub fn kill_pcscd(&mut self) {
        if let Some(mut child) = self.child.take() {
            eprintln!("[rig] SIGKILL pcscd pid {}", child.id());
            proc::kill(&mut child);
        }
    }

    /// Pid of the running pcscd, if any.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Waits until both vpcd readers are listed by `opensc-tool -l` (an outside PC/SC
    /// client); a probe that does not touch the vpcd card ports.
    fn wait_readers(&mut self, timeout: Duration) -> crate::Result<()> {
        let deadline = Deadline::after(timeout);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(st)) = child.try_wait() {
                    self.child = None;
                    return Err(format!(
                        "pcscd exited at start ({st}); log:\n{}",
                        proc::tail(&self.log, 30)
                    ));
                }
            }
            let (_, out) = proc::run_with_timeout(
                Command::new("opensc-tool").arg("-l"),
                Duration::from_secs(5),
            )?;
            let second = self.config.is_none() || out.contains(READER_B);
            if out.contains(READER_0) && out.contains(READER_1) && second {
                return Ok(());
            }
            if deadline.passed() {
                return Err(format!(
                    "pcscd readers not listed after {timeout:?}; opensc-tool -l said:\n{out}"
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for PcscdRig {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            proc::stop(&mut child, Duration::from_secs(5));
        }
    }
}

/// Removes the socket and pid files a killed pcscd leaves behind: a new pcscd refuses to
/// start over them ("Another pcscd seems to be running"), as a service manager knows.
fn clear_stale_files() {
    let running = std::fs::read_to_string(PID_FILE)
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
        .is_some_and(|pid| {
            proc::alive(pid)
                && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .is_ok_and(|c| c.trim() == "pcscd")
        });
    if !running {
        let _ = std::fs::remove_file(SOCKET_FILE);
        let _ = std::fs::remove_file(PID_FILE);
    }
}

/// Stops a pcscd that this rig did not start (found through pcscd's pid file), so that
/// ours can own the socket: SIGTERM, then SIGKILL after 5 s.
fn stop_foreign_pcscd() -> crate::Result<()> {
    let Ok(text) = std::fs::read_to_string(PID_FILE) else {
        return Ok(());
    };
    let Ok(pid) = text.trim().parse::<u32>() else {
        return Ok(());
    };
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim() != "pcscd" || !proc::alive(pid) {
        return Ok(());
    }
    eprintln!("[rig] stopping the pcscd already running (pid {pid})");
    proc::signal(pid, libc::SIGTERM);
    let deadline = Deadline::after(Duration::from_secs(5));
    while proc::alive(pid) {
        if deadline.passed() {
            proc::signal(pid, libc::SIGKILL);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let deadline = Deadline::after(Duration::from_secs(5));
    while proc::alive(pid) {
        if deadline.passed() {
            return Err(format!("could not stop pcscd pid {pid}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
