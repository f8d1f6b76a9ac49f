//! A day of a midwife through the API, the cards behind the real pcscd: the secretary's
//! CPE prepares FSE (and is refused when it tries to sign), the midwife's CPS signs them in
//! one go (signature désynchronisée) with its PIN verified, FSE in every mode (sécurisée
//! from the Vitale read, dégradée, sans Vitale), lots per organism, each B2 parsed here
//! (128-character records, totals = the invoices) and each lot signature checked by
//! `openssl` against the CPS certificate; each refusal rule with its own code.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use base64::Engine;
use common::billing::{accepted, from_vitale, json_of, openssl_verifies, parse_b2, post_keyed};
use common::{expect_api_error, route, wait_card};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{ccam, draft, ngap};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    CardSignature, Fse, FseBatchResponse, FseList, FseMode, FseSignResponse, FseStatus,
    InsuranceNature, LotList, LotSignature, VitaleCard,
};
use passerelle_tests::{
    Backend, Daemon, PcscdRig, Simcard, TestDir, READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1,
};
use serde_json::{json, Value};
use sha2::Digest;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread")]
async fn a_day_of_a_midwife_through_the_api() {
    let dir = TestDir::new("a_day_of_a_midwife_through_the_api");
    let _pcscd = PcscdRig::start(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", &[]).unwrap();
    let mut cpx = Simcard::start(&dir, VPCD_PORT_1, "cpe:petit-secretaire", &[]).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    cpx.wait_line("inserted", WAIT).await.unwrap();
    wait_card(&daemon, READER_0, true).await;
    wait_card(&daemon, READER_1, true).await;
    let today = paris_date(SystemClock.now());
    let (day, tomorrow) = (format_date(today), format_date(today.next_day().unwrap()));

    // Morning: the secretary's CPE (PIN verified) reads the Vitale and prepares FSE.
    let pin = |p: &str| json!({ "pin": p });
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &pin("6081"))
        .await
        .unwrap();
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let mut prepared = vec![
        from_vitale(&card, &day),
        draft(
            0,
            &day,
            InsuranceNature::Maternite,
            FseMode::Degradee,
            vec![ccam("JQQM018")],
        ),
        draft(
            2,
            &day,
            InsuranceNature::Maladie,
            FseMode::SansVitale,
            vec![ngap("C", "1", &[])],
        ),
    ];
    prepared
        .iter_mut()
        .for_each(|d| d.deferred_signature = true);
    let created = accepted(
        &json_of(post_keyed(&daemon, "/v1/fse", "matin", &json!({ "fse": prepared })).await).await,
    );
    assert!(created[1].needs_paper_copy && created.iter().all(|f| f.status == FseStatus::Draft));
    let again = accepted(
        &json_of(post_keyed(&daemon, "/v1/fse", "matin", &json!({ "fse": prepared })).await).await,
    );
    assert_eq!(again, created, "a retried creation gives the same FSE");
    let ids: Vec<i64> = created.iter().map(|f| f.id).collect();

    // The CPE may neither sign FSE nor build lots.
    let sign_body = |ids: &[i64]| json!({ "reader": READER_1, "fse": ids });
    let lot_body = json!({ "reader": READER_1, "situation": 0 });
    expect_api_error(
        daemon.post("/v1/fse/sign", &sign_body(&ids)).await.unwrap(),
        403,
        "signer_not_allowed",
    )
    .await;
    expect_api_error(
        daemon.post("/v1/lots", &lot_body).await.unwrap(),
        403,
        "signer_not_allowed",
    )
    .await;

    // Refusal rules, each with its code (in the grouped answer, the others accepted).
    let mut unknown = draft(
        0,
        &day,
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("ZZ", "1", &[])],
    );
    unknown.deferred_signature = true;
    let coefficient = draft(
        0,
        &day,
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("SF", "400", &[])],
    );
    let future = draft(
        0,
        &tomorrow,
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("C", "1", &[])],
    );
    let refused: FseBatchResponse = daemon
        .post_json("/v1/fse", &json!({ "fse": [unknown, coefficient, future] }))
        .await
        .unwrap();
    let codes: Vec<&str> = refused
        .results
        .iter()
        .map(|r| r.error.as_ref().unwrap().code.as_str())
        .collect();
    assert_eq!(
        codes,
        ["unknown_act_code", "invalid_coefficient", "act_in_future"]
    );

    // The midwife arrives: her CPS replaces the CPE.
    cpx.do_and_wait("remove", "removed").await.unwrap();
    wait_card(&daemon, READER_1, false).await;
    cpx.do_and_wait("insert cps:durand-sage-femme", "inserted")
        .await
        .unwrap();
    wait_card(&daemon, READER_1, true).await;
    expect_api_error(
        daemon.post("/v1/fse/sign", &sign_body(&ids)).await.unwrap(),
        403,
        "pin_required",
    )
    .await;
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &pin("4729"))
        .await
        .unwrap();
    let bad_situation = json!({ "reader": READER_1, "situation": 7, "fse": ids });
    expect_api_error(
        daemon.post("/v1/fse/sign", &bad_situation).await.unwrap(),
        422,
        "invalid_fse_field",
    )
    .await;

    // Her own FSE of the day, then everything signed in one go (désynchronisée).
    let own = vec![
        from_vitale(&card, &day),
        draft(
            1,
            &day,
            InsuranceNature::Maladie,
            FseMode::Securisee,
            vec![ccam("JKLD001")],
        ),
        draft(
            0,
            &day,
            InsuranceNature::Maternite,
            FseMode::SansVitale,
            vec![ngap("SF", "12", &[])],
        ),
    ];
    let mut all = ids.clone();
    all.extend(
        accepted(
            &daemon
                .post_json("/v1/fse", &json!({ "fse": own }))
                .await
                .unwrap(),
        )
        .iter()
        .map(|f| f.id),
    );
    let signed: FseSignResponse =
        json_of(post_keyed(&daemon, "/v1/fse/sign", "signature-1", &sign_body(&all)).await).await;
    let signed: Vec<Fse> = signed
        .results
        .into_iter()
        .map(|r| r.fse.unwrap_or_else(|| panic!("{:?}", r.error)))
        .collect();
    assert!(signed
        .iter()
        .all(|f| f.status == FseStatus::Signed && f.signed_at.is_some()));
    let retried: FseSignResponse =
        json_of(post_keyed(&daemon, "/v1/fse/sign", "signature-1", &sign_body(&all)).await).await;
    assert!(retried.results.iter().all(|r| r
        .fse
        .as_ref()
        .is_some_and(|f| f.status == FseStatus::Signed)));
    let unkeyed: FseSignResponse = daemon
        .post_json("/v1/fse/sign", &sign_body(&all[..1]))
        .await
        .unwrap();
    assert_eq!(
        unkeyed.results[0].error.as_ref().unwrap().code.as_str(),
        "invalid_transition"
    );

    // Lots per organism, signed; a retry with the same key builds nothing more.
    let lot_body = json!({ "reader": READER_1, "situation": 0 });
    let lots: LotList = json_of(post_keyed(&daemon, "/v1/lots", "lots-1", &lot_body).await).await;
    let organisms: BTreeSet<String> = signed
        .iter()
        .map(|f| {
            format!(
                "{}{}{}",
                f.organism.regime, f.organism.caisse, f.organism.centre
            )
        })
        .collect();
    assert_eq!(lots.lots.len(), organisms.len(), "{lots:?}");
    let replay: LotList = json_of(post_keyed(&daemon, "/v1/lots", "lots-1", &lot_body).await).await;
    assert_eq!(replay, lots);
    let listed: LotList = daemon.get_json("/v1/lots").await.unwrap();
    assert_eq!(listed.lots.len(), lots.lots.len());

    // The CPS certificate, as the card gives it with any signature.
    let digest = hex::encode(sha2::Sha256::digest(b"certificat"));
    let cps: CardSignature = daemon
        .post_json(
            &route(READER_1, "signature"),
            &json!({ "digest_sha256": digest }),
        )
        .await
        .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let cps_cert = b64.decode(&cps.certificate).unwrap();
    for lot in &lots.lots {
        let resp = daemon
            .client()
            .get(daemon.url(&format!("/v1/lots/{}/b2", lot.id)))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let b2 = resp.bytes().await.unwrap().to_vec();
        let (organism, invoices, total, amo) = parse_b2(&b2);
        let o = &lot.organism;
        assert_eq!(organism, format!("{}{}{}", o.regime, o.caisse, o.centre));
        let members: FseList = daemon
            .get_json(&format!("/v1/fse?lot={}", lot.id))
            .await
            .unwrap();
        let expected: BTreeMap<String, (i64, i64)> = members
            .fse
            .iter()
            .map(|f| {
                (
                    f.number.clone(),
                    (f.amounts.total_cents, f.amounts.amo_cents),
                )
            })
            .collect();
        assert_eq!(invoices, expected);
        assert_eq!((total, amo), (lot.total_cents, lot.amo_cents));
        assert!(members.fse.iter().all(|f| f.status == FseStatus::InLot));
        let sig: LotSignature = daemon
            .get_json(&format!("/v1/lots/{}/signature", lot.id))
            .await
            .unwrap();
        assert_eq!(
            b64.decode(&sig.certificate).unwrap(),
            cps_cert,
            "signed by the CPS"
        );
        assert_eq!(sig.b2_sha256, lot.b2_sha256);
        openssl_verifies(
            &dir,
            &format!("lot-{}", lot.id),
            &b2,
            &b64.decode(&sig.signature).unwrap(),
            &cps_cert,
        );
    }

    // An FSE in a lot can no longer be deleted; an unknown one is not found.
    let resp = daemon
        .client()
        .delete(daemon.url(&format!("/v1/fse/{}", all[0])))
        .send()
        .await
        .unwrap();
    expect_api_error(resp, 409, "fse_in_lot").await;
    let resp = daemon
        .client()
        .get(daemon.url("/v1/lots/999/signature"))
        .send()
        .await
        .unwrap();
    expect_api_error(resp, 404, "lot_not_found").await;
    let no_ids = json!({ "reader": READER_1, "fse": "tous" });
    expect_api_error(
        daemon.post("/v1/fse/sign", &no_ids).await.unwrap(),
        400,
        "invalid_json",
    )
    .await;
}
