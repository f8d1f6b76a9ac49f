//! Replacement sessions and assistants end to end, cards behind pcscd: the GP
//! (`cps:lefevre-medecin`) opens a session for the trainee (`cpf:moreau-remplacant`), who
//! bills a day in it; the lot, signed by the trainee with both practitioners' FSE, leaves
//! from the GP's mailbox through the real Postfix to the test organism, whose B2 check finds
//! both identities; the positive ARL comes back over IMAP; the session is closed and purged.
//! Every refusal is checked with its code and its audit line. Then an assistant's grant (the
//! secretary's CPE, `cpe:petit-secretaire`, and a paired application acting for a named
//! assistant), and a daemon restart.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::billing::json_of;
use common::returns::{mail_from, wait_lot, Recorder, FETCH};
use common::transmission::{advance_clock, outbox_settled, send_all};
use common::{expect_api_error, route};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{draft, lefevre, ngap};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    AuditPage, Fse, FseBatchResponse, FseDraft, FseMode, FseSignResponse, FseStatus,
    InsuranceNature, Lot, LotList, LotStatus, PractitionerRef, ReplacementList, ReplacementSession,
    ReplacementState,
};
use passerelle_tests::mail::MailRig;
use passerelle_tests::organism::{read_inbox, TestOrganism};
use passerelle_tests::organism_answers::{arl_text, ArlAnswer, ReturnMail};
use passerelle_tests::{Daemon, TestDir, TwoCards, READER_0, READER_1};
use serde_json::{json, Value};

/// The GP's mailbox (lots leave from it, returns come to it).
const GP_MAIL: &str = "lefevre@cabinet-lefevre.test";
const GP_MAIL_PASSWORD: &str = "Mdp-Messagerie-Lefevre-4420";
const GP: &str = "75123456";
const TRAINEE: &str = "75199001";
const GP_PIN: &str = "8153";
const TRAINEE_PIN: &str = "3596";

fn day(offset: i64) -> String {
    format_date(paris_date(SystemClock.now() + time::Duration::days(offset)))
}

fn trainee() -> PractitionerRef {
    PractitionerRef {
        billing_number: TRAINEE.into(),
        situation: 0,
        tariff_zone: "22".into(),
        profession: "10".into(),
        speciality: "01".into(),
    }
}

/// A GP consultation (dégradée: the organism is the test's, Paris) on `care_date`.
fn visit(by: PractitionerRef, care_date: &str) -> FseDraft {
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

struct Rig {
    rig: MailRig,
    organism: TestOrganism,
    cards: TwoCards,
}

/// The mail server with the GP's mailbox and the Paris organism; the daemon with the
/// trainee's CPF in `READER_0`, the GP's CPS in `READER_1`, and the GP's mail settings.
async fn start(dir: &TestDir) -> Rig {
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
    let body = json!({
        "from": GP_MAIL,
        "smtp": { "host": rig.host(), "port": rig.ports().submission, "security": "starttls",
                  "username": GP_MAIL },
        "imap": { "host": rig.host(), "port": rig.ports().imaps, "security": "tls",
                  "username": GP_MAIL },
        "password": GP_MAIL_PASSWORD,
    });
    let resp = cards
        .daemon
        .client()
        .put(cards.daemon.url(&format!("/v1/mail/{GP}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    Rig {
        rig,
        organism,
        cards,
    }
}

async fn verify_pin(daemon: &Daemon, reader: &str, pin: &str) {
    let _: Value = daemon
        .post_json(&route(reader, "pin/verify"), &json!({ "pin": pin }))
        .await
        .unwrap();
}

async fn create(daemon: &Daemon, drafts: &[FseDraft]) -> FseBatchResponse {
    json_of(
        daemon
            .post("/v1/fse", &json!({ "fse": drafts }))
            .await
            .unwrap(),
    )
    .await
}

fn refusal(resp: &FseBatchResponse) -> String {
    let e = resp.results[0].error.as_ref().expect("refused");
    e.code.as_str().to_owned()
}

async fn sign(daemon: &Daemon, reader: &str, ids: &[i64]) -> FseSignResponse {
    daemon
        .post_json("/v1/fse/sign", &json!({ "reader": reader, "fse": ids }))
        .await
        .unwrap()
}

/// The audit lines of `action` after `after`, as (op, outcome, code).
async fn audit_lines(daemon: &Daemon, action: &str) -> Vec<(String, String, String)> {
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
type Parts = BTreeMap<String, (String, String, String)>;

/// The records of a B2 file by type: the lot header's practitioner, and each `4`
/// (replacement part) record's FSE number → (replaced, substitute, name). Read here by
/// position from the README's modelled layout, not with the daemon's reader.
fn b2_identities(b2: &[u8]) -> (String, Vec<String>, Parts) {
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

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_replacement_billed_sent_acknowledged_closed_and_purged() {
    let dir = TestDir::new("a_whole_replacement_billed_sent_acknowledged_closed_and_purged");
    let Rig {
        rig,
        organism,
        cards,
    } = start(&dir).await;
    let daemon = &cards.daemon;
    let events = Recorder::start(daemon).await;
    let today = day(0);
    let open = |substitute: Value, start: &str, end: &str| {
        json!({ "reader": READER_1, "situation": 0, "substitute": substitute,
                "start": start, "end": end, "one_time": true })
    };
    let card = json!({ "source": "card", "reader": READER_0, "situation": 0 });

    // Without the GP's PIN verified by this application: refused.
    let resp = daemon
        .post("/v1/replacements", &open(card.clone(), &today, &day(2)))
        .await
        .unwrap();
    expect_api_error(resp, 403, "replacement_pin_required").await;
    verify_pin(daemon, READER_1, GP_PIN).await;
    // The GP as their own substitute (typed, with the right key): refused.
    let own = json!({ "source": "typed", "billing_number": GP, "billing_key": "8",
                      "holder_id": "810001112223", "last_name": "Lefevre", "first_name": "Julien" });
    let resp = daemon
        .post("/v1/replacements", &open(own, &today, &day(2)))
        .await
        .unwrap();
    expect_api_error(resp, 403, "replacement_own_card").await;
    // The GP's own card, in its reader, as the substitute's card: refused.
    let gp_card = json!({ "source": "card", "reader": READER_1, "situation": 0 });
    let resp = daemon
        .post("/v1/replacements", &open(gp_card, &today, &day(2)))
        .await
        .unwrap();
    expect_api_error(resp, 403, "replacement_own_card").await;
    // A typed billing number whose key is wrong: refused.
    let bad_key = json!({ "source": "typed", "billing_number": TRAINEE, "billing_key": "2",
                          "holder_id": "810009998887", "last_name": "Moreau", "first_name": "Thomas" });
    let resp = daemon
        .post("/v1/replacements", &open(bad_key, &today, &day(2)))
        .await
        .unwrap();
    expect_api_error(resp, 422, "invalid_replacement").await;

    // The GP bills and signs one FSE before leaving.
    let mine = create(daemon, &[visit(lefevre(), &today)]).await;
    let mine = mine.results[0].fse.clone().unwrap();
    assert!(sign(daemon, READER_1, &[mine.id]).await.results[0]
        .error
        .is_none());

    // Opened with the trainee's CPF read in READER_0, signed by the GP's CPS.
    let session: ReplacementSession = json_of(
        daemon
            .post("/v1/replacements", &open(card.clone(), &today, &day(2)))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(session.state, ReplacementState::Open);
    assert_eq!(session.replaced.billing_number, GP);
    assert_eq!(session.replaced.mailbox.as_deref(), Some(GP_MAIL));
    assert_eq!(session.replaced.tariff_zone, "22");
    assert_eq!(session.substitute.billing_number, TRAINEE);
    assert_eq!(session.substitute.last_name, "MOREAU");
    assert_eq!(session.opening_signature.len() % 4, 0);
    // A second session for the same situation on some of these days: refused.
    let typed = json!({ "source": "typed", "billing_number": TRAINEE, "billing_key": "1",
                        "holder_id": "810009998887", "last_name": "Moreau", "first_name": "Thomas" });
    let resp = daemon
        .post("/v1/replacements", &open(typed, &day(1), &day(4)))
        .await
        .unwrap();
    expect_api_error(resp, 409, "replacement_overlap").await;

    // The trainee bills the day with their own card.
    verify_pin(daemon, READER_0, TRAINEE_PIN).await;
    let theirs = create(daemon, &[visit(trainee(), &today)]).await;
    let theirs: Fse = theirs.results[0]
        .fse
        .clone()
        .unwrap_or_else(|| panic!("{theirs:?}"));
    assert_eq!(theirs.practitioner, lefevre());
    let part = theirs.replacement.clone().unwrap();
    assert_eq!(
        (part.session_id, part.substitute_billing_number.as_str()),
        (session.id, TRAINEE)
    );
    // Refusals: the GP's card billing as the substitute, care before the first day.
    let mut as_gp = visit(lefevre(), &today);
    as_gp.replacement_session = Some(session.id);
    assert_eq!(
        refusal(&create(daemon, &[as_gp]).await),
        "replacement_own_card"
    );
    // Another situation named in the session.
    let mut another = visit(passerelle_billing::samples::durand(), &today);
    another.replacement_session = Some(session.id);
    assert_eq!(
        refusal(&create(daemon, &[another]).await),
        "replacement_substitute_mismatch"
    );
    assert_eq!(
        refusal(&create(daemon, &[visit(trainee(), &day(-1))]).await),
        "replacement_outside_period"
    );
    // The GP's card does not sign the session's FSE; the trainee's does.
    let by_gp = sign(daemon, READER_1, &[theirs.id]).await;
    assert_eq!(
        by_gp.results[0].error.as_ref().unwrap().code.as_str(),
        "replacement_own_card"
    );
    let by_trainee = sign(daemon, READER_0, &[theirs.id]).await;
    assert!(by_trainee.results[0].error.is_none(), "{by_trainee:?}");

    // One lot, signed by the trainee's CPF, with both practitioners' FSE, under the GP's number.
    let lots: LotList = daemon
        .post_json("/v1/lots", &json!({ "reader": READER_0, "situation": 0 }))
        .await
        .unwrap();
    assert_eq!(lots.lots.len(), 1, "{lots:?}");
    let lot: Lot = lots.lots[0].clone();
    assert_eq!((lot.practitioner.as_str(), lot.invoice_count), (GP, 2));
    assert_eq!(lot.signed_by, passerelle_protocol::CardKind::Cpf);

    // Sent from the GP's mailbox; the organism's B2 check finds both identities.
    send_all(daemon).await;
    outbox_settled(daemon, FETCH).await;
    rig.wait_delivered(1, Duration::from_secs(30)).unwrap();
    let work = dir.path().join("inbox-751");
    std::fs::create_dir_all(&work).unwrap();
    let inbox = read_inbox(&rig, &organism, &work).await.unwrap();
    assert_eq!(inbox.messages.len(), 1);
    let (message_id, received) = inbox.messages.iter().next().unwrap();
    assert!(received.from.contains(GP_MAIL), "{}", received.from);
    assert!(received.subject.contains(GP), "{}", received.subject);
    let (header, invoices, parts) = b2_identities(&received.b2);
    assert_eq!(header, GP);
    assert_eq!(invoices.len(), 2);
    assert_eq!(
        parts.len(),
        1,
        "only the trainee's FSE has a replacement part"
    );
    let (replaced, substitute, name) = &parts[&theirs.number];
    assert_eq!(
        (replaced.as_str(), substitute.as_str(), name.as_str()),
        (GP, TRAINEE, "MOREAU")
    );
    assert!(!parts.contains_key(&mine.number));

    // Purge refused while open; closing refused to the trainee's card; closed by the GP.
    let with_gp = json!({ "reader": READER_1, "situation": 0 });
    let purge = format!("/v1/replacements/{}/purge", session.id);
    let close = format!("/v1/replacements/{}/close", session.id);
    expect_api_error(
        daemon.post(&purge, &with_gp).await.unwrap(),
        409,
        "replacement_not_purgeable",
    )
    .await;
    let with_trainee = json!({ "reader": READER_0, "situation": 0 });
    expect_api_error(
        daemon.post(&close, &with_trainee).await.unwrap(),
        403,
        "replacement_not_replaced_practitioner",
    )
    .await;
    let closed: ReplacementSession = json_of(daemon.post(&close, &with_gp).await.unwrap()).await;
    assert_eq!(closed.state, ReplacementState::Closed);
    assert_eq!(closed.closed_because.as_deref(), Some("early"));
    assert_eq!(
        refusal(&create(daemon, &[visit(trainee(), &today)]).await),
        "replacement_outside_period"
    );
    // Purge refused before the positive ARL.
    expect_api_error(
        daemon.post(&purge, &with_gp).await.unwrap(),
        409,
        "replacement_not_purgeable",
    )
    .await;

    // The positive ARL, mailed to the GP's mailbox.
    let arl = arl_text(&ArlAnswer {
        lot: lot.number.clone(),
        organism: ("01".into(), "751".into(), "0001".into()),
        practitioner: GP.into(),
        reference: format!("<{message_id}>"),
        date: today.replace('-', ""),
        refusal: None,
    });
    let mail = ReturnMail {
        from: organism.address.clone(),
        to: GP_MAIL.into(),
        subject: "ARL".into(),
        message_id: "<arl-751-1@test>".into(),
        description: "IRIS/ARL".into(),
        filename: "arl.txt".into(),
        attachment: arl,
    }
    .build()
    .unwrap();
    passerelle_tests::organism_answers::send_raw(
        &rig,
        &organism.address,
        &organism.password,
        GP_MAIL,
        &mail,
    )
    .await
    .unwrap();
    let _ = mail_from; // the shared helper mails to the midwife's address: not used here.
    wait_lot(daemon, lot.id, "acknowledged", |d| {
        d.lot.status == LotStatus::Acknowledged
    })
    .await;
    let fse: Fse = daemon
        .get_json(&format!("/v1/fse/{}", theirs.id))
        .await
        .unwrap();
    assert_eq!(fse.status, FseStatus::Acknowledged);

    // Now purged: the trainee's names are gone, the billing number stays.
    let purged: ReplacementSession = json_of(daemon.post(&purge, &with_gp).await.unwrap()).await;
    assert_eq!(purged.state, ReplacementState::Purged);
    assert_eq!(
        (
            purged.substitute.last_name.as_str(),
            purged.substitute.holder_id.as_str()
        ),
        ("", "")
    );
    assert_eq!(purged.substitute.billing_number, TRAINEE);
    let fse: Fse = daemon
        .get_json(&format!("/v1/fse/{}", theirs.id))
        .await
        .unwrap();
    assert_eq!(fse.replacement.unwrap().substitute_last_name, "");

    // The session's audit trail, line by line.
    let lines = audit_lines(daemon, "replacement_session").await;
    let expected = [
        ("open", "refused", "replacement_pin_required"),
        ("open", "refused", "replacement_own_card"),
        ("open", "refused", "replacement_own_card"),
        ("open", "refused", "invalid_replacement"),
        ("open", "ok", ""),
        ("open", "refused", "replacement_overlap"),
        ("purge", "refused", "replacement_not_purgeable"),
        ("close", "refused", "replacement_not_replaced_practitioner"),
        ("close", "ok", ""),
        ("purge", "refused", "replacement_not_purgeable"),
        ("purge", "ok", ""),
    ];
    let got: Vec<(&str, &str, &str)> = lines
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(got, expected);
    // The FSE refused for the rules of the session, each its own line.
    let page: AuditPage = daemon.get_json("/v1/audit?after=0").await.unwrap();
    let codes: Vec<String> = page
        .entries
        .iter()
        .filter(|e| e.action == "refused")
        .filter_map(|e| e.details["code"].as_str().map(str::to_owned))
        .filter(|c| c.starts_with("replacement_"))
        .collect();
    assert_eq!(
        codes,
        [
            "replacement_own_card",
            "replacement_substitute_mismatch",
            "replacement_outside_period",
            "replacement_outside_period"
        ]
    );
    // The events.
    let opened = events.of("replacement_opened");
    assert_eq!(opened.len(), 1);
    assert_eq!(opened[0]["substitute"], TRAINEE);
    let closed = events.of("replacement_closed");
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0]["reason"], "early");
    // The command line.
    let out = daemon.cli(&["replacements", "list"]).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("purgée") && text.contains(GP), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn assistants_prepare_within_their_dates_and_everything_survives_a_restart() {
    let dir =
        TestDir::new("assistants_prepare_within_their_dates_and_everything_survives_a_restart");
    let mut cards = TwoCards::start_with(
        &dir,
        "cpe:petit-secretaire",
        "cps:lefevre-medecin",
        &[],
        "[simulator]\nmovable_clock = true\n",
    )
    .await
    .unwrap();
    let (today, tomorrow) = (day(0), day(1));
    let daemon = &cards.daemon;
    // A paired application acting for a named assistant.
    let token = daemon
        .pair_local(
            "Secrétariat",
            &["read_cards", "prepare", "sign", "transmit"],
        )
        .await
        .unwrap();
    let grants: Value = daemon.get_json("/v1/grants").await.unwrap();
    let app_grant = grants["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["app_name"] == "Secrétariat")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let assistant = passerelle_tests::daemon::client_with_token(&daemon.ca_path(), &token).unwrap();

    // Granting needs the GP's PIN verified by this application.
    let cpe_grant = json!({ "reader": READER_1, "situation": 0,
        "assistant": { "kind": "cpe", "reader": READER_0 }, "start": today, "end": tomorrow });
    expect_api_error(
        daemon.post("/v1/assistants", &cpe_grant).await.unwrap(),
        403,
        "replacement_pin_required",
    )
    .await;
    verify_pin(daemon, READER_1, GP_PIN).await;
    let _: Value = json_of(daemon.post("/v1/assistants", &cpe_grant).await.unwrap()).await;
    let app = json!({ "reader": READER_1, "situation": 0,
        "assistant": { "kind": "application", "grant_id": app_grant, "name": "Alice Martin" },
        "start": today, "end": tomorrow });
    let app_grant_row: Value = json_of(daemon.post("/v1/assistants", &app).await.unwrap()).await;

    // The application prepares for the GP (a draft to sign later), not for anyone else.
    let mut d = visit(lefevre(), &today);
    d.deferred_signature = true;
    let post_as = |body: Value| assistant.post(daemon.url("/v1/fse")).json(&body).send();
    let prepared: FseBatchResponse =
        json_of(post_as(json!({ "fse": [d.clone()] })).await.unwrap()).await;
    let prepared = prepared.results[0]
        .fse
        .clone()
        .unwrap_or_else(|| panic!("{prepared:?}"));
    assert_eq!(prepared.status, FseStatus::Draft);
    let mut other = visit(lefevre(), &today);
    other.practitioner = passerelle_billing::samples::durand();
    let refused: FseBatchResponse =
        json_of(post_as(json!({ "fse": [other] })).await.unwrap()).await;
    assert_eq!(refusal(&refused), "assistant_not_granted");
    // It never signs nor sends, whatever its token's scopes.
    for (path, body) in [
        (
            "/v1/fse/sign",
            json!({ "reader": READER_1, "fse": [prepared.id] }),
        ),
        ("/v1/lots", json!({ "reader": READER_1 })),
        ("/v1/lots/send", json!({})),
    ] {
        let resp = assistant
            .post(daemon.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        expect_api_error(resp, 403, "assistant_cannot_sign").await;
    }
    // The CPE prepares too.
    let by_cpe: FseBatchResponse = json_of(
        daemon
            .post(
                "/v1/fse",
                &json!({ "fse": [d.clone()], "cpe_reader": READER_0 }),
            )
            .await
            .unwrap(),
    )
    .await;
    let by_cpe = by_cpe.results[0]
        .fse
        .clone()
        .unwrap_or_else(|| panic!("{by_cpe:?}"));
    // The GP signs both later.
    let signed = sign(daemon, READER_1, &[prepared.id, by_cpe.id]).await;
    assert!(
        signed.results.iter().all(|r| r.error.is_none()),
        "{signed:?}"
    );
    // A session opened (typed substitute) to see it survive the restart.
    let typed = json!({ "source": "typed", "billing_number": TRAINEE, "billing_key": "1",
                        "holder_id": "810009998887", "last_name": "Moreau", "first_name": "Thomas" });
    let session: ReplacementSession = json_of(
        daemon
            .post(
                "/v1/replacements",
                &json!({ "reader": READER_1, "substitute": typed,
                  "start": today, "end": tomorrow }),
            )
            .await
            .unwrap(),
    )
    .await;

    // Restart: sessions and grants are where they were.
    cards.daemon.restart().await.unwrap();
    let daemon = &cards.daemon;
    let events = Recorder::start(daemon).await;
    let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
    assert_eq!(list.sessions.len(), 1);
    assert_eq!(
        (list.sessions[0].id, list.sessions[0].state),
        (session.id, ReplacementState::Open)
    );
    let grants: Value = daemon.get_json("/v1/assistants").await.unwrap();
    assert_eq!(grants["grants"].as_array().unwrap().len(), 2);

    // A day after the last day: refused to both assistants; the session ended by itself.
    advance_clock(daemon, 2 * 24 * 3600).await;
    let later = visit(lefevre(), &day(2));
    let assistant = passerelle_tests::daemon::client_with_token(&daemon.ca_path(), &token).unwrap();
    let resp = assistant
        .post(daemon.url("/v1/fse"))
        .json(&json!({ "fse": [later.clone()] }))
        .send()
        .await
        .unwrap();
    assert_eq!(refusal(&json_of(resp).await), "assistant_outside_dates");
    let by_cpe: FseBatchResponse = json_of(
        daemon
            .post(
                "/v1/fse",
                &json!({ "fse": [later], "cpe_reader": READER_0 }),
            )
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(refusal(&by_cpe), "assistant_outside_dates");
    let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
    assert_eq!(list.sessions[0].state, ReplacementState::Closed);
    assert_eq!(
        list.sessions[0].closed_because.as_deref(),
        Some("period_end")
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while events.of("replacement_closed").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no replacement_closed event"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(events.of("replacement_closed")[0]["reason"], "period_end");
    // The GP revokes the application's grant (PIN again after the restart).
    verify_pin(daemon, READER_1, GP_PIN).await;
    let revoked: Value = json_of(
        daemon
            .post(
                &format!("/v1/assistants/{}/revoke", app_grant_row["id"]),
                &json!({ "reader": READER_1 }),
            )
            .await
            .unwrap(),
    )
    .await;
    assert!(revoked["revoked_at"].is_string());
    let lines = audit_lines(daemon, "assistant_grant").await;
    let ops: Vec<(&str, &str)> = lines
        .iter()
        .map(|(o, r, _)| (o.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        ops,
        [
            ("grant", "refused"),
            ("grant", "ok"),
            ("grant", "ok"),
            ("revoke", "ok")
        ]
    );
}

/// Sends a POST and gives its JSON when the daemon answered 200 (`None`: refused, or no
/// answer because it was killed).
async fn try_post(client: &reqwest::Client, url: String, body: Value) -> Option<Value> {
    let resp = client
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    if resp.status() != 200 {
        return None;
    }
    resp.json().await.ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sigkill_while_opening_or_closing_leaves_nothing_half_done() {
    use base64::Engine;
    use passerelle_tests::{proc, Backend};
    let dir = TestDir::new("a_sigkill_while_opening_or_closing_leaves_nothing_half_done");
    let config = "[simulator]\nreaders = [\"cps:durand-sage-femme\"]\npin_pad_readers = []\n\n\
                  [security]\nrate_limit_per_second = 1000000000\nrate_limit_burst = 1000000000\n";
    let mut daemon = Daemon::start_with(&dir, Backend::Simulated, config)
        .await
        .unwrap();
    let reader = "Passerelle lecteur simulé 0";
    let pin = route(reader, "pin/verify");
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut seed = std::process::id() as u64 | 1;
    // Answered with 200 before the kill: (session id, closed too).
    let mut answered: Vec<(i64, bool)> = Vec::new();
    const KILLS: i64 = 25;
    for kill in 0..=KILLS {
        let list: ReplacementList = daemon.get_json("/v1/replacements").await.unwrap();
        // Every session is whole: its opening signature verifies; none open twice a day.
        for s in &list.sessions {
            let digest: [u8; 32] = hex::decode(&s.opening_sha256).unwrap().try_into().unwrap();
            passerelle_billing::signer::verify(
                &b64.decode(&s.opening_certificate).unwrap(),
                &digest,
                &b64.decode(&s.opening_signature).unwrap(),
            )
            .unwrap_or_else(|e| panic!("session {} half-made: {e}", s.id));
        }
        for (id, closed) in &answered {
            let s = list.sessions.iter().find(|s| s.id == *id);
            let s = s.unwrap_or_else(|| panic!("session {id} acknowledged, then lost"));
            if *closed {
                assert_eq!(s.state, ReplacementState::Closed, "session {id}");
            }
        }
        if kill == KILLS {
            break;
        }
        let _: Value = daemon
            .post_json(&pin, &json!({ "pin": "4729" }))
            .await
            .unwrap();
        let (client, base) = (daemon.client(), daemon.base_url());
        let date = day(kill);
        let work = tokio::spawn(async move {
            let typed = json!({ "source": "typed", "billing_number": TRAINEE,
                "billing_key": "1", "holder_id": "810009998887", "last_name": "Moreau",
                "first_name": "Thomas" });
            let open = json!({ "reader": reader, "substitute": typed, "start": date, "end": date });
            let session = try_post(&client, format!("{base}/v1/replacements"), open).await?;
            let id = session["id"].as_i64()?;
            let close = format!("{base}/v1/replacements/{id}/close");
            let closed = try_post(&client, close, json!({ "reader": reader })).await;
            Some((id, closed.is_some()))
        });
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        tokio::time::sleep(Duration::from_millis((seed >> 33) % 40)).await;
        proc::signal(daemon.pid().unwrap(), libc::SIGKILL);
        if let Some(done) = work.await.unwrap() {
            answered.push(done);
        }
        daemon.restart().await.unwrap();
    }
    let closed = answered.iter().filter(|(_, c)| *c).count();
    eprintln!(
        "{KILLS} kills: {} openings and {closed} closings acknowledged",
        answered.len()
    );
}
