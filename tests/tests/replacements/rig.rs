//! What the replacement tests share: the fixture people, the mail rig with the GP's
//! mailbox, drafts, and readers of the audit log and of the organism's B2.

use std::collections::BTreeMap;

use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{draft, ngap};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    AuditPage, FseBatchResponse, FseDraft, FseMode, FseSignResponse, InsuranceNature,
    PractitionerRef,
};
use passerelle_tests::mail::MailRig;
use passerelle_tests::organism::TestOrganism;
use passerelle_tests::{Daemon, TestDir, TwoCards};
use serde_json::{json, Value};

use crate::common::billing::json_of;
use crate::common::route;
use crate::common::transmission::configure_mail_of;

/// The GP's mailbox (lots leave from it, returns come to it).
pub const GP_MAIL: &str = "lefevre@cabinet-lefevre.test";
pub const GP_MAIL_PASSWORD: &str = "Mdp-Messagerie-Lefevre-4420";
pub const GP: &str = "75123456";
pub const TRAINEE: &str = "75199001";
pub const GP_PIN: &str = "8153";
pub const TRAINEE_PIN: &str = "3596";

pub fn day(offset: i64) -> String {
    format_date(paris_date(SystemClock.now() + time::Duration::days(offset)))
}

pub fn trainee() -> PractitionerRef {
    PractitionerRef {
        billing_number: TRAINEE.into(),
        situation: 0,
        tariff_zone: "22".into(),
        profession: "10".into(),
        speciality: "01".into(),
    }
}

/// A GP consultation (dégradée: the organism is the test's, Paris) on `care_date`.
pub fn visit(by: PractitionerRef, care_date: &str) -> FseDraft {
    let mut d = draft(
        0,
        care_date,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("G", "1", &[])],
    );
    d.practitioner = by;
    d.organism.caisse = "751".into();
    d.organism.centre = "0001".into();
    d
}

pub struct Rig {
    /// Postfix + Dovecot.
    pub rig: MailRig,
    /// The Paris organism.
    pub organism: TestOrganism,
    /// The cards and the daemon.
    pub cards: TwoCards,
}

/// The mail server with the GP's mailbox and the Paris organism; the daemon with the
/// trainee's CPF in `READER_0`, the GP's CPS in `READER_1`, and the GP's mail settings.
pub async fn start(dir: &TestDir) -> Rig {
    let organism = TestOrganism::create(dir.path(), "01", "751").unwrap();
    let rig = MailRig::builder()
        .mailbox(GP_MAIL, GP_MAIL_PASSWORD)
        .mailbox(&organism.address, &organism.password)
        .start()
        .unwrap();
    let file = dir.file("organisms.toml");
    std::fs::write(&file, organism.directory_entry()).unwrap();
    let ca = dir.file("mail-ca.pem");
    std::fs::write(&ca, rig.ca_pem()).unwrap();
    let config = format!(
        "[transmission]\nmode = \"test\"\norganisms_file = {:?}\nca_file = {:?}\n\n\
         [simulator]\nmovable_clock = true\n",
        file.display().to_string(),
        ca.display().to_string()
    );
    let cards = TwoCards::start_with(
        dir,
        "cpf:moreau-remplacant",
        "cps:lefevre-medecin",
        &[],
        &config,
    )
    .await
    .unwrap();
    configure_mail_of(&cards.daemon, &rig, GP, GP_MAIL, GP_MAIL_PASSWORD).await;
    Rig {
        rig,
        organism,
        cards,
    }
}

pub async fn verify_pin(daemon: &Daemon, reader: &str, pin: &str) {
    let _: Value = daemon
        .post_json(&route(reader, "pin/verify"), &json!({ "pin": pin }))
        .await
        .unwrap();
}

pub async fn create(daemon: &Daemon, drafts: &[FseDraft]) -> FseBatchResponse {
    json_of(
        daemon
            .post("/v1/fse", &json!({ "fse": drafts }))
            .await
            .unwrap(),
    )
    .await
}

pub fn refusal(resp: &FseBatchResponse) -> String {
    let e = resp.results[0].error.as_ref().expect("refused");
    e.code.as_str().to_owned()
}

pub async fn sign(daemon: &Daemon, reader: &str, ids: &[i64]) -> FseSignResponse {
    daemon
        .post_json("/v1/fse/sign", &json!({ "reader": reader, "fse": ids }))
        .await
        .unwrap()
}

/// The audit lines of `action` after `after`, as (op, outcome, code).
pub async fn audit_lines(daemon: &Daemon, action: &str) -> Vec<(String, String, String)> {
    let page: AuditPage = daemon.get_json("/v1/audit?after=0").await.unwrap();
    page.entries
        .iter()
        .filter(|e| e.action == action)
        .map(|e| {
            let s = |k: &str| e.details[k].as_str().unwrap_or_default().to_owned();
            (s("op"), s("outcome"), s("code"))
        })
        .collect()
}

/// FSE number → (replaced, substitute, substitute's last name), from the `4` records.
pub type Parts = BTreeMap<String, (String, String, String)>;

/// The records of a B2 file by type: the lot header's practitioner, and each `4`
/// (replacement part) record's FSE number → (replaced, substitute, name). Read here by
/// position from the README's modelled layout, not with the daemon's reader.
pub fn b2_identities(b2: &[u8]) -> (String, Vec<String>, Parts) {
    let text = std::str::from_utf8(b2).unwrap();
    let mut header = String::new();
    let mut invoices = Vec::new();
    let mut parts = BTreeMap::new();
    for r in text.as_bytes().chunks(128) {
        let r = std::str::from_utf8(r).unwrap();
        if r.starts_with("000") || r.starts_with("999") {
            continue;
        }
        match &r[..1] {
            // 1: lot 3, regime 2, caisse 3, centre 4, practitioner 8.
            "1" => header = r[13..21].to_owned(),
            "2" => invoices.push(r[1..10].to_owned()),
            // 4: fse 9, replaced 8, substitute 8, holder 12, last name 27.
            "4" => {
                parts.insert(
                    r[1..10].to_owned(),
                    (
                        r[10..18].to_owned(),
                        r[18..26].to_owned(),
                        r[38..65].trim().to_owned(),
                    ),
                );
            }
            _ => {}
        }
    }
    (header, invoices, parts)
}
