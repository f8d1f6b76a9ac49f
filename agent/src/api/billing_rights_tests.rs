use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};
use time::macros::datetime;

use crate::api::billing::tests::{call, client, json_of};
use passerelle_billing::samples::{draft, ngap};
use passerelle_billing::FixedClock;
use passerelle_protocol::{FseMode, InsuranceNature, RightsRef, Scope};
use passerelle_simcard::backend::SimBackend;
use passerelle_simcard::fixtures::card_from_spec;

const DAY: &str = "2026-11-30";

/// A simulated Vitale (`spec`) in reader `V`, the midwife's CPS in reader `P`.
fn readers(spec: &str) -> SimBackend {
    SimBackend::new(vec![
        ("V".into(), Some(card_from_spec(spec).unwrap())),
        (
            "P".into(),
            Some(card_from_spec("cps:durand-sage-femme").unwrap()),
        ),
    ])
}

async fn until_cards(app: &axum::Router) {
    for _ in 0..100 {
        let (_, r) = call(app, "GET", "/v1/readers", None, None).await;
        let r = json_of(&r);
        if r["readers"]
            .as_array()
            .is_some_and(|l| l.len() == 2 && l.iter().all(|x| x["card"]["kind"].is_string()))
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the simulated cards never showed up");
}

fn fse(body: &Value) -> &Value {
    &body["results"][0]
}

#[tokio::test(flavor = "multi_thread")]
async fn fse_rights_come_from_the_card_read_or_the_online_answer() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-11-30 10:00 UTC)));
    let scopes = vec![Scope::ReadCards, Scope::Prepare, Scope::Sign];
    let (app, _) = client(dir.path(), readers("vitale:nguyen"), clock, scopes).await;
    until_cards(&app).await;
    // Maternity, sécurisée, naming the Nguyen card (serial 4098765432).
    let mut d = draft(
        0,
        DAY,
        InsuranceNature::Maternite,
        FseMode::Securisee,
        vec![ngap("SF", "12", &[])],
    );
    let post = |d: &passerelle_protocol::FseDraft| json!({ "fse": [d] });
    // Not read yet: the daemon has no rights to fill in.
    let (_, body) = call(&app, "POST", "/v1/fse", None, Some(post(&d))).await;
    assert_eq!(
        fse(&json_of(&body))["error"]["code"],
        "rights_reference_unknown"
    );
    // Read without the CPS PIN: still no rights.
    call(&app, "GET", "/v1/readers/V/vitale", None, None).await;
    let (_, body) = call(&app, "POST", "/v1/fse", None, Some(post(&d))).await;
    let e = json_of(&body);
    assert_eq!(fse(&e)["error"]["code"], "rights_reference_unknown");
    assert!(
        fse(&e)["error"]["message"]
            .as_str()
            .unwrap()
            .contains("PIN"),
        "{e}"
    );
    // PIN verified, card read again: the FSE takes its rights from the read.
    let (status, _) = call(
        &app,
        "POST",
        "/v1/readers/P/pin/verify",
        None,
        Some(json!({ "pin": "4729" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    call(&app, "GET", "/v1/readers/V/vitale?refresh=true", None, None).await;
    let (_, body) = call(&app, "POST", "/v1/fse", None, Some(post(&d))).await;
    let made = json_of(&body);
    let made = &fse(&made)["fse"];
    assert_eq!(made["rights"]["origin"], "vitale", "{made}");
    assert_eq!(made["rights"]["card_serial"], "4098765432");
    assert_eq!(made["rights"]["rights"]["caisse"], "691");
    assert_eq!(
        (
            made["coverage_rate"].clone(),
            made["amounts"]["patient_cents"].clone()
        ),
        (json!(100), json!(0))
    );
    // Another caisse than the card's is refused.
    d.organism.caisse = "751".into();
    let (_, body) = call(&app, "POST", "/v1/fse", None, Some(post(&d))).await;
    assert_eq!(
        fse(&json_of(&body))["error"]["code"],
        "rights_organism_mismatch"
    );

    // ApCV: the online answer's reference.
    let token = json!({ "apcv_token": "APCV-TEST-4098765432" });
    let (_, answer) = call(&app, "POST", "/v1/rights", None, Some(token)).await;
    let reference = json_of(&answer)["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("apcv-"), "{reference}");
    d.organism.caisse = "691".into();
    d.rights = Some(RightsRef::Online { reference });
    let (_, body) = call(&app, "POST", "/v1/fse", None, Some(post(&d))).await;
    let made = json_of(&body);
    assert_eq!(fse(&made)["fse"]["rights"]["origin"], "apcv", "{made}");
    assert_eq!(fse(&made)["fse"]["rights"]["modelled"], true);
    d.rights = Some(RightsRef::Online {
        reference: "apcv-0000000000000000".into(),
    });
    let (_, body) = call(&app, "POST", "/v1/fse", None, Some(post(&d))).await;
    assert_eq!(
        fse(&json_of(&body))["error"]["code"],
        "rights_reference_unknown"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn prepare_creates_and_deletes_drafts_but_never_signs() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-11-30 10:00 UTC)));
    let (app, billing) = client(
        dir.path(),
        SimBackend::new(vec![]),
        clock,
        vec![Scope::Prepare],
    )
    .await;
    let d = draft(
        1,
        DAY,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("C", "1", &["MSF"])],
    );
    let (_, body) = call(
        &app,
        "POST",
        "/v1/fse",
        None,
        Some(json!({ "fse": [d, d] })),
    )
    .await;
    let body = json_of(&body);
    let ids: Vec<i64> = (0..2)
        .map(|i| body["results"][i]["fse"]["id"].as_i64().unwrap())
        .collect();
    let (status, e) = call(
        &app,
        "POST",
        "/v1/fse/sign",
        None,
        Some(json!({ "reader": "P", "fse": ids })),
    )
    .await;
    assert_eq!(
        (status, json_of(&e)["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("scope_missing"))
    );
    let (status, e) = call(
        &app,
        "POST",
        "/v1/lots",
        None,
        Some(json!({ "reader": "P" })),
    )
    .await;
    assert_eq!(
        (status, json_of(&e)["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("scope_missing"))
    );
    let (status, _) = call(&app, "DELETE", &format!("/v1/fse/{}", ids[0]), None, None).await;
    assert_eq!(status, StatusCode::OK, "a draft");
    // Signed meanwhile by the practitioner: only a client that may sign deletes it.
    let signer = crate::api::billing::tests::fixture_signer(
        "durand-sage-femme",
        passerelle_billing::SignerIdentity::of(
            passerelle_protocol::CardKind::Cps,
            &passerelle_billing::samples::durand(),
            true,
            true,
        ),
    )
    .unwrap();
    let id = ids[1];
    tokio::task::spawn_blocking(move || billing.sign_fse_batch(&signer, &[id]).unwrap())
        .await
        .unwrap();
    let (status, e) = call(&app, "DELETE", &format!("/v1/fse/{id}"), None, None).await;
    assert_eq!(
        (status, json_of(&e)["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("scope_missing"))
    );
}
