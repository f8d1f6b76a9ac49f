//! The daily emission and the send-by deadlines, on the daemon's movable clock (never by
//! waiting for the real time): `transmission.daily_at = "18:30"`, turned on by the rig's
//! application (`transmit` + `sign`). Past 18:30 with no verified CPS, nothing is signed
//! and the FSE wait; after the PIN is verified, the next day's run builds, signs and sends
//! the lots, which the organisms receive. A lot of old care dates is announced on the event
//! stream as overdue (`lot_deadline_near`).

mod common;

use std::time::Duration;

use common::transmission::{
    advance_clock, configure_mail, inboxes, mail_setup, outbox_settled, CAISSES,
};
use passerelle_billing::clock::{format_date, paris_date, paris_time};
use passerelle_billing::samples::{draft, ngap};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    DailySchedule, EventKind, FseBatchResponse, FseList, FseMode, FseStatus, InsuranceNature,
    LotList, SimulatedClockAdvance,
};
use passerelle_tests::{Backend, Daemon, Resume, SseClient, TestDir};
use serde_json::{json, Value};

const CPS: &str = "Passerelle lecteur simulé 1";

/// Creates `n` FSE (the three caisses in turn, a lot each: the sample people 0, 1 and 2
/// are of caisses 691, 751 and 201) on `day` and signs them with the CPS.
async fn signed_fse(daemon: &Daemon, day: &str, n: usize) {
    let drafts: Vec<_> = (0..n)
        .map(|i| {
            let mut d = draft(
                i % 3,
                day,
                InsuranceNature::Maladie,
                FseMode::SansVitale,
                vec![ngap("C", "1", &[])],
            );
            d.organism.caisse = CAISSES[i % 3].to_owned();
            d
        })
        .collect();
    let created: FseBatchResponse = daemon
        .post_json("/v1/fse", &json!({ "fse": drafts }))
        .await
        .unwrap();
    let ids: Vec<i64> = created
        .results
        .iter()
        .map(|r| r.fse.as_ref().unwrap().id)
        .collect();
    verify_pin(daemon).await;
    let _: Value = daemon
        .post_json("/v1/fse/sign", &json!({ "reader": CPS, "fse": ids }))
        .await
        .unwrap();
}

async fn verify_pin(daemon: &Daemon) {
    let path = format!("/v1/readers/{}/pin/verify", CPS.replace(' ', "%20"));
    let _: Value = daemon
        .post_json(&path, &json!({ "pin": "4729" }))
        .await
        .unwrap();
}

/// Pulls the CPS out and puts it back: its PIN is no longer verified.
async fn reinsert_cps(daemon: &Daemon) {
    let reader = CPS.replace(' ', "%20").replace('é', "%C3%A9");
    let out = daemon
        .client()
        .delete(daemon.url(&format!("/v1/simulator/cards/{reader}")))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let _: Value = daemon
        .post_json(
            "/v1/simulator/cards",
            &json!({ "reader": CPS, "card": "cps:durand-sage-femme" }),
        )
        .await
        .unwrap();
}

/// Moves the clock to one minute past the next 18:30, Paris time.
async fn past_half_past_six(daemon: &Daemon) -> SimulatedClockAdvance {
    let now: SimulatedClockAdvance = daemon
        .post_json("/v1/simulator/clock", &json!({ "seconds": 0 }))
        .await
        .unwrap();
    let now = time::OffsetDateTime::parse(
        now.now.as_deref().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let local = paris_time(now);
    let mut at = local.replace_time(time::macros::time!(18:31));
    if at <= local {
        at += time::Duration::days(1);
    }
    daemon
        .post_json(
            "/v1/simulator/clock",
            &json!({ "seconds": (at - local).whole_seconds() }),
        )
        .await
        .unwrap()
}

/// Polls the schedule until its report changes from `before`.
async fn next_report(daemon: &Daemon, before: Option<String>) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let s: DailySchedule = daemon.get_json("/v1/transmission/schedule").await.unwrap();
        if let Some(report) = s.last_report.clone().filter(|r| Some(r) != before.as_ref()) {
            return report;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{s:?}\n{}",
            daemon.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daily_emission_runs_on_the_movable_clock() {
    let dir = TestDir::new("the_daily_emission_runs_on_the_movable_clock");
    let setup = mail_setup(&dir);
    let config = setup.config.replace(
        "mode = \"test\"\n",
        "mode = \"test\"\ndaily_at = \"18:30\"\n",
    );
    let daemon = Daemon::start_with(&dir, Backend::Simulated, &config)
        .await
        .unwrap();
    configure_mail(&daemon, &setup.rig).await;
    let today = format_date(paris_date(SystemClock.now()));
    signed_fse(&daemon, &today, 6).await;
    reinsert_cps(&daemon).await;

    let off: DailySchedule = daemon.get_json("/v1/transmission/schedule").await.unwrap();
    assert_eq!(off.daily_at.as_deref(), Some("18:30"));
    assert!(off.grant_id.is_none() && off.next_run.is_none());
    let resp = daemon
        .client()
        .put(daemon.url("/v1/transmission/schedule"))
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let on: DailySchedule = resp.json().await.unwrap();
    assert!(on.grant_id.is_some() && on.next_run.is_some(), "{on:?}");

    // Past 18:30, no verified CPS: nothing signed, the FSE wait.
    past_half_past_six(&daemon).await;
    let report = next_report(&daemon, None).await;
    assert!(report.contains("Aucune CPS au code vérifié"), "{report}");
    let lots: LotList = daemon.get_json("/v1/lots").await.unwrap();
    assert!(lots.lots.is_empty());
    let fse: FseList = daemon.get_json("/v1/fse").await.unwrap();
    assert!(fse.fse.iter().all(|f| f.status == FseStatus::Signed));

    // The PIN verified, the next day's run builds, signs and sends.
    verify_pin(&daemon).await;
    past_half_past_six(&daemon).await;
    let report = next_report(&daemon, Some(report)).await;
    assert!(
        report.contains("3 lot(s) construit(s) et signé(s)"),
        "{report}"
    );
    assert!(report.contains("3 lot(s) mis en envoi"), "{report}");
    outbox_settled(&daemon, Duration::from_secs(60)).await;
    let got = inboxes(&setup, dir.path(), 3).await;
    assert!(got.values().all(|inbox| inbox.messages.len() == 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lot_past_its_send_by_date_is_announced() {
    let dir = TestDir::new("a_lot_past_its_send_by_date_is_announced");
    let daemon = Daemon::start_with(
        &dir,
        Backend::Simulated,
        "[simulator]\nmovable_clock = true\n",
    )
    .await
    .unwrap();
    let mut events = SseClient::connect(&daemon, Resume::None).await.unwrap();
    let old = format_date(paris_date(SystemClock.now()) - time::Duration::days(10));
    signed_fse(&daemon, &old, 1).await;
    let lots: LotList = daemon
        .post_json("/v1/lots", &json!({ "reader": CPS }))
        .await
        .unwrap();
    let lot = &lots.lots[0];
    let send_by = lot.send_by.clone().unwrap();
    assert!(send_by < format_date(SystemClock.today()), "{send_by}");
    advance_clock(&daemon, 1).await;
    let (event, _) = events
        .next_matching("lot_deadline_near", Duration::from_secs(70), |e| {
            matches!(e.data.kind, EventKind::LotDeadlineNear { .. })
        })
        .await
        .unwrap();
    match event.data.kind {
        EventKind::LotDeadlineNear {
            lot_id,
            send_by: by,
            overdue,
            ..
        } => {
            assert_eq!(
                (lot_id, by.as_str(), overdue),
                (lot.id, send_by.as_str(), true)
            );
        }
        other => panic!("{other:?}"),
    }
}
