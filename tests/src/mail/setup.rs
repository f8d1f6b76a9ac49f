//! Checks before start, the directory tree with its owners and modes, and file writing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use super::{process, Layout, Mailbox, RigError, TestPki};

pub(super) fn check_prerequisites(mailboxes: &[Mailbox]) -> Result<(), RigError> {
    if !process::is_root() {
        return Err(RigError::NotRoot);
    }
    for bin in [
        "/usr/sbin/postfix",
        "/usr/sbin/dovecot",
        "/usr/lib/dovecot/lmtp",
    ] {
        if !Path::new(bin).exists() {
            return Err(RigError::Missing(format!(
                "{bin} (run install-mail-deps.sh)"
            )));
        }
    }
    if mailboxes.is_empty() {
        return Err(RigError::Invalid(
            "the rig needs at least one mailbox".into(),
        ));
    }
    for m in mailboxes {
        let bad = |c: char| c.is_whitespace() || c == ':' || c.is_control();
        let well_formed = m.address.split('@').count() == 2
            && !m.domain().is_empty()
            && !m.address.starts_with('@');
        if !well_formed || m.address.contains(bad) || m.password.contains(bad) {
            return Err(RigError::Invalid(format!("{:?}", m.address)));
        }
    }
    Ok(())
}

/// Creates the directory tree with the owners and modes each server needs.
pub(super) fn prepare_tree(l: &Layout, pki: &TestPki) -> Result<(), RigError> {
    for d in [
        l.tls(),
        l.log(),
        l.postfix_etc(),
        l.postfix_spool(),
        l.postfix_data(),
        l.dovecot_run(),
        l.dovecot_state(),
        l.vmail(),
    ] {
        std::fs::create_dir_all(&d).map_err(|e| RigError::Io(format!("{}: {e}", d.display())))?;
    }
    // tempfile makes the root 0700: the postfix, dovecot and mail users could not reach
    // their sockets and files. Every directory on the way must be traversable.
    for d in [
        l.root.clone(),
        l.root.join("postfix"),
        l.root.join("dovecot"),
    ] {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| RigError::Io(format!("chmod {}: {e}", d.display())))?;
    }
    let chown = |path: &Path, user: &str| -> Result<(), RigError> {
        let (uid, gid) = process::user_ids(user)?;
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(|e| RigError::Io(format!("chown {user} {}: {e}", path.display())))
    };
    chown(&l.postfix_data(), "postfix")?;
    chown(&l.vmail(), "mail")?;
    write(&l.tls().join("ca.pem"), &pki.ca_pem)?;
    write(&l.tls().join("server.pem"), &pki.server_chain_pem)?;
    write(&l.tls().join("server.key"), &pki.server_key_pem)?;
    std::fs::set_permissions(
        l.tls().join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .map_err(|e| RigError::Io(format!("chmod server.key: {e}")))
}

/// Writes a file atomically (temp file + rename): a server never reads half of it.
///
/// The file's mtime is then set 10 s in the past: Postfix waits ("for the file to settle")
/// while a table or main.cf is less than a second old, re-reading it every 300 ms, which
/// cost ~2 s on each first start and on each `set_recipient_rule`.
pub(super) fn write(path: &Path, text: &str) -> Result<(), RigError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let past = std::time::SystemTime::now() - Duration::from_secs(10);
    std::fs::write(&tmp, text)
        .and_then(|()| {
            std::fs::File::options()
                .write(true)
                .open(&tmp)?
                .set_modified(past)
        })
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| RigError::Io(format!("write {}: {e}", path.display())))
}

pub(super) fn read_lossy(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}
