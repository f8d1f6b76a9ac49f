//! Reading Postfix's log (written by `postlogd` to the rig's `log/postfix.log`).

use std::time::{Duration, Instant};

use super::setup::read_lossy;
use super::{MailRig, RigError};

/// The Message-IDs of the messages Postfix accepted into its queue, in log order: one
/// `cleanup` line `QUEUEID: message-id=<...>` per accepted message (repeats included).
pub fn accepted_message_ids(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains(" postfix/cleanup["))
        .filter_map(|l| {
            l.split_once(": message-id=")
                .map(|(_, id)| id.trim().to_owned())
        })
        .collect()
}

/// How many deliveries into Dovecot succeeded (`postfix/lmtp ... status=sent`).
pub fn delivered_count(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains(" postfix/lmtp[") && l.contains(" status=sent "))
        .count()
}

/// The SMTP rejections Postfix logged (`NOQUEUE: reject: ...`), one line each.
pub fn rejections(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|l| l.split_once("NOQUEUE: reject: ").map(|(_, r)| r.to_owned()))
        .collect()
}

/// How many SASL logins failed (`SASL ... authentication failed`).
pub fn auth_failures(log: &str) -> usize {
    log.lines()
        .filter(|l| l.contains("SASL") && l.contains("authentication failed"))
        .count()
}

impl MailRig {
    /// Postfix's whole log so far (empty if unreadable).
    pub fn postfix_log(&self) -> String {
        read_lossy(&self.layout.postfix_log())
    }
    /// Dovecot's whole log so far (empty if unreadable).
    pub fn dovecot_log(&self) -> String {
        read_lossy(&self.layout.log().join("dovecot.log"))
    }
    /// The Message-IDs of every message Postfix accepted, in order, repeats included.
    pub fn accepted_message_ids(&self) -> Vec<String> {
        accepted_message_ids(&self.postfix_log())
    }
    /// How many messages Postfix accepted into its queue.
    pub fn accepted_count(&self) -> usize {
        self.accepted_message_ids().len()
    }
    /// How many messages Postfix delivered into Dovecot.
    pub fn delivered_count(&self) -> usize {
        delivered_count(&self.postfix_log())
    }

    /// Waits until Postfix has delivered at least `n` messages into Dovecot.
    pub fn wait_delivered(&self, n: usize, timeout: Duration) -> Result<(), RigError> {
        let start = Instant::now();
        loop {
            let seen = self.delivered_count();
            if seen >= n {
                return Ok(());
            }
            if start.elapsed() >= timeout {
                return Err(self.with_tails(RigError::NotReady(format!(
                    "{seen} of {n} messages delivered after {timeout:?}"
                ))));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(super) fn with_tails(&self, e: RigError) -> RigError {
        let tail = |name: &str| {
            let text = read_lossy(&self.layout.log().join(name));
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(15)..].join("\n")
        };
        let logs = ["postfix.out", "postfix.log", "dovecot.out", "dovecot.log"]
            .map(|n| format!("--- {n}\n{}", tail(n)))
            .join("\n");
        match e {
            RigError::Exited(m) => RigError::Exited(format!("{m}\n{logs}")),
            RigError::NotReady(m) => RigError::NotReady(format!("{m}\n{logs}")),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
Nov 30 22:18:49 mail postfix/submission/smtpd[15442]: 2169F98C3B5: client=localhost[127.0.0.1], sasl_method=PLAIN, sasl_username=praticien@example.test
Nov 30 22:18:49 mail postfix/cleanup[15447]: 2169F98C3B5: message-id=<a@b>
Nov 30 22:18:49 mail postfix/smtpd[15449]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 <nobody@example.test>: Recipient address rejected
Nov 30 22:18:49 mail postfix/lmtp[15448]: 2169F98C3B5: to=<01751@751.01.rss.fr>, relay=mail.rig.test[/tmp/x/lmtp], delay=0.05, dsn=2.0.0, status=sent (250 2.0.0 Saved)
Nov 30 22:18:50 mail postfix/submission/smtpd[15460]: warning: localhost[127.0.0.1]: SASL PLAIN authentication failed: 
";

    #[test]
    fn reads_the_lines_that_count() {
        assert_eq!(accepted_message_ids(LOG), vec!["<a@b>".to_owned()]);
        assert_eq!(delivered_count(LOG), 1);
        assert_eq!(rejections(LOG).len(), 1);
        assert!(rejections(LOG)[0].contains("550 5.1.1"));
        assert_eq!(auth_failures(LOG), 1);
    }
}
