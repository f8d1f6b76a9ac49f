//! Lot transmission end to end: a day of billing through the API with the cards behind the
//! real pcscd, the lots sent through a real Postfix to real Dovecot mailboxes, and a test
//! organism per caisse that reads its mailbox over IMAP, decrypts with `openssl cms`,
//! parses the B2 here and checks the lot signature with `openssl` — then the mail server
//! stopped and started, a 4xx then a success, a 5xx that needs attention.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use common::billing::{openssl_verifies, parse_b2};
use common::transmission::{
    advance_clock, configure_mail, configure_mail_with_cli, doctor, inboxes, lots_of_a_day,
    mail_setup, outbox_settled, send_all, FROM, MAIL_PASSWORD,
};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    AttemptReason, AttemptState, FseList, FseStatus, LotDetail, LotSignature, LotStatus,
    OutboxAttempt,
};
use passerelle_tests::mail::RecipientRule;
use passerelle_tests::{TestDir, TwoCards};
use serde_json::json;

const SETTLE: Duration = Duration::from_secs(60);

fn today() -> String {
    format_date(paris_date(SystemClock.now()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_day_of_billing_arrives_whole_at_each_organism() {
    let dir = TestDir::new("a_day_of_billing_arrives_whole_at_each_organism");
    let setup = mail_setup(&dir);
    let cards = TwoCards::start_with(
        &dir,
        "vitale:martin-famille",
        "cps:durand-sage-femme",
        &[],
        &setup.config,
    )
    .await
    .unwrap();
    let daemon = &cards.daemon;

    // Without mail settings, sending is refused at once and nothing is queued.
    let lots = lots_of_a_day(daemon, &today(), 4).await;
    assert_eq!(lots.len(), 3, "one lot per caisse: {lots:?}");
    let refused = daemon.post("/v1/lots/send", &json!({})).await.unwrap();
    common::expect_api_error(refused, 404, "mail_settings_not_found").await;

    configure_mail(daemon, &setup.rig).await;
    let sent = send_all(daemon).await;
    assert_eq!(sent.attempts.len(), 3);
    // Sending twice never queues twice.
    let again = daemon
        .post(&format!("/v1/lots/{}/send", lots[0].id), &json!({}))
        .await
        .unwrap();
    assert_eq!(again.status(), 202);
    let again: OutboxAttempt = again.json().await.unwrap();
    assert!(sent.attempts.iter().any(|a| a.id == again.id));

    let outbox = outbox_settled(daemon, SETTLE).await;
    assert!(
        outbox
            .attempts
            .iter()
            .all(|a| a.state == AttemptState::Sent),
        "{outbox:#?}"
    );
    let got = inboxes(&setup, dir.path(), 3).await;

    // Every FSE in exactly one lot, at the right organism, in test mode, signed.
    let created: FseList = daemon.get_json("/v1/fse").await.unwrap();
    let mut seen = BTreeSet::new();
    let b64 = base64::engine::general_purpose::STANDARD;
    for lot in &lots {
        let detail: LotDetail = daemon
            .get_json(&format!("/v1/lots/{}", lot.id))
            .await
            .unwrap();
        assert_eq!(detail.lot.status, LotStatus::Sent);
        assert_eq!(detail.attempts.len(), 1);
        let attempt = &detail.attempts[0];
        assert!(attempt
            .server_reply
            .as_deref()
            .is_some_and(|r| r.contains("queued as")));
        let inbox = &got[&lot.organism.caisse];
        assert_eq!(inbox.messages.len(), 1, "one message per lot");
        assert_eq!(inbox.repeats(), 0);
        let msg = inbox.messages.values().next().unwrap();
        assert_eq!(format!("<{}>", msg.message_id), attempt.message_id);
        assert_eq!(msg.description, "IRISTEST/B2");
        assert_eq!(msg.from, FROM);
        assert!(
            msg.subject.starts_with("IR000100/00000069312233/")
                && msg.subject.ends_with(&format!("/{:05}", lot.invoice_count)),
            "{}",
            msg.subject
        );
        let (organism, invoices, total, _amo) = parse_b2(&msg.b2);
        assert_eq!(organism, format!("01{}0001", lot.organism.caisse));
        assert_eq!(total, lot.total_cents);
        let signature: LotSignature = daemon
            .get_json(&format!("/v1/lots/{}/signature", lot.id))
            .await
            .unwrap();
        assert_eq!(msg.certificate, b64.decode(&signature.certificate).unwrap());
        openssl_verifies(
            &dir,
            &format!("lot-{}", lot.number),
            &msg.b2,
            &msg.signature,
            &msg.certificate,
        );
        for number in invoices.keys() {
            assert!(seen.insert(number.clone()), "FSE {number} in two lots");
            let fse = created.fse.iter().find(|f| &f.number == number).unwrap();
            assert_eq!(fse.organism.caisse, lot.organism.caisse);
        }
    }
    assert_eq!(seen.len(), created.fse.len(), "every FSE arrived");
    let after: FseList = daemon.get_json("/v1/fse").await.unwrap();
    assert!(after.fse.iter().all(|f| f.status == FseStatus::Sent));

    // The doctor reaches both servers (no mail sent) and finds the organisms' certificates.
    let found = doctor(daemon).await;
    for check in [
        "mail.smtp:69312233",
        "mail.imap:69312233",
        "mail.organism:01/691/*",
    ] {
        assert_eq!(found[check].0, "ok", "{check}: {found:?}");
    }
    assert_eq!(setup.rig.accepted_count(), 3, "the doctor sent nothing");

    // The password is in no answer and no audit line.
    let settings = daemon
        .client()
        .get(daemon.url("/v1/mail"))
        .send()
        .await
        .unwrap();
    let text = settings.text().await.unwrap();
    assert!(text.contains("\"password_set\":true") && !text.contains(MAIL_PASSWORD));
    let audit = daemon
        .client()
        .get(daemon.url("/v1/audit"))
        .send()
        .await
        .unwrap();
    let audit = audit.text().await.unwrap();
    assert!(audit.contains("mail_settings_changed") && !audit.contains(MAIL_PASSWORD));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_mail_server_down_then_up_delivers_everything_once() {
    let dir = TestDir::new("the_mail_server_down_then_up_delivers_everything_once");
    let mut setup = mail_setup(&dir);
    let cards = TwoCards::start_with(
        &dir,
        "vitale:nguyen",
        "cps:durand-sage-femme",
        &[],
        &setup.config,
    )
    .await
    .unwrap();
    let daemon = &cards.daemon;
    // The command line this time: `passerelle mail set`, `lots send`, `lots outbox`.
    let set = configure_mail_with_cli(daemon, &setup.rig).await;
    assert!(set.contains("mot de passe enregistré"), "{set}");
    let lots = lots_of_a_day(daemon, &today(), 2).await;
    setup.rig.stop().unwrap();
    let out = daemon.cli(&["lots", "send"]).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.lines().count() == 3, "{text}");
    // Each mailbox's first attempt fails temporarily and waits; none is given up.
    let waiting = wait_outbox(daemon, |o| {
        o.iter()
            .any(|a| a.state == AttemptState::Queued && a.last_error.is_some())
    })
    .await;
    let failed = waiting.iter().find(|a| a.last_error.is_some()).unwrap();
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap()
            .contains("injoignable"),
        "{failed:?}"
    );
    assert!(waiting.iter().all(|a| a.state != AttemptState::Failed));
    let out = daemon.cli(&["lots", "outbox"]).await.unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("en attente d'un nouvel essai"), "{text}");
    let found = doctor(daemon).await;
    let (verdict, message) = &found["mail.smtp:69312233"];
    assert_eq!(verdict, "problem");
    assert!(message.contains("injoignable"), "{message}");
    setup.rig.start().unwrap();
    advance_clock(daemon, 3600).await;
    let outbox = outbox_settled(daemon, SETTLE).await;
    assert!(outbox
        .attempts
        .iter()
        .all(|a| a.state == AttemptState::Sent));
    let got = inboxes(&setup, dir.path(), lots.len()).await;
    for lot in &lots {
        let inbox = &got[&lot.organism.caisse];
        assert_eq!(inbox.messages.len(), 1, "caisse {}", lot.organism.caisse);
        assert_eq!(inbox.repeats(), 0, "delivered once");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_4xx_is_tried_again_and_a_5xx_needs_attention() {
    let dir = TestDir::new("a_4xx_is_tried_again_and_a_5xx_needs_attention");
    let setup = mail_setup(&dir);
    let cards = TwoCards::start_with(
        &dir,
        "vitale:nguyen",
        "cps:durand-sage-femme",
        &[],
        &setup.config,
    )
    .await
    .unwrap();
    let daemon = &cards.daemon;
    configure_mail(daemon, &setup.rig).await;
    let lots = lots_of_a_day(daemon, &today(), 1).await;
    let by_caisse: BTreeMap<&str, i64> = lots
        .iter()
        .map(|l| (l.organism.caisse.as_str(), l.id))
        .collect();
    let (lyon, paris) = (&setup.organisms["691"], &setup.organisms["751"]);
    setup
        .rig
        .set_recipient_rule(&lyon.address, RecipientRule::Defer)
        .unwrap();
    setup
        .rig
        .set_recipient_rule(&paris.address, RecipientRule::Reject)
        .unwrap();
    // Attempts go in order, one at a time per practitioner mailbox: Paris (refused for good,
    // which does not hold the others up) first, then Lyon (deferred: what comes after it
    // waits behind it).
    for caisse in ["751", "691"] {
        let resp = daemon
            .post(&format!("/v1/lots/{}/send", by_caisse[caisse]), &json!({}))
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
    }
    let detail = |id: i64| async move {
        daemon
            .get_json::<LotDetail>(&format!("/v1/lots/{id}"))
            .await
            .unwrap()
    };
    wait_outbox(daemon, |o| {
        o.iter().any(|a| a.state == AttemptState::Failed)
            && o.iter()
                .any(|a| a.state == AttemptState::Queued && a.tries > 0)
    })
    .await;
    let deferred = detail(by_caisse["691"]).await;
    assert_eq!(deferred.lot.status, LotStatus::Sending);
    assert!(deferred.attempts[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("450"));
    let refused = detail(by_caisse["751"]).await;
    assert_eq!(refused.lot.status, LotStatus::NeedsAttention);
    assert_eq!(refused.attempts[0].state, AttemptState::Failed);
    assert!(refused.attempts[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("550"));

    // Lyon accepts again: the deferred lot goes at its next try; Paris is not retried.
    setup
        .rig
        .set_recipient_rule(&lyon.address, RecipientRule::Accept)
        .unwrap();
    let rejected_before = setup.rig.postfix_log().matches(&paris.address).count();
    advance_clock(daemon, 3600).await;
    wait_outbox(daemon, |o| o.iter().any(|a| a.state == AttemptState::Sent)).await;
    advance_clock(daemon, 24 * 3600).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        detail(by_caisse["751"]).await.attempts.len(),
        1,
        "no retry loop"
    );
    assert_eq!(
        setup.rig.postfix_log().matches(&paris.address).count(),
        rejected_before,
        "nothing more was tried for Paris"
    );
    // Once the cause is dealt with, sending again is a new attempt of the same lot.
    setup
        .rig
        .set_recipient_rule(&paris.address, RecipientRule::Accept)
        .unwrap();
    let resp = daemon
        .post(&format!("/v1/lots/{}/send", by_caisse["751"]), &json!({}))
        .await
        .unwrap();
    let retry: OutboxAttempt = resp.json().await.unwrap();
    assert_eq!((retry.attempt, retry.reason), (2, AttemptReason::Retry));
    outbox_settled(daemon, SETTLE).await;
    assert_eq!(detail(by_caisse["751"]).await.lot.status, LotStatus::Sent);
    let got = inboxes(&setup, dir.path(), 2).await;
    assert_eq!(got["751"].messages.len(), 1);
    assert_eq!(got["691"].messages.len(), 1);
}

/// Polls the outbox (30 s at most) until `done` holds; the attempts then.
async fn wait_outbox(
    daemon: &passerelle_tests::Daemon,
    done: impl Fn(&[OutboxAttempt]) -> bool,
) -> Vec<OutboxAttempt> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let outbox: passerelle_protocol::OutboxList = daemon.get_json("/v1/outbox").await.unwrap();
        if done(&outbox.attempts) {
            return outbox.attempts;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{outbox:#?}\n{}",
            daemon.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
