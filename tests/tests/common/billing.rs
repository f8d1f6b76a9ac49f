//! Helpers of the billing tests: keyed POSTs, drafts from a Vitale read, a B2 parser
//! independent of the writer, `openssl` checks of signatures.

use std::collections::BTreeMap;
use std::time::Duration;

use passerelle_billing::samples::{draft, ngap};
use passerelle_protocol::{
    Exoneration, Fse, FseBatchResponse, FseDraft, FseMode, InsuranceNature, Organism, Patient,
    RightsRef, VitaleCard,
};
use passerelle_tests::{Daemon, TestDir};
use serde_json::Value;

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

/// A sécurisée FSE from the Martin family's Vitale card as read: the spouse, whose ALD is on
/// the card, seen for it (`C+MSF` in relation with the ALD: 100 %); the daemon fills in the
/// rights from the card named by its serial; organism from the rights.
pub fn from_vitale(card: &VitaleCard, day: &str) -> FseDraft {
    let b = &card.beneficiaries[1];
    let rights = card
        .rights
        .as_ref()
        .expect("rights read with a verified CPx");
    let mut d = draft(
        1,
        day,
        InsuranceNature::Maladie,
        FseMode::Securisee,
        vec![ngap("C", "1", &["MSF"])],
    );
    d.rights = Some(RightsRef::Vitale {
        card_serial: card.serial.clone(),
    });
    d.exoneration = Some(Exoneration::Ald);
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
