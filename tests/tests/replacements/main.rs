//! Replacement sessions and assistants end to end, cards behind pcscd: the GP
//! (`cps:lefevre-medecin`) opens a session for the trainee (`cpf:moreau-remplacant`), who
//! bills a day in it; the lot, signed by the trainee with both practitioners' FSE, leaves
//! from the GP's mailbox through the real Postfix to the test organism, whose B2 check finds
//! both identities; the positive ARL comes back over IMAP; the session is closed and purged.
//! Every refusal is checked with its code and its audit line. Then an assistant's grant (the
//! secretary's CPE, `cpe:petit-secretaire`, and a paired application acting for a named
//! assistant), and a daemon restart.

mod assistants;
#[path = "../common/mod.rs"]
mod common;
mod crash;
mod midwife;
mod rig;

use std::time::Duration;

use common::billing::json_of;
use common::returns::{wait_lot, Recorder, FETCH};
use common::transmission::{advance_clock, outbox_settled, send_all};
use common::{expect_api_error, route};
use passerelle_billing::samples::lefevre;
use passerelle_protocol::{
    AuditPage, Fse, FseBatchResponse, FseStatus, Lot, LotList, LotStatus, ReplacementList,
    ReplacementSession, ReplacementState,
};
use passerelle_tests::organism::read_inbox;
use passerelle_tests::organism_answers::{arl_text, ArlAnswer, ReturnMail};
use passerelle_tests::{Daemon, TestDir, TwoCards, READER_0, READER_1};
use rig::*;
use serde_json::{json, Value};

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
    // The FSE refused (made or signed) for the rules of the session, each its own line.
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
            "replacement_own_card",
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
