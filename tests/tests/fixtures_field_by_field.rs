//! Every fixture patient and practitioner read back through the API, field for field
//! against its JSON file, the cards behind the real pcscd; the Vitale rights read with a
//! verified CPS in the other reader; a NIR with a wrong key refused.

mod common;

use std::time::Duration;

use common::{expect_api_error, route, wait_card};
use passerelle_protocol::{CpxCard, PinVerified, VitaleCard};
use passerelle_tests::{Daemon, Simcard, TestDir, TwoCards, READER_0, READER_1};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../simcard/fixtures/cards/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `YYYYMMDD` → `YYYY-MM-DD`.
fn iso(v: &Value) -> String {
    let d = v.as_str().unwrap();
    format!("{}-{}-{}", &d[..4], &d[4..6], &d[6..])
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

async fn swap(daemon: &Daemon, sim: &mut Simcard, reader: &str, spec: &str) {
    // Out first, so the daemon sees a removal even when both cards have the same ATR.
    sim.do_and_wait("remove", "removed").await.unwrap();
    wait_card(daemon, reader, false).await;
    sim.do_and_wait(&format!("insert {spec}"), "inserted")
        .await
        .unwrap();
    let kind = spec.split(':').next().unwrap().to_owned();
    daemon
        .wait_readers("the new card", WAIT, |l| {
            l.readers.iter().any(|r| {
                r.name == reader
                    && r.card
                        .as_ref()
                        .is_some_and(|c| serde_json::to_value(c.kind).unwrap() == kind.as_str())
            })
        })
        .await
        .unwrap();
}

fn check_vitale(card: &VitaleCard, f: &Value) {
    assert_eq!(card.serial, s(&f["serial"]));
    assert_eq!(card.valid_until, iso(&f["valid_until"]));
    assert_eq!(card.nir.value, s(&f["nir"]));
    assert!(card.nir.key_valid);
    let people = f["beneficiaries"].as_array().unwrap();
    assert_eq!(card.beneficiaries.len(), people.len());
    for (b, p) in card.beneficiaries.iter().zip(people) {
        assert_eq!(b.last_name, s(&p["last_name"]));
        assert_eq!(b.first_name, s(&p["first_name"]));
        assert_eq!(b.birth_date, iso(&p["birth_date"]));
        assert_eq!(u64::from(b.birth_rank), p["birth_rank"].as_u64().unwrap());
        assert_eq!(b.quality, s(&p["quality"]));
        assert_eq!(b.nir.as_deref(), p["nir"].as_str());
    }
    assert_eq!(card.insured, card.beneficiaries[0]);
    let (r, fr) = (card.rights.as_ref().expect("rights"), &f["rights"]);
    assert_eq!(
        (r.regime.as_str(), r.caisse.as_str(), r.centre.as_str()),
        (s(&fr["regime"]), s(&fr["caisse"]), s(&fr["centre"]))
    );
    let periods = fr["periods"].as_array().unwrap();
    assert_eq!(r.periods.len(), periods.len());
    for (p, fp) in r.periods.iter().zip(periods) {
        assert_eq!(
            (
                p.from.clone(),
                p.until.clone(),
                p.coverage.as_str(),
                p.nature.as_str()
            ),
            (
                iso(&fp["from"]),
                iso(&fp["until"]),
                s(&fp["coverage"]),
                s(&fp["nature"])
            )
        );
        assert_eq!(p.beneficiary.map(u64::from), fp["beneficiary"].as_u64());
    }
    let ald = fr["ald"].as_array().cloned().unwrap_or_default();
    assert_eq!(r.ald.len(), ald.len());
    for (a, fa) in r.ald.iter().zip(&ald) {
        assert_eq!(
            (a.code.as_str(), a.until.clone()),
            (s(&fa["code"]), iso(&fa["until"]))
        );
        assert_eq!(
            u64::from(a.beneficiary),
            fa["beneficiary"].as_u64().unwrap()
        );
    }
    match (&r.amc, fr.get("amc")) {
        (Some(a), Some(fa)) if !fa.is_null() => {
            assert_eq!(
                (a.number.as_str(), a.name.as_str()),
                (s(&fa["number"]), s(&fa["name"]))
            );
            assert_eq!(a.until, iso(&fa["until"]));
            assert_eq!(a.tiers_payant, fa["tiers_payant"].as_bool().unwrap());
            let c2s = fa.get("c2s").and_then(Value::as_bool).unwrap_or(false);
            assert_eq!(a.kind == passerelle_protocol::AmcKind::C2s, c2s);
        }
        (None, None) => {}
        (None, Some(fa)) if fa.is_null() => {}
        other => panic!("AMC differs: {other:?}"),
    }
}

fn check_cpx(card: &CpxCard, f: &Value) {
    assert_eq!(
        serde_json::to_value(card.kind).unwrap(),
        Value::String(s(&f["card_type"]).to_lowercase())
    );
    assert_eq!(card.serial, s(&f["serial"]));
    assert_eq!(card.valid_from, iso(&f["valid_from"]));
    assert_eq!(card.valid_until, iso(&f["valid_until"]));
    let (h, fh) = (&card.holder, &f["holder"]);
    for (got, key) in [
        (&h.id_type, "id_type"),
        (&h.id, "id"),
        (&h.civility, "civility"),
        (&h.last_name, "last_name"),
        (&h.first_name, "first_name"),
        (&h.profession, "profession"),
        (&h.speciality, "speciality"),
    ] {
        assert_eq!(got, s(&fh[key]), "holder {key}");
    }
    let situations = f["situations"].as_array().unwrap();
    assert_eq!(card.situations.len(), situations.len());
    for (i, (st, fs)) in card.situations.iter().zip(situations).enumerate() {
        assert_eq!(usize::from(st.index), i);
        let mode = serde_json::to_value(st.mode).unwrap();
        let expected = match s(&fs["mode"]) {
            "L" => "liberal",
            "S" => "salarie",
            _ => "remplacant",
        };
        assert_eq!(mode, expected);
        for (got, key) in [
            (&st.billing_number, "billing_number"),
            (&st.billing_key, "billing_key"),
            (&st.structure_id, "structure_id"),
            (&st.structure_name, "structure_name"),
            (&st.tariff_zone, "tariff_zone"),
            (&st.agreement, "agreement"),
            (&st.speciality, "speciality"),
        ] {
            assert_eq!(got, s(&fs[key]), "situation {i} {key}");
        }
        assert!(st.billing_key_valid, "situation {i}");
        assert_eq!(
            st.may_sign_invoice,
            fs["may_sign_invoice"].as_bool().unwrap()
        );
        assert_eq!(st.may_sign_lot, fs["may_sign_lot"].as_bool().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_fixture_read_back_field_for_field_through_pcscd() {
    every_fixture("every_fixture_read_back_field_for_field_through_pcscd", &[]).await;
}

/// The same, every card answering over T=0 (`61 xx`, `6C xx`), as real Vitale and CPS3
/// cards do: read whole, field by field, rights included (the card-to-card authentication
/// runs over T=0 too).
#[tokio::test(flavor = "multi_thread")]
async fn every_fixture_read_back_field_for_field_over_t0() {
    every_fixture("every_fixture_read_back_field_for_field_over_t0", &["--t0"]).await;
}

async fn every_fixture(name: &str, card_args: &[&str]) {
    let dir = TestDir::new(name);
    let TwoCards {
        pcscd: _pcscd,
        daemon,
        mut vitale,
        mut cpx,
    } = TwoCards::start_with(
        &dir,
        "vitale:nguyen",
        "cps:durand-sage-femme",
        card_args,
        "",
    )
    .await
    .unwrap();

    for (spec, name) in [
        ("cps:lefevre-medecin", "cps-lefevre-medecin"),
        ("cpe:petit-secretaire", "cpe-petit-secretaire"),
        ("cpf:moreau-remplacant", "cpf-moreau-remplacant"),
        ("cps:durand-sage-femme", "cps-durand-sage-femme"),
    ] {
        swap(&daemon, &mut cpx, READER_1, spec).await;
        let card: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
        check_cpx(&card, &fixture(name));
    }

    // The midwife's PIN: the Vitale cards then show their rights.
    let _: PinVerified = daemon
        .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "4729" }))
        .await
        .unwrap();
    for (spec, name) in [
        ("vitale:martin-famille", "vitale-martin-famille"),
        ("vitale:nguyen", "vitale-nguyen"),
        ("vitale:santoni-corse", "vitale-santoni-corse"),
        ("vitale:bernard-c2s", "vitale-bernard-c2s"),
    ] {
        swap(&daemon, &mut vitale, READER_0, spec).await;
        let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
        check_vitale(&card, &fixture(name));
    }

    // A card whose NIR key is wrong: refused, the NIR not repeated.
    let mut bad = fixture("vitale-martin-famille");
    bad["nir"] = json!("178067511223399");
    let path = dir.file("wrong-nir-key.json");
    std::fs::write(&path, bad.to_string()).unwrap();
    swap(
        &daemon,
        &mut vitale,
        READER_0,
        &format!("vitale:{}", path.display()),
    )
    .await;
    let resp = daemon
        .client()
        .get(daemon.url(&route(READER_0, "vitale")))
        .send()
        .await
        .unwrap();
    let e = expect_api_error(resp, 422, "invalid_card_data").await;
    assert_eq!(e.error.details.unwrap()["what"], "nir");
    assert!(!e.error.message.contains("178067511223399"));

    // A blank card (nobody in its free zone): the card itself refuses READ BINARY (6B 00).
    // That is the card's doing, not a fault of the daemon: 422 `card_refused` with the
    // command and the status word, never a 5xx that monitoring counts as a server fault.
    let mut blank = fixture("vitale-nguyen");
    blank["beneficiaries"] = json!([]);
    let path = dir.file("blank.json");
    std::fs::write(&path, blank.to_string()).unwrap();
    swap(
        &daemon,
        &mut vitale,
        READER_0,
        &format!("vitale:{}", path.display()),
    )
    .await;
    let resp = daemon
        .client()
        .get(daemon.url(&route(READER_0, "vitale")))
        .send()
        .await
        .unwrap();
    let e = expect_api_error(resp, 422, "card_refused").await;
    let details = e.error.details.unwrap();
    assert_eq!(details["status_word"], "6B 00");
    assert_eq!(details["command"], "READ BINARY (bénéficiaires)");
}
