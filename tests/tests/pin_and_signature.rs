//! The CPS PIN, the Vitale rights and signatures through the API, the cards behind the
//! real pcscd: tries 3 → 2 → 1 → blocked, one VERIFY per request, unblocking, a signature
//! checked by `openssl` against the card's certificate, the protected zone opened by the
//! verified CPS, and a card pulled out at every APDU of each operation.

mod common;

use std::time::Duration;

use base64::Engine;
use common::{expect_api_error, route, wait_card};
use passerelle_protocol::{CardSignature, CpxCard, PinStatus, PinVerified, VitaleCard};
use passerelle_tests::{Daemon, Simcard, TestDir, TwoCards, READER_0, READER_1};
use serde_json::json;
use sha2::Digest;

const WAIT: Duration = Duration::from_secs(10);
const DURAND_PIN: &str = "4729";
const DURAND_PUK: &str = "20462913";
/// The VERIFY header as the simulated card logs it (its data masked).
const VERIFY: &str = "00 20 00 81 [PIN masqué]";

async fn verify(daemon: &Daemon, pin: &str) -> reqwest::Response {
    daemon
        .post(&route(READER_1, "pin/verify"), &json!({ "pin": pin }))
        .await
        .unwrap()
}

/// Checks `signature` of `data` with `openssl dgst -verify` against the public key of
/// the DER certificate, as a third party would.
fn openssl_verifies(dir: &TestDir, data: &[u8], signed: &CardSignature) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (data_path, sig_path, cert_path, key_path) = (
        dir.file("signed.bin"),
        dir.file("signature.bin"),
        dir.file("certificate.der"),
        dir.file("public.pem"),
    );
    std::fs::write(&data_path, data).unwrap();
    std::fs::write(&sig_path, b64.decode(&signed.signature).unwrap()).unwrap();
    std::fs::write(&cert_path, b64.decode(&signed.certificate).unwrap()).unwrap();
    let pubkey = std::process::Command::new("openssl")
        .args(["x509", "-inform", "der", "-pubkey", "-noout", "-in"])
        .arg(&cert_path)
        .output()
        .expect("openssl (scripts/install-test-deps)");
    assert!(pubkey.status.success(), "{pubkey:?}");
    std::fs::write(&key_path, &pubkey.stdout).unwrap();
    let check = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&key_path)
        .arg("-signature")
        .arg(&sig_path)
        .arg(&data_path)
        .output()
        .unwrap();
    eprintln!("openssl: {}", String::from_utf8_lossy(&check.stdout).trim());
    check.status.success() && check.stdout.starts_with(b"Verified OK")
}

async fn sign(daemon: &Daemon, data: &[u8]) -> reqwest::Response {
    let digest = hex::encode(sha2::Sha256::digest(data));
    daemon
        .post(
            &route(READER_1, "signature"),
            &json!({ "digest_sha256": digest }),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn pin_tries_rights_signature_blocking_and_unblocking() {
    let dir = TestDir::new("pin_tries_rights_signature_blocking_and_unblocking");
    let TwoCards {
        pcscd: _pcscd,
        daemon,
        vitale: _vitale,
        cpx: cps,
    } = TwoCards::start(&dir, "vitale:martin-famille", "cps:durand-sage-femme")
        .await
        .unwrap();

    let status: PinStatus = daemon.get_json(&route(READER_1, "pin")).await.unwrap();
    assert_eq!(
        (status.tries_left, status.verified, status.blocked),
        (3, false, false)
    );
    assert!(!status.secure_pin_entry, "vpcd readers have no PIN pad");

    // Without the PIN: no signature, no rights.
    expect_api_error(sign(&daemon, b"x").await, 403, "pin_required").await;
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert!(card.rights.is_none());
    assert!(card.rights_unavailable.unwrap().contains("code PIN"));

    // Wrong PIN: 3 → 2 → 1, one VERIFY per request.
    for (before, after) in [(3, 2), (2, 1)] {
        let sent = cps.commands_seen(VERIFY);
        let e = expect_api_error(verify(&daemon, "0000").await, 403, "pin_incorrect").await;
        let details = e.error.details.unwrap();
        assert_eq!(
            (
                details["tries_before"].as_u64(),
                details["tries_left"].as_u64()
            ),
            (Some(before), Some(after))
        );
        assert!(e.error.message.contains(&format!("{after} essai")));
        assert_eq!(cps.commands_seen(VERIFY), sent + 1, "exactly one VERIFY");
    }
    expect_api_error(
        daemon
            .post(&route(READER_1, "pin/verify"), &json!({ "pin": "12a4" }))
            .await
            .unwrap(),
        400,
        "invalid_pin_format",
    )
    .await;
    let ok: PinVerified = daemon
        .post_json(
            &route(READER_1, "pin/verify"),
            &json!({ "pin": DURAND_PIN }),
        )
        .await
        .unwrap();
    assert_eq!((ok.tries_before, ok.tries_left), (1, 3));

    // The verified CPS opens the Vitale protected zone: the card is read again, with rights.
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let rights = card.rights.expect("rights with a verified CPS");
    assert_eq!(
        (rights.regime.as_str(), rights.caisse.as_str()),
        ("01", "751")
    );
    assert!(card.rights_unavailable.is_none());

    // Two signatures: the PIN-verified state holds between requests (LeaveCard).
    let cpx: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
    for data in [&b"lot 001 de Mme Durand"[..], b"lot 002"] {
        let resp = sign(&daemon, data).await;
        assert_eq!(resp.status(), 200);
        let signed: CardSignature = resp.json().await.unwrap();
        assert_eq!(signed.card_serial, cpx.serial);
        assert!(openssl_verifies(&dir, data, &signed), "openssl must verify");
        assert!(!openssl_verifies(&dir, b"other data", &signed));
    }

    // The audit log has each PIN verification and signature, with the card serial, and
    // never a PIN.
    let audit: passerelle_protocol::AuditPage =
        daemon.get_json("/v1/audit?limit=1000").await.unwrap();
    let of = |action: &str| {
        audit
            .entries
            .iter()
            .filter(|e| e.action == action)
            .collect::<Vec<_>>()
    };
    let verifications = of("pin_verification");
    assert_eq!(
        verifications.len(),
        4,
        "two wrong PINs, a malformed one, the right one"
    );
    assert!(verifications
        .iter()
        .all(|e| e.actor.card_serial.as_deref() == Some(cpx.serial.as_str())));
    assert_eq!(verifications[3].details["verified"], true);
    assert_eq!(verifications[2].details["verified"], false);
    assert_eq!(
        of("signature").len(),
        3,
        "one refused without PIN, two made"
    );
    // (The hashes are hex and may hold any 4 digits: who and what are searched.)
    for e in &audit.entries {
        let text = format!("{} {}", serde_json::to_string(&e.actor).unwrap(), e.details);
        assert!(
            !text.contains(DURAND_PIN) && !text.contains("\"0000\"") && !text.contains("12a4"),
            "no PIN in the audit: {text}"
        );
    }

    // Three wrong PINs: blocked, and the right PIN is then never sent.
    for (code, status) in [
        ("pin_incorrect", 403),
        ("pin_incorrect", 403),
        ("pin_blocked", 423),
    ] {
        expect_api_error(verify(&daemon, "0000").await, status, code).await;
    }
    let status: PinStatus = daemon.get_json(&route(READER_1, "pin")).await.unwrap();
    assert!(status.blocked && status.tries_left == 0 && !status.verified);
    let sent = cps.commands_seen(VERIFY);
    let e = expect_api_error(verify(&daemon, DURAND_PIN).await, 423, "pin_blocked").await;
    assert!(e.error.message.contains("code de déblocage"), "{e:?}");
    assert_eq!(
        cps.commands_seen(VERIFY),
        sent,
        "no VERIFY to a blocked card"
    );
    expect_api_error(sign(&daemon, b"x").await, 403, "pin_required").await;

    // Unblock with the unblock code and a new PIN.
    expect_api_error(
        daemon
            .post(
                &route(READER_1, "pin/unblock"),
                &json!({ "unblock_code": "00000000", "new_pin": "2468" }),
            )
            .await
            .unwrap(),
        403,
        "unblock_code_incorrect",
    )
    .await;
    let status: PinStatus = daemon
        .post_json(
            &route(READER_1, "pin/unblock"),
            &json!({ "unblock_code": DURAND_PUK, "new_pin": "2468" }),
        )
        .await
        .unwrap();
    assert_eq!((status.tries_left, status.blocked), (3, false));
    let _: PinVerified = daemon
        .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "2468" }))
        .await
        .unwrap();
}

/// Pulls the card of `sim` out after `k` more APDUs, runs `operation`, expects a clean
/// error, puts the card back and waits until the daemon sees it again.
async fn pull_during<F, Fut>(
    daemon: &Daemon,
    sim: &mut Simcard,
    reader: &str,
    k: usize,
    operation: F,
) where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = reqwest::Response>,
{
    let ack = if k == 0 { "removed" } else { "armed" };
    sim.do_and_wait(&format!("remove-after {k}"), ack)
        .await
        .unwrap();
    let resp = operation().await;
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body: passerelle_protocol::ApiError = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("k={k}: not a JSON error ({e}): {status} {text}"));
    assert!(
        ["card_error", "no_card", "reader_not_found"].contains(&body.error.code.as_str()),
        "k={k}: {status} {body:?}"
    );
    assert!(
        status == 502 || status == 409 || status == 404,
        "k={k}: {status}"
    );
    if k > 0 {
        sim.wait_line("removed", WAIT).await.unwrap();
    }
    wait_card(daemon, reader, false).await;
    sim.do_and_wait("insert", "inserted").await.unwrap();
    wait_card(daemon, reader, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_pulled_out_at_every_apdu_burns_no_try_and_caches_nothing() {
    let dir = TestDir::new("a_card_pulled_out_at_every_apdu_burns_no_try_and_caches_nothing");
    let TwoCards {
        pcscd: _pcscd,
        daemon,
        mut vitale,
        cpx: mut cps,
    } = TwoCards::start(&dir, "vitale:nguyen", "cps:lefevre-medecin")
        .await
        .unwrap();
    let c = daemon.client();

    // PIN verification (SELECT, GET DATA, VERIFY), with a wrong PIN: after each pull the
    // card still has its 3 tries (the daemon never sent a VERIFY it did not report).
    for k in 0..3 {
        pull_during(&daemon, &mut cps, READER_1, k, || verify(&daemon, "0000")).await;
        let status: PinStatus = daemon.get_json(&route(READER_1, "pin")).await.unwrap();
        assert_eq!(status.tries_left, 3, "k={k}: no try burnt");
    }

    // Reading the CPS: every APDU of the read.
    let full: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
    let read_apdus = {
        let before = cps.commands_seen("");
        let _: CpxCard = daemon
            .get_json(&format!("{}?refresh=true", route(READER_1, "cpx")))
            .await
            .unwrap();
        cps.commands_seen("") - before
    };
    assert!(read_apdus >= 8, "{read_apdus}");
    for k in 0..read_apdus {
        let url = daemon.url(&format!("{}?refresh=true", route(READER_1, "cpx")));
        pull_during(&daemon, &mut cps, READER_1, k, || async {
            c.get(&url).send().await.unwrap()
        })
        .await;
        let again: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
        assert_eq!(again, full, "k={k}: nothing cached from a half read");
    }

    // Reading the Vitale: every APDU of the read.
    let full: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let read_apdus = {
        let before = vitale.commands_seen("");
        let _: VitaleCard = daemon
            .get_json(&format!("{}?refresh=true", route(READER_0, "vitale")))
            .await
            .unwrap();
        vitale.commands_seen("") - before
    };
    assert!(read_apdus >= 5, "{read_apdus}");
    for k in 0..read_apdus {
        let url = daemon.url(&format!("{}?refresh=true", route(READER_0, "vitale")));
        pull_during(&daemon, &mut vitale, READER_0, k, || async {
            c.get(&url).send().await.unwrap()
        })
        .await;
        let again: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
        assert_eq!(again, full, "k={k}: nothing cached from a half read");
    }

    // A signature (SELECT, MSE SET, PSO), the PIN verified before each attempt.
    for k in 0..3 {
        let _: PinVerified = daemon
            .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "8153" }))
            .await
            .unwrap();
        assert_eq!(sign(&daemon, b"warm-up").await.status(), 200);
        pull_during(&daemon, &mut cps, READER_1, k, || sign(&daemon, b"x")).await;
        let status: PinStatus = daemon.get_json(&route(READER_1, "pin")).await.unwrap();
        assert_eq!((status.tries_left, status.verified), (3, false), "k={k}");
        expect_api_error(sign(&daemon, b"x").await, 403, "pin_required").await;
    }
}
