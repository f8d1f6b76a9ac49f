//! A day of a midwife, at the billing level (no cards: the fixture cards' rights from
//! `samples::SampleRights`): FSE of her usual acts in every mode — a maternity FSE at
//! 100 %, an act in relation with an ALD, a C2S patient in tiers payant intégral, two acts
//! of one session — each with the parts it must come to, the caisse's most frequent
//! rejections refused with their codes, prepared by the secretary, signed in one go by the
//! midwife (fixture key, signature désynchronisée, only as the situation they were prepared
//! for), lots per organism written as B2 and signed, the lot signature checked by the
//! `openssl` command line against the fixture CPS certificate.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use passerelle_billing::b2;
use passerelle_billing::export::to_csv;
use passerelle_billing::samples::{ccam, draft, durand, ngap, SampleRights};
use passerelle_billing::store::FILE_NAME;
use passerelle_billing::{
    Billing, BillingSigner, FixedClock, FseFilter, KeySigner, SignError, SignerIdentity,
};
use passerelle_protocol::{
    ActInput, AttemptReason, Basket, CardKind, ErrorCode, Exoneration, FseDraft, FseMode,
    FseStatus, InsuranceNature, LotStatus, Pregnancy, RateBasis,
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

/// Monday 14 September 2026: the Nguyen card's maternity period (from 1 June 2026) covers it.
const DAY: &str = "2026-09-14";

fn midwife_identity(may_sign_lot: bool) -> SignerIdentity {
    SignerIdentity::of(CardKind::Cps, &durand(), true, may_sign_lot)
}

fn midwife() -> KeySigner {
    fixture_signer("durand-sage-femme", midwife_identity(true)).unwrap()
}

fn timed(act: ActInput, at: &str) -> ActInput {
    match act {
        ActInput::Ngap {
            key,
            coefficient,
            modifiers,
            date,
            distance_km,
            ..
        } => ActInput::Ngap {
            key,
            coefficient,
            modifiers,
            date,
            time: Some(at.into()),
            distance_km,
        },
        other => other,
    }
}

/// The day's FSE, with what each must come to: (draft, total, AMO, AMC, patient) in cents.
fn the_day() -> Vec<(FseDraft, [i64; 4])> {
    let seventh_month = Pregnancy {
        start: Some("2026-02-16".into()),
        delivery: None,
        pathological: false,
    };
    let mut exam = draft(0, DAY, Maternite, Securisee, vec![ngap("C", "1", &["MSF"])]);
    exam.pregnancy = Some(seventh_month.clone());
    let mut echo = draft(0, DAY, Maternite, Securisee, vec![ccam("JQQM016")]);
    echo.pregnancy = Some(seventh_month.clone());
    // Two birth-preparation sessions at distinct times: both at full rate.
    let prep = draft(
        0,
        DAY,
        Maternite,
        SansVitale,
        vec![
            timed(ngap("SF", "12", &[]), "10:00"),
            timed(ngap("SF", "12", &[]), "16:00"),
        ],
    );
    let mut prep = prep;
    prep.pregnancy = Some(seventh_month);
    let mut ald = draft(1, DAY, Maladie, Securisee, vec![ngap("C", "1", &["MSF"])]);
    ald.exoneration = Some(Exoneration::Ald);
    let iud = draft(1, DAY, Maladie, Securisee, vec![ccam("JKLD001")]);
    let visit = draft(
        1,
        DAY,
        Maladie,
        Degradee,
        vec![ngap("V", "1", &["MSF", "IFD"])],
    );
    let c2s = draft(
        3,
        DAY,
        Maladie,
        Securisee,
        vec![ngap("C", "1", &["MSF"]), ccam("JKHD001")],
    );
    let implant = draft(2, DAY, Maladie, Securisee, vec![ccam("QZLA004")]);
    // Perineal re-education then a consultation act of the same session: SF 7.5 at half.
    let reeducation = draft(
        2,
        DAY,
        Maladie,
        SansVitale,
        vec![ngap("SF", "9", &[]), ngap("SF", "7.5", &[])],
    );
    let mut from_basket = draft(0, DAY, Maternite, Securisee, vec![]);
    from_basket.basket = Some("prep-naissance".into());
    vec![
        (exam, [2650, 2650, 0, 0]),
        (echo, [10020, 10020, 0, 0]),
        (prep, [7680, 7680, 0, 0]),
        (ald, [2650, 2650, 0, 0]),
        (iud, [3840, 2688, 0, 1152]),
        (visit, [3050, 2135, 0, 915]),
        (c2s, [3896, 2727, 1169, 0]),
        (implant, [1799, 1259, 0, 540]),
        (reeducation, [2880 + 1200, 2016 + 840, 0, 864 + 360]),
        (from_basket, [3840, 3840, 0, 0]),
    ]
}

/// The morning's refusals, each with its code: the four most frequent rejections of the
/// caisse (seed 003) among them.
fn refused() -> Vec<(FseDraft, ErrorCode)> {
    let mut future = draft(1, DAY, Maladie, Securisee, vec![ngap("C", "1", &["MSF"])]);
    future.care_date = "2026-09-15".into();
    let zero = draft(1, DAY, Maladie, Securisee, vec![ngap("SF", "0", &[])]);
    let mut saturday = draft(
        2,
        DAY,
        Maladie,
        Securisee,
        vec![ngap("C", "1", &["MSF", "F"])],
    );
    saturday.care_date = "2026-09-12".into();
    let mut rate = draft(1, DAY, Maladie, Securisee, vec![ngap("C", "1", &["MSF"])]);
    rate.coverage_rate = Some(100);
    let mut no_ald = draft(2, DAY, Maladie, Securisee, vec![ngap("C", "1", &["MSF"])]);
    no_ald.exoneration = Some(Exoneration::Ald);
    let mut tpc = draft(1, DAY, Maladie, Securisee, vec![ngap("C", "1", &["MSF"])]);
    tpc.amc_tiers_payant = true;
    vec![
        (future, ErrorCode::ActInFuture),
        (zero, ErrorCode::InvalidCoefficient),
        (saturday, ErrorCode::SurchargeNotSundayOrHoliday),
        (rate, ErrorCode::CoverageRateMismatch),
        (no_ald, ErrorCode::ExonerationNotFound),
        (tpc, ErrorCode::TpcIncompatibleContract),
    ]
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
    // 17:45 in Lyon (summer time).
    let clock = Arc::new(FixedClock::new(datetime!(2026-09-14 15:45 UTC)));
    let billing = Billing::open(&dir.path().join(FILE_NAME), clock.clone()).unwrap();
    billing
        .put_basket(&Basket {
            name: "prep-naissance".into(),
            label: "Préparation à la naissance, séance suivante".into(),
            acts: vec![ngap("SF", "12", &[])],
        })
        .unwrap();

    // Morning: the secretary (CPE) prepares the FSE, the rights from the cards read; the
    // refused ones are refused on their own, each with its code.
    let day = the_day();
    let refusals = refused();
    let mut drafts: Vec<FseDraft> = day.iter().map(|(d, _)| d.clone()).collect();
    drafts.extend(refusals.iter().map(|(d, _)| d.clone()));
    for d in &mut drafts {
        d.deferred_signature = true;
        d.tiers_payant = true;
    }
    let out = billing
        .create_batch(&drafts, &SampleRights, Some("matin-1"))
        .unwrap();
    for (i, (draft, [total, amo, amc, patient])) in day.iter().enumerate() {
        let f = out[i]
            .as_ref()
            .unwrap_or_else(|e| panic!("{i} {:?}: {e}", draft.acts));
        let a = f.amounts;
        assert_eq!(
            [a.total_cents, a.amo_cents, a.amc_cents, a.patient_cents],
            [*total, *amo, *amc, *patient],
            "{i}: {:?}",
            f.acts
        );
        assert_eq!(a.tiers_payant_cents, a.amo_cents + a.amc_cents, "{i}");
    }
    for (j, (_, code)) in refusals.iter().enumerate() {
        let e = out[day.len() + j].as_ref().unwrap_err();
        assert_eq!(e.code(), *code, "{e}");
    }
    let c2s = out[6].as_ref().unwrap();
    assert!(
        c2s.amc.as_ref().is_some_and(|a| a.c2s),
        "tiers payant intégral"
    );
    assert_eq!(out[3].as_ref().unwrap().rate_basis, RateBasis::Ald);
    assert_eq!(out[0].as_ref().unwrap().rate_basis, RateBasis::Maternite);
    let ids: Vec<i64> = out
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|f| f.id)
        .collect();
    assert_eq!(ids.len(), 10);
    let created = billing.list(&FseFilter::default()).unwrap();
    assert!(created.iter().all(|f| f.status == FseStatus::Draft));
    assert_eq!(created.iter().filter(|f| f.needs_paper_copy).count(), 1);
    assert_eq!(created[9].acts[0].code, "SF", "basket acts");
    // The network hiccups: the same request again creates nothing new.
    let again = billing
        .create_batch(&drafts, &SampleRights, Some("matin-1"))
        .unwrap();
    assert_eq!(again.iter().filter(|r| r.is_ok()).count(), 10);
    assert_eq!(billing.list(&FseFilter::default()).unwrap().len(), 10);

    // The secretary's card can never sign.
    let cpe = fixture_signer(
        "petit-secretaire",
        SignerIdentity::of(CardKind::Cpe, &durand(), false, false),
    )
    .unwrap();
    let e = billing.sign_fse_batch(&cpe, &ids).unwrap_err();
    assert_eq!(e.code(), ErrorCode::SignerNotAllowed);
    // Another situation of the midwife's card than the one the FSE were prepared for.
    let mut elsewhere = durand();
    elsewhere.tariff_zone = "72".into();
    let other = fixture_signer(
        "durand-sage-femme",
        SignerIdentity::of(CardKind::Cps, &elsewhere, true, true),
    )
    .unwrap();
    let wrong = billing.sign_fse_batch(&other, &ids[..1]).unwrap();
    assert_eq!(
        wrong[0].as_ref().unwrap_err().code(),
        ErrorCode::SignerNotAllowed
    );

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
    let no_lot = fixture_signer("durand-sage-femme", midwife_identity(false)).unwrap();
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
    assert_eq!(lots.iter().map(|l| l.invoice_count).sum::<u32>(), 9);

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
    assert_eq!(sent.fse_lot().unwrap().status, LotStatus::Sent);
    // Nothing left to put in a lot.
    assert!(billing.build_and_sign_lots(&signer).unwrap().is_empty());

    // History export, then everything is still there after reopening.
    let all = billing.list(&FseFilter::default()).unwrap();
    let csv = String::from_utf8(to_csv(&all).unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 11);
    assert!(
        csv.contains(";C+MSF;") && csv.contains(";deleted;"),
        "{csv}"
    );
    assert!(
        csv.contains(";V+MSF+IFD;") && csv.contains(";C+MSF + JKHD001;"),
        "{csv}"
    );
    let c2s_line = csv.lines().find(|l| l.contains("BERNARD")).unwrap();
    assert!(c2s_line.ends_with(";amo+amc;3896;001"), "{c2s_line}");
    drop(billing);
    let reopened = Billing::open(&dir.path().join(FILE_NAME), clock).unwrap();
    assert_eq!(reopened.list(&FseFilter::default()).unwrap(), all);
    assert_eq!(reopened.lots(None).unwrap().len(), 3);
    assert_eq!(reopened.store().integrity_check().unwrap(), "ok");
}
