//! Benchmark of lot transmission (not a test): 100 lots of 50 FSE sent to a local Postfix
//! (submission, STARTTLS, AUTH) delivering into Dovecot, through the outbox worker and the
//! SQLite store on disk. Set-up (5,000 FSE created and signed with the fixture key, the lots
//! built) is not measured. Measured in the same run:
//!
//! a. building + encrypting the 100 IRIS messages alone (the daemon's own work: gzip, MIME,
//!    CMS EnvelopedData), message by message;
//! b. Postfix's own acceptance rate: the same 100 messages, already built, handed to it one
//!    after the other over one SMTP client each (the peer: what any sender would pay);
//! c. the whole outbox: the lots queued, then the worker builds, stores, sends and records
//!    each one (one at a time: they leave from one mailbox, in order).
//!
//! Prints a table and, on the last line, a JSON summary: lots/s of c, and the daemon's share
//! of c (a / c). `--quick`: 10 lots (CI smoke, debug build). Needs root, Postfix and Dovecot
//! (`scripts/install-test-deps`). Exit code 0 whatever the figures; non-zero when a
//! measurement could not be taken.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use passerelle_billing::clock::{format_date, paris_date, Clock, SystemClock};
use passerelle_billing::samples::{draft, ngap, DURAND_BILLING};
use passerelle_billing::{Billing, KeySigner, SignError, SignerIdentity};
use passerelle_protocol::{
    AttemptReason, CardKind, FseMode, InsuranceNature, LotStatus, MailSecurity, MailServer,
    MailSettings, Secret,
};
use passerelle_tests::bench;
use passerelle_tests::mail::MailRig;
use passerelle_tests::organism::TestOrganism;
use passerelle_transmission::iris::Mode;
use passerelle_transmission::lot_message;
use passerelle_transmission::organisms::Directory;
use passerelle_transmission::settings::{self, Passwords};
use passerelle_transmission::worker::Outbox;

const FROM: &str = "durand@cabinet-durand.test";
const PASSWORD: &str = "bench-mot-de-passe";

fn fixture_signer() -> Result<KeySigner, SignError> {
    let keys = passerelle_simcard::fixtures::keys("durand-sage-femme")
        .ok_or_else(|| SignError("clé de test inconnue".into()))?;
    let identity = SignerIdentity::of(
        CardKind::Cps,
        &passerelle_billing::samples::durand(),
        true,
        true,
    );
    KeySigner::new(identity, keys.sig_key_pem, keys.sig_cert)
}

fn main() -> ExitCode {
    let usage = "usage: bench_transmission [--quick]\n  --quick  10 lots (CI smoke, debug build)";
    let quick = match bench::quick_flag("bench_transmission", usage) {
        Ok(quick) => quick,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bench_transmission: {e}");
            return ExitCode::FAILURE;
        }
    };
    let lots = if quick { 10 } else { 100 };
    bench::finish("bench_transmission", runtime.block_on(run(lots, quick)))
}

/// The lots: `lots` × 50 FSE over two caisses, signed, in lots.
fn make_lots(billing: &Billing, lots: usize) -> Result<(), String> {
    let day = format_date(paris_date(SystemClock.now()));
    let signer = fixture_signer().map_err(|e| e.to_string())?;
    for chunk in 0..lots / 2 {
        let drafts: Vec<_> = (0..100)
            .map(|i| {
                let mut d = draft(
                    chunk * 100 + i,
                    &day,
                    InsuranceNature::Maladie,
                    FseMode::SansVitale,
                    vec![ngap("C", "1", &[])],
                );
                d.organism.caisse = ["691", "751"][i % 2].to_owned();
                d.organism.centre = "0001".to_owned();
                d
            })
            .collect();
        let ids: Vec<i64> = billing
            .create_batch(&drafts, &passerelle_billing::samples::SampleRights, None)
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|r| r.map(|f| f.id).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        billing
            .sign_fse_batch(&signer, &ids)
            .map_err(|e| e.to_string())?;
        billing
            .build_and_sign_lots(&signer)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn run(lot_count: usize, quick: bool) -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let organisms: Vec<TestOrganism> = ["691", "751"]
        .iter()
        .map(|c| TestOrganism::create(work.path(), "01", c))
        .collect::<Result<_, _>>()?;
    let mut rig = MailRig::builder().mailbox(FROM, PASSWORD);
    for o in &organisms {
        rig = rig.mailbox(&o.address, &o.password);
    }
    let rig = rig.start().map_err(|e| e.to_string())?;
    let directory = work.path().join("organisms.toml");
    let entries: String = organisms
        .iter()
        .map(TestOrganism::directory_entry)
        .collect();
    std::fs::write(&directory, entries).map_err(|e| e.to_string())?;

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let billing = Arc::new(
        Billing::open(&work.path().join("store.sqlite3"), clock.clone())
            .map_err(|e| e.to_string())?,
    );
    eprintln!("[bench] set-up: {} lots of 50 FSE signed…", lot_count);
    make_lots(&billing, lot_count)?;
    let lots = billing.lots(None).map_err(|e| e.to_string())?;
    if lots.len() != lot_count || lots.iter().any(|l| l.invoice_count != 50) {
        return Err(format!(
            "expected {lot_count} lots of 50, got {}",
            lots.len()
        ));
    }
    let settings = MailSettings {
        practitioner: DURAND_BILLING.into(),
        from: FROM.into(),
        smtp: MailServer {
            host: rig.host().into(),
            port: rig.ports().submission,
            security: MailSecurity::Starttls,
            username: FROM.into(),
        },
        imap: None,
        oct: None,
        password_set: true,
    };
    billing
        .put_mail_settings(&settings)
        .map_err(|e| e.to_string())?;
    let passwords = Passwords::in_dir(work.path());
    passwords
        .store(DURAND_BILLING, &Secret::new(PASSWORD))
        .map_err(|e| e.to_string())?;
    let ca = rig.ca_pem().as_bytes().to_vec();

    // a. Building and encrypting alone.
    let dir = Directory::load(&directory).map_err(|e| e.to_string())?;
    let mut built = Vec::new();
    let started = Instant::now();
    for lot in &lots {
        let destination = dir.destination(&lot.organism).map_err(|e| e.to_string())?;
        let files = billing.lot_files(lot.id).map_err(|e| e.to_string())?;
        let id = format!("<bench-{}@cabinet-durand.test>", lot.id);
        let m = lot_message::build(lot, &files, FROM, &destination, &id, Mode::Test)
            .map_err(|e| e.to_string())?;
        built.push((destination.address, m.bytes));
    }
    let build_time = started.elapsed();

    // b. Postfix's acceptance alone, the same messages already built.
    let smtp = settings::smtp(&settings, PASSWORD, Some(&ca));
    let started = Instant::now();
    for (to, bytes) in &built {
        let envelope = Envelope::new(
            Some(FROM.parse().map_err(|e| format!("{e}"))?),
            vec![to.parse().map_err(|e| format!("{e}"))?],
        )
        .map_err(|e| e.to_string())?;
        passerelle_transmission::smtp::send(&smtp, &envelope, bytes)
            .await
            .map_err(|e| e.to_string())?;
    }
    let smtp_time = started.elapsed();

    // c. The whole outbox.
    let outbox = Outbox {
        billing: billing.clone(),
        clock,
        organisms_file: directory,
        passwords,
        extra_ca_pem: Some(ca),
        mode: Mode::Test,
        wake: Arc::new(tokio::sync::Notify::new()),
        events: Arc::new(|_| {}),
    };
    let started = Instant::now();
    billing
        .queue_signed_lots(None, AttemptReason::First)
        .map_err(|e| e.to_string())?;
    while outbox.round().await > 0 {}
    let outbox_time = started.elapsed();
    let sent = billing
        .lots(None)
        .map_err(|e| e.to_string())?
        .iter()
        .filter(|l| l.status == LotStatus::Sent)
        .count();
    if sent != lot_count {
        return Err(format!("{sent} lots sent of {lot_count}"));
    }
    rig.wait_delivered(2 * lot_count, Duration::from_secs(120))
        .map_err(|e| e.to_string())?;
    report(lot_count, quick, build_time, smtp_time, outbox_time);
    Ok(())
}

fn report(lots: usize, quick: bool, build: Duration, smtp: Duration, outbox: Duration) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rate = |d: Duration| lots as f64 / d.as_secs_f64();
    let share = build.as_secs_f64() / outbox.as_secs_f64();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "bench_transmission ({profile}{}): {lots} lots of 50 FSE",
        if quick { ", --quick" } else { "" }
    );
    println!(
        "a. building + encrypting alone        {:>9.1} ms  {:>7.1} lots/s  {:.2} ms a lot",
        ms(build),
        rate(build),
        ms(build) / lots as f64
    );
    println!(
        "b. Postfix accepting them alone (peer) {:>9.1} ms  {:>7.1} lots/s",
        ms(smtp),
        rate(smtp)
    );
    println!(
        "c. the whole outbox                    {:>9.1} ms  {:>7.1} lots/s  (×{:.2} of b)",
        ms(outbox),
        rate(outbox),
        outbox.as_secs_f64() / smtp.as_secs_f64()
    );
    println!(
        "   daemon's share of c (a / c)         {:>9.1} %",
        share * 100.0
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "transmission", "profile": profile, "quick": quick, "lots": lots,
            "build_ms": ms(build), "smtp_only_ms": ms(smtp), "outbox_ms": ms(outbox),
            "outbox_lots_per_s": rate(outbox), "smtp_only_lots_per_s": rate(smtp),
            "daemon_share": share,
        })
    );
}
