//! Helpers of the billing tests: keyed POSTs, drafts from a Vitale read, a B2 parser
//! independent of the writer, `openssl` checks of signatures.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use passerelle_billing::samples::{draft, ngap};
use passerelle_protocol::{
    ActInput, Exoneration, Fse, FseBatchResponse, FseDraft, FseMode, InsuranceNature, Organism,
    Patient, RightsRef, VitaleCard,
};
use passerelle_protocol::{CardSignature, FseList, FseStatus, LotList, LotSignature};
use passerelle_tests::{Daemon, TestDir, READER_1};
use serde_json::{json, Value};
use sha2::Digest;

use super::route;

/// `POST path` with an `Idempotency-Key`.
pub async fn post_keyed(daemon: &Daemon, path: &str, key: &str, body: &Value) -> reqwest::Response {
    daemon
        .client()
        .post(daemon.url(path))
        .header("Idempotency-Key", key)
        .json(body)
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .unwrap()
}

pub async fn json_of<T: serde::de::DeserializeOwned>(resp: reqwest::Response) -> T {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The FSE of a grouped creation, each accepted.
pub fn accepted(resp: &FseBatchResponse) -> Vec<Fse> {
    resp.results
        .iter()
        .map(|r| r.fse.clone().unwrap_or_else(|| panic!("refused: {r:?}")))
        .collect()
}

/// A sécurisée maladie FSE for beneficiary `index` of `card` as read, billed by the fixture
/// midwife: the daemon fills in the rights from the card named by its serial; patient and
/// organism as the card gives them.
pub fn for_card(card: &VitaleCard, index: usize, day: &str, acts: Vec<ActInput>) -> FseDraft {
    let b = &card.beneficiaries[index];
    let rights = card
        .rights
        .as_ref()
        .expect("rights read with a verified CPx");
    let mut d = draft(0, day, InsuranceNature::Maladie, FseMode::Securisee, acts);
    d.rights = Some(RightsRef::Vitale {
        card_serial: card.serial.clone(),
    });
    d.patient = Patient {
        insured_nir: card.nir.value.clone(),
        last_name: b.last_name.clone(),
        first_name: b.first_name.clone(),
        birth_date: b.birth_date.clone(),
        birth_rank: b.birth_rank,
        quality: b.quality.clone(),
    };
    d.organism = Organism {
        regime: rights.regime.clone(),
        caisse: rights.caisse.clone(),
        centre: rights.centre.clone(),
    };
    d
}

/// On the Martin family's Vitale card as read: the spouse, whose ALD is on the card, seen
/// for it (`C+MSF` in relation with the ALD: 100 %).
pub fn from_vitale(card: &VitaleCard, day: &str) -> FseDraft {
    let mut d = for_card(card, 1, day, vec![ngap("C", "1", &["MSF"])]);
    d.exoneration = Some(Exoneration::Ald);
    d
}

/// A B2 file parsed here, independently of the writer: (organism, invoices, total, amo)
/// from the records, every record checked to be 128 characters.
pub fn parse_b2(bytes: &[u8]) -> (String, BTreeMap<String, (i64, i64)>, i64, i64) {
    assert_eq!(bytes.len() % 128, 0, "whole 128-character records");
    let text = std::str::from_utf8(bytes).expect("ASCII");
    let num = |r: &str, a: usize, b: usize| r[a..b].parse::<i64>().unwrap();
    let (mut organism, mut invoices, mut totals) = (String::new(), BTreeMap::new(), (0, 0));
    let records: Vec<&str> = (0..text.len() / 128)
        .map(|i| &text[i * 128..(i + 1) * 128])
        .collect();
    assert!(records[0].starts_with("000") && records.last().unwrap().starts_with("999"));
    for r in &records {
        match &r[..1] {
            "1" => organism = r[4..13].to_owned(),
            "5" => {
                invoices.insert(r[1..10].to_owned(), (num(r, 12, 21), num(r, 21, 30)));
            }
            "6" => totals = (num(r, 9, 20), num(r, 20, 31)),
            _ => {}
        }
    }
    let trailer = records.last().unwrap();
    assert_eq!(num(trailer, 6, 12) as usize, invoices.len());
    assert_eq!(num(trailer, 12, 20) as usize, records.len());
    assert_eq!((num(trailer, 20, 32), num(trailer, 32, 44)), totals);
    (organism, invoices, totals.0, totals.1)
}

/// `openssl` checks `signature` of `data` with the public key of `cert_der`.
pub fn openssl_verifies(dir: &TestDir, name: &str, data: &[u8], signature: &[u8], cert_der: &[u8]) {
    let file = |s: &str| dir.file(&format!("{name}.{s}"));
    std::fs::write(file("b2"), data).unwrap();
    std::fs::write(file("sig"), signature).unwrap();
    std::fs::write(file("der"), cert_der).unwrap();
    let pubkey = std::process::Command::new("openssl")
        .args(["x509", "-inform", "der", "-pubkey", "-noout", "-in"])
        .arg(file("der"))
        .output()
        .expect("openssl (scripts/install-test-deps)");
    assert!(pubkey.status.success(), "{pubkey:?}");
    std::fs::write(file("pem"), &pubkey.stdout).unwrap();
    let check = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(file("pem"))
        .arg("-signature")
        .arg(file("sig"))
        .arg(file("b2"))
        .output()
        .unwrap();
    assert!(
        check.status.success() && check.stdout.starts_with(b"Verified OK"),
        "{check:?}"
    );
}

/// `GET path` with the rig's token.
pub async fn get(daemon: &Daemon, path: &str) -> reqwest::Result<reqwest::Response> {
    daemon.client().get(daemon.url(path)).send().await
}

/// `DELETE path` with the rig's token.
pub async fn delete(daemon: &Daemon, path: &str) -> reqwest::Result<reqwest::Response> {
    daemon.client().delete(daemon.url(path)).send().await
}

/// Each lot: its B2 parsed here (the organism, the invoices and their totals, the file's
/// date in Paris), signed by the CPS (`openssl`).
pub async fn check_lots(daemon: &Daemon, dir: &TestDir, lots: &LotList, day: &str) {
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
        let resp = get(daemon, &format!("/v1/lots/{}/b2", lot.id))
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let b2 = resp.bytes().await.unwrap().to_vec();
        let (organism, invoices, total, amo) = parse_b2(&b2);
        assert_eq!(
            &b2[19..27],
            day.replace('-', "").as_bytes(),
            "the file's date, in Paris"
        );
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
        assert!(members
            .fse
            .iter()
            .all(|f| f.status == FseStatus::InLot && f.lot_number.as_ref() == Some(&lot.number)));
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
        let signature = b64.decode(&sig.signature).unwrap();
        openssl_verifies(dir, &format!("lot-{}", lot.id), &b2, &signature, &cps_cert);
    }
}
