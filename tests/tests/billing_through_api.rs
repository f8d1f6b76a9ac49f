//! A day of a midwife through the API, the cards behind the real pcscd: the secretary's
//! CPE prepares FSE (and is refused when it tries to sign), the rights taken by the daemon
//! from the Vitale it read (the client names the card), the midwife's CPS signs them in one
//! go (signature désynchronisée) with its PIN verified. On the day: an act in relation with
//! the ALD on the Martin card (100 %), a maternity FSE (100 %), a C2S patient in tiers
//! payant intégral after the Vitale is swapped; the caisse's four most frequent rejections
//! refused with their codes; lots per organism, each B2 parsed here (128-character records,
//! totals = the invoices, the date in Paris) and each lot signature checked by `openssl`
//! against the CPS certificate; the CSV with modifiers and lot numbers; the FSE made and
//! deleted in the audit log.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::billing::{
    accepted, check_lots, delete, for_card, from_vitale, get, json_of, post_keyed,
};
use common::{expect_api_error, route, wait_card};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{ccam, draft, ngap, pregnant_for};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    AuditPage, Exoneration, Fse, FseBatchResponse, FseMode, FseSignResponse, FseStatus,
    InsuranceNature, LotList, RateBasis, RightsOrigin, VitaleCard,
};
use passerelle_tests::{
    Backend, Daemon, PcscdRig, Simcard, TestDir, READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1,
};
use serde_json::{json, Value};
use time::Weekday;

const WAIT: Duration = Duration::from_secs(10);

/// The codes of a grouped answer, in order (`ok` for an FSE made).
fn codes(r: &FseBatchResponse) -> Vec<String> {
    r.results
        .iter()
        .map(|o| match &o.error {
            Some(e) => e.code.as_str().to_owned(),
            None => "ok".to_owned(),
        })
        .collect()
}

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
    let mut saturday = today;
    while saturday.weekday() != Weekday::Saturday {
        saturday = saturday.previous_day().unwrap();
    }

    // Morning: the secretary's CPE (PIN verified) reads the Vitale and prepares FSE.
    let pin = |p: &str| json!({ "pin": p });
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &pin("6081"))
        .await
        .unwrap();
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let mut maternity = draft(
        0,
        &day,
        InsuranceNature::Maternite,
        FseMode::Degradee,
        vec![ccam("JQQM016")],
    );
    maternity.pregnancy = Some(pregnant_for(&day, 220));
    let mut prepared = vec![
        from_vitale(&card, &day),
        maternity,
        draft(
            2,
            &day,
            InsuranceNature::Maladie,
            FseMode::SansVitale,
            vec![ngap("C", "1", &["MSF"])],
        ),
    ];
    prepared
        .iter_mut()
        .for_each(|d| d.deferred_signature = true);
    let created = accepted(
        &json_of(post_keyed(&daemon, "/v1/fse", "matin", &json!({ "fse": prepared })).await).await,
    );
    let parts = |f: &Fse| {
        (
            f.amounts.total_cents,
            f.amounts.amo_cents,
            f.amounts.patient_cents,
        )
    };
    assert_eq!(parts(&created[0]), (2650, 2650, 0), "the ALD act at 100 %");
    assert_eq!(created[0].rate_basis, RateBasis::Ald);
    assert_eq!(created[0].rights.origin, RightsOrigin::Vitale);
    assert_eq!(
        created[0].rights.card_serial.as_deref(),
        Some(card.serial.as_str())
    );
    assert_eq!(parts(&created[1]), (10020, 10020, 0), "maternity at 100 %");
    assert_eq!(created[1].rights.origin, RightsOrigin::Declared);
    assert_eq!(parts(&created[2]), (2650, 1855, 795));
    assert!(created[1].needs_paper_copy && created.iter().all(|f| f.status == FseStatus::Draft));
    let again = accepted(
        &json_of(post_keyed(&daemon, "/v1/fse", "matin", &json!({ "fse": prepared })).await).await,
    );
    assert_eq!(again, created, "a retried creation gives the same FSE");
    let ids: Vec<i64> = created.iter().map(|f| f.id).collect();

    // The CPE may neither sign FSE nor build lots.
    let sign_body = |ids: &[i64]| json!({ "reader": READER_1, "fse": ids });
    let lot_body = json!({ "reader": READER_1, "situation": 0 });
    let refused = daemon.post("/v1/fse/sign", &sign_body(&ids)).await.unwrap();
    expect_api_error(refused, 403, "signer_not_allowed").await;
    let refused = daemon.post("/v1/lots", &lot_body).await.unwrap();
    expect_api_error(refused, 403, "signer_not_allowed").await;

    // Refusal rules, each with its code (in the grouped answer, each on its own): among
    // them the caisse's four most frequent rejections (seed 003).
    let mut unknown = draft(
        0,
        &day,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("ZZ", "1", &[])],
    );
    unknown.deferred_signature = true;
    let coefficient = draft(
        0,
        &day,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("SF", "400", &[])],
    );
    let future = draft(
        0,
        &tomorrow,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("C", "1", &[])],
    );
    let mut no_ald = for_card(&card, 0, &day, vec![ngap("C", "1", &["MSF"])]);
    no_ald.exoneration = Some(Exoneration::Ald);
    let mut tpc = for_card(&card, 1, &day, vec![ngap("C", "1", &["MSF"])]);
    tpc.amc_tiers_payant = true;
    let mut on_saturday = for_card(
        &card,
        1,
        &format_date(saturday),
        vec![ngap("C", "1", &["MSF", "F"])],
    );
    on_saturday.care_date = format_date(saturday);
    let mut rate = for_card(&card, 1, &day, vec![ngap("C", "1", &["MSF"])]);
    rate.coverage_rate = Some(100);
    // The Nguyen card is in no reader: its rights cannot be named.
    let absent = draft(
        0,
        &day,
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("C", "1", &["MSF"])],
    );
    let batch =
        json!({ "fse": [unknown, coefficient, future, no_ald, tpc, on_saturday, rate, absent] });
    let refused: FseBatchResponse = daemon.post_json("/v1/fse", &batch).await.unwrap();
    assert_eq!(
        codes(&refused),
        [
            "unknown_act_code",
            "invalid_coefficient",
            "act_in_future",
            "exoneration_not_found",
            "tpc_incompatible_contract",
            "surcharge_not_sunday_or_holiday",
            "coverage_rate_mismatch",
            "rights_reference_unknown",
        ]
    );
    let message = |i: usize| refused.results[i].error.as_ref().unwrap().message.clone();
    assert!(
        message(3).contains("modulation du ticket modérateur non trouvée"),
        "{}",
        message(3)
    );
    assert!(
        message(4).contains("TPC incompatible avec le type de contrat"),
        "{}",
        message(4)
    );
    assert!(message(5).contains("samedi non férié"), "{}", message(5));
    assert!(
        message(6).contains("taux demandé (100 %) ≠ taux calculé (70 %)"),
        "{}",
        message(6)
    );
    // An unknown history filter is refused, not ignored.
    let resp = get(&daemon, "/v1/fse?mode=degradee").await.unwrap();
    expect_api_error(resp, 400, "bad_request").await;

    // The midwife arrives: her CPS replaces the CPE.
    cpx.do_and_wait("remove", "removed").await.unwrap();
    wait_card(&daemon, READER_1, false).await;
    cpx.do_and_wait("insert cps:durand-sage-femme", "inserted")
        .await
        .unwrap();
    wait_card(&daemon, READER_1, true).await;
    let resp = daemon.post("/v1/fse/sign", &sign_body(&ids)).await.unwrap();
    expect_api_error(resp, 403, "pin_required").await;
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &pin("4729"))
        .await
        .unwrap();
    let bad_situation = json!({ "reader": READER_1, "situation": 7, "fse": ids });
    let resp = daemon.post("/v1/fse/sign", &bad_situation).await.unwrap();
    expect_api_error(resp, 422, "invalid_fse_field").await;

    // Her own FSE of the day, while the Martin card is in; then a patient covered by the
    // C2S: the Vitale is swapped (the Martin card's rights can no longer be named).
    let own = vec![
        from_vitale(&card, &day),
        for_card(&card, 1, &day, vec![ccam("JKLD001")]),
    ];
    let mut made = accepted(
        &daemon
            .post_json("/v1/fse", &json!({ "fse": own }))
            .await
            .unwrap(),
    );
    vitale.do_and_wait("remove", "removed").await.unwrap();
    wait_card(&daemon, READER_0, false).await;
    vitale
        .do_and_wait("insert vitale:bernard-c2s", "inserted")
        .await
        .unwrap();
    wait_card(&daemon, READER_0, true).await;
    let gone: FseBatchResponse = daemon
        .post_json("/v1/fse", &json!({ "fse": [from_vitale(&card, &day)] }))
        .await
        .unwrap();
    assert_eq!(codes(&gone), ["rights_reference_unknown"]);
    let c2s_card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let bernard = for_card(
        &c2s_card,
        0,
        &day,
        vec![ngap("C", "1", &["MSF"]), ccam("JKHD001")],
    );
    made.extend(accepted(
        &daemon
            .post_json("/v1/fse", &json!({ "fse": [bernard] }))
            .await
            .unwrap(),
    ));
    let c2s = &made[2];
    let a = c2s.amounts;
    assert_eq!(
        (
            a.total_cents,
            a.amo_cents,
            a.amc_cents,
            a.patient_cents,
            a.tiers_payant_cents
        ),
        (3896, 2727, 1169, 0, 3896),
        "C2S: tiers payant intégral"
    );
    assert!(c2s.amc.as_ref().is_some_and(|m| m.c2s));
    let mut all = ids.clone();
    all.extend(made.iter().map(|f| f.id));

    // Everything signed in one go (désynchronisée).
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
    // A signed FSE not in a lot may still be deleted: the audit log says so.
    let deleted = made[1].id;
    let resp = delete(&daemon, &format!("/v1/fse/{deleted}"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let signed: Vec<Fse> = signed.into_iter().filter(|f| f.id != deleted).collect();

    // Lots per organism, signed; a retry with the same key builds nothing more.
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
    check_lots(&daemon, &dir, &lots, &day).await;

    // An FSE in a lot can no longer be deleted; an unknown one is not found.
    let resp = delete(&daemon, &format!("/v1/fse/{}", all[0]))
        .await
        .unwrap();
    expect_api_error(resp, 409, "fse_in_lot").await;
    let resp = get(&daemon, "/v1/lots/999/signature").await.unwrap();
    expect_api_error(resp, 404, "lot_not_found").await;
    let no_ids = json!({ "reader": READER_1, "fse": "tous" });
    let resp = daemon.post("/v1/fse/sign", &no_ids).await.unwrap();
    expect_api_error(resp, 400, "invalid_json").await;

    // The history as CSV: modifiers, lot numbers as sent, tiers payant.
    let csv = get(&daemon, "/v1/fse.csv")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains(";C+MSF;") && csv.contains(";C+MSF + JKHD001;"),
        "{csv}"
    );
    let bernard = csv.lines().find(|l| l.contains(";BERNARD;")).unwrap();
    assert!(
        bernard.contains(";in_lot;") && bernard.contains(";amo+amc;3896;"),
        "{bernard}"
    );
    let numbers: BTreeSet<&str> = lots.lots.iter().map(|l| l.number.as_str()).collect();
    for line in csv.lines().skip(1).filter(|l| l.contains(";in_lot;")) {
        assert!(numbers.contains(line.rsplit(';').next().unwrap()), "{line}");
    }
    // The FSE made (not the retries) and the deletion are in the audit log.
    let audit: AuditPage = daemon.get_json("/v1/audit?limit=1000").await.unwrap();
    let count = |action: &str| audit.entries.iter().filter(|e| e.action == action).count();
    assert_eq!((count("fse_created"), count("fse_deleted")), (6, 1));
}
