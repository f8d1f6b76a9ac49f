//! The CPS pulled out at each APDU of a batch signature and of a lot build, through the
//! real pcscd: the API answers the card's own error (never another 5xx), an FSE is signed
//! in the store exactly when the answer said so, and a failed lot build keeps no lot and
//! consumes no lot number.

mod common;

use std::time::Duration;

use common::billing::accepted;
use common::{route, wait_card};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{unread, varied};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{ApiError, Fse, FseSignResponse, FseStatus, LotList};
use passerelle_tests::{Backend, Daemon, PcscdRig, Simcard, TestDir, READER_1, VPCD_PORT_1};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
/// What a card pulled out may be answered with.
const CARD_GONE: [&str; 4] = ["card_error", "no_card", "reader_not_found", "pin_required"];

/// Puts the card back, verifies the PIN, and has the daemon read the card and its
/// certificate again, so the next call's APDUs are only the PIN state and the signatures.
async fn ready(daemon: &Daemon, cps: &mut Simcard) {
    wait_card(daemon, READER_1, false).await;
    cps.do_and_wait("insert", "inserted").await.unwrap();
    wait_card(daemon, READER_1, true).await;
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let _: Value = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
    let digest = json!({ "digest_sha256": "00".repeat(32) });
    let _: Value = daemon
        .post_json(&route(READER_1, "signature"), &digest)
        .await
        .unwrap();
}

/// Arms the card to leave after `k` more APDUs, then sends `body` to `path`.
async fn pulled_after(
    daemon: &Daemon,
    cps: &mut Simcard,
    k: usize,
    path: &str,
    body: &Value,
) -> (u16, String) {
    let ack = if k == 0 { "removed" } else { "armed" };
    cps.do_and_wait(&format!("remove-after {k}"), ack)
        .await
        .unwrap();
    let resp = daemon.post(path, body).await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    if status != 200 {
        let e: ApiError = serde_json::from_str(&text).unwrap();
        assert!(CARD_GONE.contains(&e.error.code.as_str()), "k={k}: {text}");
        assert!(
            status < 500 || e.error.code.as_str() == "card_error",
            "k={k}: {text}"
        );
    }
    if k > 0 {
        cps.wait_line("removed", WAIT).await.unwrap();
    }
    (status, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cps_pulled_out_while_signing_keeps_the_store_true() {
    let dir = TestDir::new("a_cps_pulled_out_while_signing_keeps_the_store_true");
    let _pcscd = PcscdRig::start(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, "cps:durand-sage-femme", &[]).unwrap();
    cps.wait_line("inserted", WAIT).await.unwrap();
    cps.do_and_wait("remove", "removed").await.unwrap();
    let day = format_date(paris_date(SystemClock.now()));

    // Two FSE signed per call; the card leaves at each APDU of the call.
    for k in 0..=8 {
        ready(&daemon, &mut cps).await;
        let drafts = [
            unread(varied(3 * k + 2, &day)),
            unread(varied(3 * k + 4, &day)),
        ];
        let made = accepted(
            &daemon
                .post_json("/v1/fse", &json!({ "fse": drafts }))
                .await
                .unwrap(),
        );
        let ids: Vec<i64> = made.iter().map(|f| f.id).collect();
        let body = json!({ "reader": READER_1, "fse": ids });
        let (status, text) = pulled_after(&daemon, &mut cps, k, "/v1/fse/sign", &body).await;
        let said_signed: Vec<bool> = if status == 200 {
            let r: FseSignResponse = serde_json::from_str(&text).unwrap();
            r.results
                .iter()
                .map(|o| match (&o.fse, &o.error) {
                    (Some(f), _) => f.status == FseStatus::Signed,
                    (None, Some(e)) => {
                        assert!(CARD_GONE.contains(&e.code.as_str()), "k={k}: {text}");
                        false
                    }
                    _ => panic!("k={k}: empty outcome {text}"),
                })
                .collect()
        } else {
            vec![false; ids.len()]
        };
        for (id, signed) in ids.iter().zip(said_signed) {
            let fse: Fse = daemon.get_json(&format!("/v1/fse/{id}")).await.unwrap();
            let expected = if signed {
                FseStatus::Signed
            } else {
                FseStatus::Draft
            };
            assert_eq!(fse.status, expected, "k={k}: FSE {id}");
        }
        eprintln!("k={k}: {status} {}", &text[..text.len().min(160)]);
    }

    // Sign what is left, then build lots (two organisms: two signatures) with the card
    // leaving at each APDU: nothing kept, no number consumed.
    ready(&daemon, &mut cps).await;
    let drafts: Vec<Fse> = daemon
        .get_json::<passerelle_protocol::FseList>("/v1/fse?status=draft")
        .await
        .unwrap()
        .fse;
    let ids: Vec<i64> = drafts.iter().map(|f| f.id).collect();
    let _: FseSignResponse = daemon
        .post_json("/v1/fse/sign", &json!({ "reader": READER_1, "fse": ids }))
        .await
        .unwrap();
    let lot_body = json!({ "reader": READER_1 });
    for k in 0..=8 {
        if k > 0 {
            ready(&daemon, &mut cps).await;
        }
        let (status, text) = pulled_after(&daemon, &mut cps, k, "/v1/lots", &lot_body).await;
        assert_ne!(status, 200, "k={k}: {text}");
        let lots: LotList = daemon.get_json("/v1/lots").await.unwrap();
        assert!(
            lots.lots.is_empty(),
            "k={k}: a lot kept after a failed build"
        );
    }
    ready(&daemon, &mut cps).await;
    let lots: LotList = daemon.post_json("/v1/lots", &lot_body).await.unwrap();
    let numbers: Vec<&str> = lots.lots.iter().map(|l| l.number.as_str()).collect();
    assert!(numbers.len() >= 2, "{numbers:?}");
    assert_eq!(
        numbers[..2],
        ["001", "002"],
        "no number consumed by the failures"
    );
}
