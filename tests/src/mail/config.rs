//! The configuration files of the rig's Postfix and Dovecot, rendered as text.
//!
//! Everything lives under the rig's directory; nothing in `/etc/postfix` or `/etc/dovecot` is
//! read or written. Each choice that cost time to find is commented where it is made.

use std::path::{Path, PathBuf};

use super::{Mailbox, Ports, RecipientRule};

/// Where each piece of the rig's state lives, under one root directory.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The rig's root directory (mode 0755: the postfix, dovecot and mail users traverse it).
    pub root: PathBuf,
}

impl Layout {
    /// TLS files: `ca.pem`, `server.pem` (chain), `server.key`.
    pub fn tls(&self) -> PathBuf {
        self.root.join("tls")
    }
    /// Log files of both servers.
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }
    /// Postfix's configuration directory (`postfix -c`).
    pub fn postfix_etc(&self) -> PathBuf {
        self.root.join("postfix/etc")
    }
    /// Postfix's queue directory.
    pub fn postfix_spool(&self) -> PathBuf {
        self.root.join("postfix/spool")
    }
    /// Postfix's data directory (must be owned by `mail_owner`).
    pub fn postfix_data(&self) -> PathBuf {
        self.root.join("postfix/data")
    }
    /// Dovecot's configuration file.
    pub fn dovecot_conf(&self) -> PathBuf {
        self.root.join("dovecot/dovecot.conf")
    }
    /// Dovecot's passwd-file.
    pub fn dovecot_passwd(&self) -> PathBuf {
        self.root.join("dovecot/passwd")
    }
    /// Dovecot's `base_dir`: its sockets (`lmtp`, `auth-postfix`) and `master.pid`.
    pub fn dovecot_run(&self) -> PathBuf {
        self.root.join("dovecot/run")
    }
    /// Dovecot's `state_dir`.
    pub fn dovecot_state(&self) -> PathBuf {
        self.root.join("dovecot/state")
    }
    /// Mail storage (owned by the `mail` user, which Dovecot delivers as).
    pub fn vmail(&self) -> PathBuf {
        self.root.join("vmail")
    }
    /// The file Postfix's `check_recipient_access` reads.
    pub fn recipient_access(&self) -> PathBuf {
        self.postfix_etc().join("recipient_access")
    }
    /// Postfix's log, written by `postlogd`.
    pub fn postfix_log(&self) -> PathBuf {
        self.log().join("postfix.log")
    }
}

fn p(path: &Path) -> String {
    path.display().to_string()
}

/// Postfix's `main.cf`.
pub fn main_cf(l: &Layout, mailboxes: &[Mailbox]) -> String {
    let mut domains: Vec<&str> = mailboxes.iter().map(|m| m.domain()).collect();
    domains.sort_unstable();
    domains.dedup();
    let etc = p(&l.postfix_etc());
    let run = p(&l.dovecot_run());
    let tls = p(&l.tls());
    format!(
        "# Written by the mail test rig.
compatibility_level = 3.6
queue_directory = {spool}
# Must be owned by mail_owner, or master exits: \"open lock file ... Permission denied\".
data_directory = {data}
mail_owner = postfix
setgid_group = postdrop
# Fixed: the machine's own hostname may be unqualified, and it shows in the logs.
myhostname = mail.rig.test
mydomain = rig.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.1/32
inet_interfaces = loopback-only
inet_protocols = ipv4
# postlogd writes here; the default maillog_file_prefixes (/var, /dev/stdout) would refuse it.
maillog_file = {log}
maillog_file_prefixes = {logdir}
virtual_mailbox_domains = {domains}
virtual_mailbox_maps = texthash:{etc}/vmailbox
virtual_transport = lmtp:unix:{run}/lmtp
# Nothing ever leaves the machine.
default_transport = error:this test rig relays nothing
relay_transport = error:this test rig relays nothing
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:{etc}/recipient_access
smtpd_tls_chain_files = {tls}/server.key, {tls}/server.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = {run}/auth-postfix
smtpd_error_sleep_time = 0
",
        spool = p(&l.postfix_spool()),
        data = p(&l.postfix_data()),
        log = p(&l.postfix_log()),
        logdir = p(&l.log()),
        domains = domains.join(", "),
    )
}

/// Postfix's `master.cf`: the three listeners on loopback, every service unchrooted.
pub fn master_cf(ports: &Ports) -> String {
    // max_use=1: each smtpd serves one connection and exits, so the next connection reads the
    // current recipient_access (texthash tables are read once, when the process starts).
    let submission_opts = "  -o max_use=1
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject";
    format!(
        "# Written by the mail test rig. chroot is \"n\" everywhere: a chroot would need copies of
# /etc files inside the queue directory.
127.0.0.1:{smtp} inet n - n - - smtpd
  -o max_use=1
127.0.0.1:{sub} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
{submission_opts}
127.0.0.1:{subs} inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
{submission_opts}
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
proxywrite unix  - - n -     1 proxymap
smtp       unix  - - n -     - smtp
relay      unix  - - n -     - smtp
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
lmtp       unix  - - n -     - lmtp
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
",
        smtp = ports.smtp,
        sub = ports.submission,
        subs = ports.submissions,
    )
}

/// Postfix's `vmailbox` table (texthash): the addresses it accepts.
pub fn vmailbox(mailboxes: &[Mailbox]) -> String {
    mailboxes
        .iter()
        .map(|m| format!("{} OK\n", m.address))
        .collect()
}

/// Postfix's `recipient_access` table (texthash) for the given rules.
pub fn recipient_access(rules: &[(String, RecipientRule)]) -> String {
    let mut out = String::new();
    for (address, rule) in rules {
        let action = match rule {
            RecipientRule::Accept => continue,
            RecipientRule::Defer => "450 4.2.1 Mailbox temporarily unavailable (test rig)",
            RecipientRule::Reject => "550 5.2.1 Mailbox disabled (test rig)",
        };
        out.push_str(&format!("{address} {action}\n"));
    }
    out
}

/// Dovecot's passwd-file: `user:{PLAIN}password::::::` per mailbox.
pub fn dovecot_passwd(mailboxes: &[Mailbox]) -> String {
    mailboxes
        .iter()
        .map(|m| format!("{}:{{PLAIN}}{}::::::\n", m.address, m.password))
        .collect()
}

/// Dovecot's configuration: IMAP (STARTTLS) and IMAPS on loopback, LMTP and SASL sockets.
pub fn dovecot_conf(l: &Layout, ports: &Ports, instance: &str) -> String {
    let tls = p(&l.tls());
    format!(
        "# Written by the mail test rig.
protocols = imap lmtp
listen = 127.0.0.1
base_dir = {run}
state_dir = {state}
# Two rigs at once must not share a name (it names the processes and the log process).
instance_name = {instance}
log_path = {log}/dovecot.log
ssl = yes
ssl_cert = <{tls}/server.pem
ssl_key = <{tls}/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Default 2 s: every wrong-password test would wait that long. Even at 0 a failure is
# answered within ~0.5 s (Dovecot flushes delayed failures on a 500 ms timer).
auth_failure_delay = 0
# Mail is stored as the mail user (uid 8); the default first_valid_uid = 500 refuses it.
first_valid_uid = 8
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={vmail}/%d/%n
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service lmtp {{
  # Postfix's lmtp client runs as the postfix user.
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
# No auth penalty: after a wrong password from 127.0.0.1, anvil delays every later login from
# it (2, 4, 8... up to 15 s), right ones included.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
",
        run = p(&l.dovecot_run()),
        state = p(&l.dovecot_state()),
        log = p(&l.log()),
        passwd = p(&l.dovecot_passwd()),
        vmail = p(&l.vmail()),
        imap = ports.imap,
        imaps = ports.imaps,
    )
}
