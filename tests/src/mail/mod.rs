//! Test support: a real Postfix 3.7 + Dovecot 2.3 on loopback, all state in a temp dir.
//!
//! Postfix listens on plain SMTP, submission (STARTTLS and SASL) and submissions (implicit
//! TLS and SASL), delivers over LMTP into Dovecot, which serves IMAP (STARTTLS) and IMAPS;
//! Dovecot also checks Postfix's SASL logins. Every mailbox's domain is a virtual mailbox
//! domain (`01751@751.01.rss.fr` and `praticien@example.test` alike); unknown addresses get
//! `550 5.1.1`, and nothing is ever relayed off the machine. The ports are chosen free at start
//! and kept across [`MailRig::stop`] / [`MailRig::start`], so a test can take the mail server
//! down and bring it back. The TLS certificate (for `localhost` and `127.0.0.1`) comes from a
//! private CA, [`MailRig::ca_pem`]. [`MailRig::set_recipient_rule`] makes Postfix answer 450
//! or 550 for one address; [`log`] reads Postfix's log (accepted Message-IDs, deliveries).
//!
//! Run as root; `scripts/install-test-deps` installs the packages. Set
//! `PASSERELLE_TEST_KEEP=1` to keep the rig's directory (configs, logs, mail) after a test.
//!
//! Pitfalls met on the way (each is also commented where it is handled):
//! - `tempfile` makes the directory 0700: the postfix, dovecot and mail users then cannot
//!   reach sockets and files. The root and each parent directory are made 0755.
//! - Postfix: `data_directory` must belong to `mail_owner` (postfix); `myhostname` is set
//!   (the machine's name may be unqualified); every service has chroot `n`; `maillog_file`
//!   outside `/var` needs `maillog_file_prefixes`, and the `postlog` service in master.cf.
//! - Postfix waits for a main.cf or a lookup table younger than a second to "settle",
//!   re-reading it every 300 ms: ~2 s on each first start. Files are written then backdated.
//! - `postfix stop` sleeps a full second before it checks that master is gone: the rig sends
//!   SIGTERM to master itself. `start-fg` runs master as a child of postfix-script (not
//!   exec'd unless PID 1), so the rig's child is that shell.
//! - texthash tables are read when an smtpd starts: with `max_use=1` each connection gets a
//!   fresh smtpd, so a rewritten `recipient_access` applies to the next connection, no reload.
//! - Dovecot: `first_valid_uid` must admit the mail user (uid 8); LMTP and auth sockets need
//!   mode 0666 (Postfix's clients run as postfix); start it before Postfix and wait for IMAP
//!   *and* both sockets (~70 ms here); a wrong password costs ~0.5 s even with
//!   `auth_failure_delay = 0`, and anvil's auth penalty (disabled here) would delay every
//!   later login from 127.0.0.1 by up to 15 s; after SIGTERM it needs ~1 s to exit (SIGKILL
//!   when the state is thrown away).
//! - Orphaned server children may stay as zombies where PID 1 does not reap: liveness checks
//!   read `/proc/PID/stat` and treat `Z` as gone.

mod config;
pub mod log;
mod pki;
mod process;
mod setup;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Mutex;
use std::time::Duration;

pub use config::Layout;
pub use pki::TestPki;
use setup::{check_prerequisites, prepare_tree, write};

/// How long a server may take to answer after being started (Dovecot: ~0.2 s here).
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to exit once asked to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// What can go wrong while running the rig (test support: messages for developers).
#[derive(Debug, thiserror::Error)]
pub enum RigError {
    /// The rig must be started by root (Postfix and Dovecot drop privileges themselves).
    #[error("the mail test rig must run as root")]
    NotRoot,
    /// A program or system user is missing.
    #[error("missing: {0}")]
    Missing(String),
    /// A mailbox given to the builder is unusable.
    #[error("invalid mailbox: {0}")]
    Invalid(String),
    /// A file operation failed.
    #[error("i/o: {0}")]
    Io(String),
    /// The certificates could not be made.
    #[error("test PKI: {0}")]
    Pki(String),
    /// A server process could not be spawned.
    #[error("spawn: {0}")]
    Spawn(String),
    /// A server exited during start-up (see the log tails in the message).
    #[error("server exited: {0}")]
    Exited(String),
    /// A server did not become ready, or stop, in time.
    #[error("not ready: {0}")]
    NotReady(String),
}

/// A mailbox of the rig: an address (its domain becomes a virtual mailbox domain) and the
/// password for SMTP AUTH and IMAP LOGIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Full address, e.g. `01751@751.01.rss.fr`; also the login name.
    pub address: String,
    /// Password (stored in clear in the rig's passwd-file).
    pub password: String,
}

impl Mailbox {
    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.address.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

/// The loopback ports of a running rig, all on 127.0.0.1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ports {
    /// Plain SMTP (no AUTH), as an MX would be.
    pub smtp: u16,
    /// Submission: STARTTLS required, then AUTH PLAIN/LOGIN required.
    pub submission: u16,
    /// Submissions: implicit TLS, then AUTH required.
    pub submissions: u16,
    /// IMAP with STARTTLS (LOGIN only after it).
    pub imap: u16,
    /// IMAPS: implicit TLS.
    pub imaps: u16,
}

/// What Postfix answers at `RCPT TO` for one address (see [`MailRig::set_recipient_rule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecipientRule {
    /// The normal case: accepted if the mailbox exists.
    Accept,
    /// `450 4.2.1`: try again later.
    Defer,
    /// `550 5.2.1`: refused for good.
    Reject,
}

/// Builds a [`MailRig`]: add mailboxes, then [`MailRigBuilder::start`].
#[derive(Debug, Default)]
pub struct MailRigBuilder {
    mailboxes: Vec<Mailbox>,
}

impl MailRigBuilder {
    /// Adds a mailbox (its domain is served locally).
    pub fn mailbox(mut self, address: &str, password: &str) -> Self {
        self.mailboxes.push(Mailbox {
            address: address.to_owned(),
            password: password.to_owned(),
        });
        self
    }

    /// Writes the configuration and starts Dovecot, then Postfix.
    pub fn start(self) -> Result<MailRig, RigError> {
        MailRig::start_with(self.mailboxes)
    }
}

/// A running (or stopped) Postfix + Dovecot pair. Dropping it stops both and removes its
/// directory.
#[derive(Debug)]
pub struct MailRig {
    dir: Option<tempfile::TempDir>,
    layout: Layout,
    ports: Ports,
    pki: TestPki,
    mailboxes: Vec<Mailbox>,
    rules: Mutex<Vec<(String, RecipientRule)>>,
    dovecot: Option<Child>,
    postfix: Option<Child>,
}

impl MailRig {
    /// A builder with no mailbox yet.
    pub fn builder() -> MailRigBuilder {
        MailRigBuilder::default()
    }

    fn start_with(mailboxes: Vec<Mailbox>) -> Result<MailRig, RigError> {
        check_prerequisites(&mailboxes)?;
        let dir = tempfile::Builder::new()
            .prefix("mail-rig-")
            .tempdir()
            .map_err(|e| RigError::Io(format!("temp dir: {e}")))?;
        let layout = Layout {
            root: dir.path().to_owned(),
        };
        let pki = TestPki::generate()?;
        prepare_tree(&layout, &pki)?;
        let mut rig = MailRig {
            dir: Some(dir),
            layout,
            ports: Ports::default(),
            pki,
            mailboxes,
            rules: Mutex::new(Vec::new()),
            dovecot: None,
            postfix: None,
        };
        // A port picked free may be taken before a server binds it: pick again.
        let mut last = None;
        for _ in 0..3 {
            let [smtp, submission, submissions, imap, imaps] = process::free_ports::<5>()?;
            rig.ports = Ports {
                smtp,
                submission,
                submissions,
                imap,
                imaps,
            };
            rig.write_config()?;
            match rig.start() {
                Ok(()) => return Ok(rig),
                Err(e) => {
                    rig.stop_quietly(false);
                    last = Some(e);
                }
            }
        }
        Err(last.unwrap_or_else(|| RigError::NotReady("no start attempted".into())))
    }

    fn write_config(&self) -> Result<(), RigError> {
        let l = &self.layout;
        let instance = format!("rig{}", self.ports.imap);
        write(
            &l.postfix_etc().join("main.cf"),
            &config::main_cf(l, &self.mailboxes),
        )?;
        write(
            &l.postfix_etc().join("master.cf"),
            &config::master_cf(&self.ports),
        )?;
        write(
            &l.postfix_etc().join("vmailbox"),
            &config::vmailbox(&self.mailboxes),
        )?;
        write(
            &l.dovecot_conf(),
            &config::dovecot_conf(l, &self.ports, &instance),
        )?;
        write(
            &l.dovecot_passwd(),
            &config::dovecot_passwd(&self.mailboxes),
        )?;
        self.write_rules()
    }

    /// Starts Dovecot, waits for IMAP and its sockets, then starts Postfix and waits for its
    /// SMTP banner. Same ports, same state as before a [`MailRig::stop`].
    pub fn start(&mut self) -> Result<(), RigError> {
        let l = self.layout.clone();
        if self.dovecot.is_none() {
            let mut cmd = Command::new("dovecot");
            cmd.arg("-F").arg("-c").arg(l.dovecot_conf());
            let mut child = process::spawn_logged(&mut cmd, &l.log().join("dovecot.out"))?;
            let ready = process::wait_greeting(self.ports.imap, "* OK", &mut child, START_TIMEOUT)
                .and_then(|()| process::wait_path(&l.dovecot_run().join("lmtp"), START_TIMEOUT))
                .and_then(|()| {
                    process::wait_path(&l.dovecot_run().join("auth-postfix"), START_TIMEOUT)
                });
            self.dovecot = Some(child);
            ready.map_err(|e| self.with_tails(e))?;
        }
        if self.postfix.is_none() {
            // `postfix start-fg` runs postfix-script (integrity checks, creates the queue
            // directories) which then runs `master -s` as its child and waits for it.
            let mut cmd = Command::new("postfix");
            cmd.arg("-c").arg(l.postfix_etc()).arg("start-fg");
            let mut child = process::spawn_logged(&mut cmd, &l.log().join("postfix.out"))?;
            let ready = process::wait_greeting(self.ports.smtp, "220 ", &mut child, START_TIMEOUT);
            self.postfix = Some(child);
            ready.map_err(|e| self.with_tails(e))?;
        }
        Ok(())
    }

    /// Stops Postfix, then Dovecot, and waits until no port accepts connections. State
    /// (queue, mailboxes, logs) is kept for [`MailRig::start`].
    pub fn stop(&mut self) -> Result<(), RigError> {
        self.stop_quietly(true);
        let p = self.ports;
        process::wait_ports_closed(
            &[p.smtp, p.submission, p.submissions, p.imap, p.imaps],
            STOP_TIMEOUT,
        )
    }

    /// Stops both servers. Dovecot takes about a second to exit after SIGTERM; when the state
    /// is thrown away anyway (`graceful` false) it gets SIGKILL, and its children, which
    /// watch their master, exit at once.
    fn stop_quietly(&mut self, graceful: bool) {
        let l = self.layout.clone();
        if let Some(mut child) = self.postfix.take() {
            // SIGTERM to master, as `postfix stop` does; but that command then sleeps a whole
            // second before its first check that master is gone.
            let master = process::read_pid(&l.postfix_spool().join("pid/master.pid"));
            if let Some(pid) = master {
                process::signal(pid, "TERM");
            }
            if !process::wait_exit(&mut child, STOP_TIMEOUT) {
                if let Some(pid) = master {
                    process::signal(pid, "KILL");
                }
                let _ = child.kill();
                let _ = child.wait();
            }
            // The next master refuses to start while the old one holds its lock.
            if let Some(pid) = master {
                process::wait_gone(pid, STOP_TIMEOUT);
            }
        }
        if let Some(mut child) = self.dovecot.take() {
            process::signal(child.id(), if graceful { "TERM" } else { "KILL" });
            if !process::wait_exit(&mut child, STOP_TIMEOUT) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }

    /// Makes Postfix answer `rule` at `RCPT TO:<address>` from the next connection on (each
    /// smtpd serves one connection, then a fresh one reads the table again).
    pub fn set_recipient_rule(&self, address: &str, rule: RecipientRule) -> Result<(), RigError> {
        {
            let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
            rules.retain(|(a, _)| a != address);
            rules.push((address.to_owned(), rule));
        }
        self.write_rules()
    }

    fn write_rules(&self) -> Result<(), RigError> {
        let rules = self.rules.lock().unwrap_or_else(|e| e.into_inner()).clone();
        write(
            &self.layout.recipient_access(),
            &config::recipient_access(&rules),
        )
    }

    /// The ports (fixed for the rig's life).
    pub fn ports(&self) -> Ports {
        self.ports
    }
    /// The host name the server certificate is valid for.
    pub fn host(&self) -> &'static str {
        "localhost"
    }
    /// The private CA certificate (PEM) that clients must trust.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }
    /// The private CA certificate as a file.
    pub fn ca_path(&self) -> PathBuf {
        self.layout.tls().join("ca.pem")
    }
    /// The rig's root directory.
    pub fn dir(&self) -> &Path {
        &self.layout.root
    }
    /// The mailboxes the rig serves.
    pub fn mailboxes(&self) -> &[Mailbox] {
        &self.mailboxes
    }
    /// Whether both servers were started and not stopped since.
    pub fn is_running(&self) -> bool {
        self.postfix.is_some() && self.dovecot.is_some()
    }
}

impl Drop for MailRig {
    fn drop(&mut self) {
        self.stop_quietly(false);
        if std::env::var("PASSERELLE_TEST_KEEP").is_ok_and(|v| v == "1") {
            if let Some(dir) = self.dir.take() {
                eprintln!("mail rig kept in {}", dir.keep().display());
            }
        }
    }
}
