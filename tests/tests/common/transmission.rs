//! What the transmission tests share: a real Postfix + Dovecot with the practitioner's
//! mailbox and three test organisms (the fixtures' caisses), the organism directory and the
//! daemon's configuration for them, lots made through the API, and the outbox waited on.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use passerelle_billing::samples::{draft, ngap, DURAND_BILLING};
use passerelle_protocol::{
    FseBatchResponse, FseMode, FseSignResponse, InsuranceNature, Lot, LotList, OutboxList,
};
use passerelle_tests::mail::MailRig;
use passerelle_tests::organism::{read_inbox, Inbox, TestOrganism};
use passerelle_tests::{Daemon, TestDir, READER_1};
use serde_json::{json, Value};

use super::billing::json_of;
use super::route;

/// The practitioner's mailbox password: never in a log, an answer or the audit log
/// (`scripts/check-no-pin-in-logs` looks for it).
pub const MAIL_PASSWORD: &str = "Mdp-Messagerie-Durand-7319";
/// The practitioner's address.
pub const FROM: &str = "durand@cabinet-durand.test";
/// A mailbox that is no organism (returns from it are kept, not applied).
pub const STRANGER: &str = "publicite@ailleurs.test";
/// Its password.
pub const STRANGER_PASSWORD: &str = "Mdp-Inconnu-5501";
/// The fixtures' caisses (régime 01): Lyon, Paris, Ajaccio.
pub const CAISSES: [&str; 3] = ["691", "751", "201"];

/// The mail server, the organisms and the daemon configuration that points at them.
pub struct MailSetup {
    /// Postfix + Dovecot.
    pub rig: MailRig,
    /// The organisms, by caisse.
    pub organisms: BTreeMap<String, TestOrganism>,
    /// What to append to the daemon's configuration.
    pub config: String,
}

/// Starts the mail server with the practitioner's mailbox and the three organisms, writes
/// the organism directory in `dir`, and the configuration (test mode, the rig's CA, the
/// movable clock).
pub fn mail_setup(dir: &TestDir) -> MailSetup {
    let mut builder = MailRig::builder()
        .mailbox(FROM, MAIL_PASSWORD)
        .mailbox(STRANGER, STRANGER_PASSWORD);
    let mut organisms = BTreeMap::new();
    let mut directory = String::new();
    for caisse in CAISSES {
        let org = TestOrganism::create(dir.path(), "01", caisse).unwrap();
        builder = builder.mailbox(&org.address, &org.password);
        directory.push_str(&org.directory_entry());
        organisms.insert(caisse.to_owned(), org);
    }
    let rig = builder.start().unwrap();
    let file = dir.file("organisms.toml");
    std::fs::write(&file, directory).unwrap();
    let ca = dir.file("mail-ca.pem");
    std::fs::write(&ca, rig.ca_pem()).unwrap();
    let config = format!(
        "[transmission]\nmode = \"test\"\norganisms_file = {:?}\nca_file = {:?}\n\n\
         [simulator]\nmovable_clock = true\n",
        file.display().to_string(),
        ca.display().to_string()
    );
    MailSetup {
        rig,
        organisms,
        config,
    }
}

/// Sets the practitioner's mail settings through the API (submission, STARTTLS).
pub async fn configure_mail(daemon: &Daemon, rig: &MailRig) {
    configure_mail_of(daemon, rig, DURAND_BILLING, FROM, MAIL_PASSWORD).await;
}

/// Sets the mail settings of situation `practitioner` (mailbox `from`, its `password`)
/// through the API, on the rig's submission and IMAPS ports.
pub async fn configure_mail_of(
    daemon: &Daemon,
    rig: &MailRig,
    practitioner: &str,
    from: &str,
    password: &str,
) {
    let body = json!({
        "from": from,
        "smtp": { "host": rig.host(), "port": rig.ports().submission, "security": "starttls",
                  "username": from },
        "imap": { "host": rig.host(), "port": rig.ports().imaps, "security": "tls",
                  "username": from },
        "password": password,
    });
    let resp = daemon
        .client()
        .put(daemon.url(&format!("/v1/mail/{practitioner}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    assert!(
        !text.contains(password),
        "the password is never echoed: {text}"
    );
}

/// Sets the same mail settings with the command line, `passerelle mail set`, the password
/// on standard input (never on the command line); the command's output.
pub async fn configure_mail_with_cli(daemon: &Daemon, rig: &MailRig) -> String {
    use tokio::io::AsyncWriteExt;
    let (submission, imaps) = (
        rig.ports().submission.to_string(),
        rig.ports().imaps.to_string(),
    );
    let mut child = tokio::process::Command::new(passerelle_tests::passerelle_bin())
        .args([
            "mail",
            "set",
            "--practitioner",
            DURAND_BILLING,
            "--from",
            FROM,
        ])
        .args([
            "--smtp-host",
            rig.host(),
            "--smtp-port",
            &submission,
            "--username",
            FROM,
        ])
        .args([
            "--imap-host",
            rig.host(),
            "--imap-port",
            &imaps,
            "--password-stdin",
        ])
        .arg("--data-dir")
        .arg(daemon.data_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{MAIL_PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains(MAIL_PASSWORD));
    text
}

/// Creates `per_caisse` FSE for each caisse on `day`, signs them with the CPS in
/// `READER_1` (PIN verified here) and builds the lots; the lots.
pub async fn lots_of_a_day(daemon: &Daemon, day: &str, per_caisse: usize) -> Vec<Lot> {
    let drafts: Vec<_> = (0..per_caisse * 3)
        .map(|i| {
            // Without the card (declared rights): the organism is the test's choice.
            let mode = [FseMode::SansVitale, FseMode::Degradee][i % 2];
            let mut d = draft(
                i,
                day,
                InsuranceNature::Maladie,
                mode,
                vec![ngap("C", "1", &[])],
            );
            d.organism.caisse = CAISSES[i % 3].to_owned();
            d.organism.centre = "0001".into();
            d
        })
        .collect();
    let created: FseBatchResponse = json_of(
        daemon
            .post("/v1/fse", &json!({ "fse": drafts }))
            .await
            .unwrap(),
    )
    .await;
    let ids: Vec<i64> = created
        .results
        .iter()
        .map(|r| r.fse.as_ref().unwrap_or_else(|| panic!("{r:?}")).id)
        .collect();
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let signed: FseSignResponse = daemon
        .post_json("/v1/fse/sign", &json!({ "reader": READER_1, "fse": ids }))
        .await
        .unwrap();
    assert!(
        signed.results.iter().all(|r| r.error.is_none()),
        "{signed:?}"
    );
    let lots: LotList = daemon
        .post_json("/v1/lots", &json!({ "reader": READER_1, "situation": 0 }))
        .await
        .unwrap();
    lots.lots
}

/// Waits until the outbox has no attempt queued or sending; the outbox then.
pub async fn outbox_settled(daemon: &Daemon, timeout: Duration) -> OutboxList {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let outbox: OutboxList = daemon.get_json("/v1/outbox").await.unwrap();
        let open = outbox.attempts.iter().any(|a| {
            matches!(
                a.state,
                passerelle_protocol::AttemptState::Queued
                    | passerelle_protocol::AttemptState::Sending
            )
        });
        if !open {
            return outbox;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the outbox did not settle: {outbox:#?}\n{}",
            daemon.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `POST /v1/lots/send` (every signed lot), expecting 202.
pub async fn send_all(daemon: &Daemon) -> passerelle_protocol::SendLotsResponse {
    let resp = daemon.post("/v1/lots/send", &json!({})).await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 202, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// `passerelle doctor --json` on the daemon's configuration: check name → (verdict, message).
pub async fn doctor(daemon: &Daemon) -> BTreeMap<String, (String, String)> {
    let out = tokio::process::Command::new(passerelle_tests::passerelle_bin())
        .args(["doctor", "--json", "--config"])
        .arg(daemon.config_path())
        .output()
        .await
        .unwrap();
    let findings: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
            (s("check"), (s("verdict"), s("message")))
        })
        .collect()
}

/// Moves the daemon's billing clock forward.
pub async fn advance_clock(daemon: &Daemon, seconds: u64) {
    let _: Value = daemon
        .post_json("/v1/simulator/clock", &json!({ "seconds": seconds }))
        .await
        .unwrap();
}

/// Each organism's inbox, waiting until Dovecot has delivered `expected` messages in all.
pub async fn inboxes(setup: &MailSetup, work: &Path, expected: usize) -> BTreeMap<String, Inbox> {
    setup
        .rig
        .wait_delivered(expected, Duration::from_secs(30))
        .unwrap();
    let mut out = BTreeMap::new();
    for (caisse, org) in &setup.organisms {
        let dir = work.join(format!("inbox-{caisse}"));
        std::fs::create_dir_all(&dir).unwrap();
        out.insert(
            caisse.clone(),
            read_inbox(&setup.rig, org, &dir).await.unwrap(),
        );
    }
    out
}
