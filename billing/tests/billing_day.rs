//! A day of a midwife, at the billing level (no cards): FSE of the seeds' acts in every
//! mode, prepared by the secretary, signed in one go by the midwife (fixture key, signature
//! désynchronisée), lots per organism written as B2 and signed, the lot signature checked
//! by the `openssl` command line against the fixture CPS certificate.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use passerelle_billing::b2;
use passerelle_billing::export::to_csv;
use passerelle_billing::samples::{ccam, draft, ngap};
use passerelle_billing::store::FILE_NAME;
use passerelle_billing::{
    Billing, BillingSigner, FixedClock, FseFilter, KeySigner, SignError, SignerIdentity,
};
use passerelle_protocol::{
    AttemptReason, Basket, CardKind, ErrorCode, FseDraft, FseMode, FseStatus, InsuranceNature,
    LotStatus,
};
use sha2::{Digest, Sha256};
use time::macros::datetime;

use FseMode::{Degradee, SansVitale, Securisee};
use InsuranceNature::{Maladie, Maternite};

/// A [`KeySigner`] over the signature key of simulated card `key_id`'s test keys.
fn fixture_signer(key_id: &str, identity: SignerIdentity) -> Result<KeySigner, SignError> {
    let keys = passerelle_simcard::fixtures::keys(key_id)
        .ok_or_else(|| SignError(format!("clé de test inconnue {key_id:?}")))?;
    KeySigner::new(identity, keys.sig_key_pem, keys.sig_cert)
}

const DAY: &str = "2026-03-02";

fn identity(kind: CardKind, billing: &str, may_sign_lot: bool) -> SignerIdentity {
    SignerIdentity {
        card_kind: kind,
        billing_number: billing.to_owned(),
        situation: 0,
        may_sign_invoice: kind != CardKind::Cpe,
        may_sign_lot,
    }
}

fn midwife() -> KeySigner {
    fixture_signer(
        "durand-sage-femme",
        identity(CardKind::Cps, "69312233", true),
    )
    .unwrap()
}

/// The day's FSE: consultations, SF acts, preparation for birth, ultrasounds, IUD, visits.
fn the_day() -> Vec<FseDraft> {
    let mut spouse = draft(2, DAY, Maternite, Securisee, vec![ccam("JQQM010")]);

    spouse.patient.first_name = "MARIE".into();
    spouse.patient.birth_date = "1990-05-17".into();
    spouse.patient.quality = "02".into();
    let mut v = vec![
        draft(0, DAY, Maternite, Securisee, vec![ngap("C", "1", &[])]),
        draft(0, DAY, Maternite, Securisee, vec![ccam("JQQM018")]),
        draft(0, DAY, Maternite, Securisee, vec![ngap("SF", "15", &[])]),
        draft(0, DAY, Maternite, SansVitale, vec![ngap("SF", "12", &[])]),
        draft(1, DAY, Maladie, Securisee, vec![ccam("JKLD001")]),
        draft(1, DAY, Maladie, Degradee, vec![ngap("C", "1", &["MSF"])]),
        draft(
            1,
            DAY,
            Maternite,
            Degradee,
            vec![ngap("V", "1", &[]), ngap("ID", "1", &[])],
        ),
        draft(1, DAY, Maladie, Securisee, vec![ccam("QZLA004")]),
        draft(0, DAY, Maladie, SansVitale, vec![ngap("SF", "7.5", &["F"])]),
        spouse.clone(),
        draft(
            2,
            DAY,
            Maladie,
            Securisee,
            vec![ccam("JKGD004"), ngap("C", "1", &[])],
        ),
    ];
    let mut from_basket = draft(2, DAY, Maternite, Securisee, vec![]);
    from_basket.patient = spouse.patient.clone();
    from_basket.basket = Some("prep-naissance".into());
    v.push(from_basket);
    for (i, d) in v.iter_mut().enumerate() {
        d.deferred_signature = true;
        d.tiers_payant = i % 2 == 0;
    }
    v
}

fn openssl(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl on PATH (apt-get install -y openssl)")
}

#[test]
fn a_day_of_a_midwife() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-03-02 17:45 UTC)));
    let billing = Billing::open(&dir.path().join(FILE_NAME), clock.clone()).unwrap();
    billing
        .put_basket(&Basket {
            name: "prep-naissance".into(),
            label: "Préparation à la naissance, séance suivante".into(),
            acts: vec![ngap("SF", "12", &[])],
        })
        .unwrap();

    // Morning: the secretary (CPE) prepares the FSE; two are refused on their own.
    let mut drafts = the_day();
    let mut future = draft(0, DAY, Maladie, Securisee, vec![ngap("C", "1", &[])]);
    future.care_date = "2026-03-03".into();
    drafts.insert(3, future);
    drafts.push(draft(
        1,
        DAY,
        Maladie,
        Securisee,
        vec![ngap("SF", "0", &[])],
    ));
    let out = billing.create_batch(&drafts, Some("matin-1")).unwrap();
    assert_eq!(out[3].as_ref().unwrap_err().code(), ErrorCode::ActInFuture);
    assert_eq!(
        out[13].as_ref().unwrap_err().code(),
        ErrorCode::InvalidCoefficient
    );
    let ids: Vec<i64> = out
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|f| f.id)
        .collect();
    assert_eq!(ids.len(), 12);
    let created = billing.list(&FseFilter::default()).unwrap();
    assert!(created.iter().all(|f| f.status == FseStatus::Draft));
    assert_eq!(created.iter().filter(|f| f.needs_paper_copy).count(), 2);
    assert_eq!(created[11].acts[0].code, "SF", "basket acts");
    // The network hiccups: the same request again creates nothing new.
    let again = billing.create_batch(&drafts, Some("matin-1")).unwrap();
    assert_eq!(again.iter().filter(|r| r.is_ok()).count(), 12);
    assert_eq!(billing.list(&FseFilter::default()).unwrap().len(), 12);

    // The secretary's card can never sign.
    let cpe = fixture_signer(
        "petit-secretaire",
        identity(CardKind::Cpe, "69312233", false),
    )
    .unwrap();
    let e = billing.sign_fse_batch(&cpe, &ids).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SignerNotAllowed);

    // Evening: the midwife signs everything in one go.
    clock.advance(time::Duration::hours(1));
    let signer = midwife();
    let signed = billing.sign_fse_batch(&signer, &ids).unwrap();
    assert!(signed
        .iter()
        .all(|r| r.as_ref().map(|f| f.status) == Ok(FseStatus::Signed)));
    for id in &ids {
        billing.verify_fse_signature(*id).unwrap();
    }
    // Signing again is an illegal move; a signed FSE not in a lot may still be deleted.
    let twice = billing.sign_fse_batch(&signer, &ids[..1]).unwrap();
    assert_eq!(
        twice[0].as_ref().unwrap_err().code(),
        ErrorCode::InvalidTransition
    );
    billing.delete(ids[8]).unwrap();

    // A situation without the right to sign lots is refused; the midwife's builds them.
    let no_lot = fixture_signer(
        "durand-sage-femme",
        identity(CardKind::Cps, "69312233", false),
    )
    .unwrap();
    assert_eq!(
        billing.build_and_sign_lots(&no_lot).unwrap_err().code(),
        ErrorCode::SignerNotAllowed
    );
    // Near the end of the lot numbers: 999, then 001.
    billing
        .store()
        .write(|tx| {
            tx.execute("INSERT INTO counters VALUES ('69312233', 'lot', 998)", [])?;
            Ok(())
        })
        .unwrap();
    let lots = billing.build_and_sign_lots(&signer).unwrap();
    let numbers: Vec<&str> = lots.iter().map(|l| l.number.as_str()).collect();
    assert_eq!(
        numbers,
        ["999", "001", "002"],
        "one lot per organism, wrapping"
    );
    let organisms: Vec<String> = lots
        .iter()
        .map(|l| format!("{}{}", l.organism.regime, l.organism.caisse))
        .collect();
    assert_eq!(organisms, ["01201", "01691", "01751"]);
    assert_eq!(lots.iter().map(|l| l.invoice_count).sum::<u32>(), 11);

    for lot in &lots {
        let files = billing.lot_files(lot.id).unwrap();
        let summary = b2::check(&files.bytes).unwrap();
        let in_lot = billing
            .list(&FseFilter {
                lot: Some(lot.id),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(summary.invoices, in_lot.len());
        assert_eq!(
            summary.total_cents,
            in_lot.iter().map(|f| f.amounts.total_cents).sum::<i64>()
        );
        assert_eq!(summary.total_cents, lot.total_cents);
        assert!(in_lot.iter().all(|f| f.status == FseStatus::InLot));
        assert_eq!(hex::encode(Sha256::digest(&files.bytes)), lot.b2_sha256);
        billing.verify_lot_signature(lot.id).unwrap();

        // The same check with the openssl command line, against the fixture certificate.
        let work = tempfile::tempdir().unwrap();
        std::fs::write(work.path().join("lot.b2"), &files.bytes).unwrap();
        std::fs::write(work.path().join("sig.bin"), &files.signature).unwrap();
        std::fs::write(
            work.path().join("cert.der"),
            signer.certificate_der().unwrap(),
        )
        .unwrap();
        let pubkey = openssl(
            &[
                "x509", "-inform", "DER", "-in", "cert.der", "-pubkey", "-noout",
            ],
            work.path(),
        );
        assert!(
            pubkey.status.success(),
            "{}",
            String::from_utf8_lossy(&pubkey.stderr)
        );
        std::fs::write(work.path().join("pubkey.pem"), &pubkey.stdout).unwrap();
        let verify = [
            "dgst",
            "-sha256",
            "-verify",
            "pubkey.pem",
            "-signature",
            "sig.bin",
            "lot.b2",
        ];
        let ok = openssl(&verify, work.path());
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stdout)
        );
        assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "Verified OK");
        let mut tampered = files.bytes.clone();
        tampered[200] ^= 1;
        std::fs::write(work.path().join("lot.b2"), &tampered).unwrap();
        assert!(!openssl(&verify, work.path()).status.success());
    }

    // In a lot: no deletion any more (contact the caisse); the lot leaves through the
    // outbox (the transmission crate does the mail; here the outcome is reported by hand).
    let e = billing.delete(ids[0]).unwrap_err();
    assert_eq!(e.code(), ErrorCode::FseInLot);
    assert!(e.to_string().contains("caisse"));
    let attempt = billing.queue_lot(lots[0].id, AttemptReason::First).unwrap();
    billing
        .claim(attempt.id, "01751@751.01.rss.fr", b"message")
        .unwrap();
    let (_, sent) = billing.mark_sent(attempt.id, "250 ok").unwrap();
    assert_eq!(sent.status, LotStatus::Sent);
    // Nothing left to put in a lot.
    assert!(billing.build_and_sign_lots(&signer).unwrap().is_empty());

    // History export, then everything is still there after reopening.
    let all = billing.list(&FseFilter::default()).unwrap();
    let csv = String::from_utf8(to_csv(&all).unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 13);
    assert!(csv.contains(";SF 7.5;") && csv.contains(";deleted;"));
    drop(billing);
    let reopened = Billing::open(&dir.path().join(FILE_NAME), clock).unwrap();
    assert_eq!(reopened.list(&FseFilter::default()).unwrap(), all);
    assert_eq!(reopened.lots(None).unwrap().len(), 3);
    assert_eq!(reopened.store().integrity_check().unwrap(), "ok");
}
