//! Benchmark of the billing layer (not a test), no cards, no daemon:
//!
//! a. 1,000 FSE created (grouped requests of 50, as the API would), signed in one go with
//!    the fixture CPS key (signature désynchronisée) and put in signed lots, through the
//!    billing service with the SQLite store on disk (WAL, `synchronous=FULL`). Goal ≤ 2 s.
//!    The time spent inside the signer is measured in the same run and shown apart: with a
//!    real CPS the card computes each signature, so that share is the card's, not ours.
//! b. A 10,000-invoice lot formatted as B2 (pure function, median of runs). Goal ≤ 100 ms.
//!
//! `cargo run --release -p passerelle-tests --bin bench_billing -- [--quick]` or
//! `scripts/bench-billing`. Exit code 0 even when a goal is missed; non-zero when a
//! measurement could not be taken (or its result is wrong).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use passerelle_billing::b2::{self, LotHeader};
use passerelle_billing::clock::{format_date, Clock, SystemClock};
use passerelle_billing::samples::{draw, durand, varied, SampleRights, DURAND_BILLING};
use passerelle_billing::tariffs::Tariffs;
use passerelle_billing::{Billing, BillingSigner, FseFilter, KeySigner, SignError, SignerIdentity};
use passerelle_protocol::{CardKind, FseStatus};
use passerelle_tests::bench;

/// A [`KeySigner`] over the signature key of simulated card `key_id`'s test keys.
fn fixture_signer(key_id: &str, identity: SignerIdentity) -> Result<KeySigner, SignError> {
    let keys = passerelle_simcard::fixtures::keys(key_id)
        .ok_or_else(|| SignError(format!("clé de test inconnue {key_id:?}")))?;
    KeySigner::new(identity, keys.sig_key_pem, keys.sig_cert)
}

const USAGE: &str = "usage: bench_billing [--quick]\n  --quick  100 FSE and a 1,000-invoice lot (CI smoke, debug build)";

fn main() -> ExitCode {
    let quick = match bench::quick_flag("bench_billing", USAGE) {
        Ok(quick) => quick,
        Err(code) => return code,
    };
    let (fse_count, lot_size) = if quick { (100, 1_000) } else { (1_000, 10_000) };
    bench::finish("bench_billing", run(fse_count, lot_size, quick))
}

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "MISSED"
    }
}

/// A signer that does no RSA (fixed bytes): measures the billing layer and the store alone.
struct NoRsa(SignerIdentity, Vec<u8>);

impl BillingSigner for NoRsa {
    fn identity(&self) -> SignerIdentity {
        self.0.clone()
    }
    fn sign_sha256(&self, _digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        Ok(vec![0x5a; 256])
    }
    fn certificate_der(&self) -> Result<Vec<u8>, SignError> {
        Ok(self.1.clone())
    }
}

/// Wraps a signer and adds up the time spent in it, so one run splits into the signer's
/// share and the rest (billing layer + SQLite).
struct Timed<'a> {
    inner: &'a dyn BillingSigner,
    spent: std::cell::Cell<Duration>,
    count: std::cell::Cell<usize>,
}

impl BillingSigner for Timed<'_> {
    fn identity(&self) -> SignerIdentity {
        self.inner.identity()
    }
    fn sign_sha256(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        let t = Instant::now();
        let r = self.inner.sign_sha256(digest);
        self.spent.set(self.spent.get() + t.elapsed());
        self.count.set(self.count.get() + 1);
        r
    }
    fn certificate_der(&self) -> Result<Vec<u8>, SignError> {
        self.inner.certificate_der()
    }
}

/// Durations of one create → sign → lots run.
struct Pipeline {
    created: Duration,
    signed: Duration,
    total: Duration,
    lots: usize,
    /// Time inside the signer during the run, and how many signatures.
    in_signer: Duration,
    signatures: usize,
}

/// Creates `fse_count` FSE (grouped by 50), signs them all, builds the lots, in a new store
/// on disk; checks that every FSE ended in a lot and (with `verify`) the lot signatures.
fn pipeline(
    fse_count: usize,
    signer: &dyn BillingSigner,
    verify: bool,
) -> Result<Pipeline, String> {
    let signer = &Timed {
        inner: signer,
        spent: Default::default(),
        count: Default::default(),
    };
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let billing = Billing::open(
        &dir.path().join("passerelle.sqlite3"),
        Arc::new(SystemClock),
    )
    .map_err(|e| e.to_string())?;
    let today = format_date(SystemClock.today());
    let start = Instant::now();
    let mut ids = Vec::with_capacity(fse_count);
    let drafts: Vec<_> = (0..fse_count).map(|i| varied(i, &today)).collect();
    for (n, group) in drafts.chunks(50).enumerate() {
        let out = billing
            .create_batch(group, &SampleRights, Some(&format!("bench-{n}")))
            .map_err(|e| e.to_string())?;
        for r in out {
            ids.push(r.map_err(|e| e.to_string())?.id);
        }
    }
    let created = start.elapsed();
    let signed = billing
        .sign_fse_batch(signer, &ids)
        .map_err(|e| e.to_string())?;
    if let Some(Err(e)) = signed.iter().find(|r| r.is_err()) {
        return Err(format!("signing: {e}"));
    }
    let after_sign = start.elapsed();
    let lots = billing
        .build_and_sign_lots(signer)
        .map_err(|e| e.to_string())?;
    let total = start.elapsed();
    let in_lot = billing
        .list(&FseFilter {
            status: Some("in_lot".into()),
            ..FseFilter::default()
        })
        .map_err(|e| e.to_string())?;
    if in_lot.len() != fse_count || in_lot.iter().any(|f| f.status != FseStatus::InLot) {
        return Err(format!(
            "{} FSE in lots, expected {fse_count}",
            in_lot.len()
        ));
    }
    if verify {
        for lot in &lots {
            billing
                .verify_lot_signature(lot.id)
                .map_err(|e| e.to_string())?;
        }
    }
    let integrity = billing
        .store()
        .integrity_check()
        .map_err(|e| e.to_string())?;
    if integrity != "ok" {
        return Err(format!("integrity_check: {integrity}"));
    }
    Ok(Pipeline {
        created,
        signed: after_sign - created,
        total,
        lots: lots.len(),
        in_signer: signer.spent.get(),
        signatures: signer.count.get(),
    })
}

fn run(fse_count: usize, lot_size: usize, quick: bool) -> Result<(), String> {
    let identity = SignerIdentity::of(CardKind::Cps, &durand(), true, true);
    let signer =
        fixture_signer("durand-sage-femme", identity.clone()).map_err(|e| e.to_string())?;
    let certificate = signer.certificate_der().map_err(|e| e.to_string())?;
    let today = format_date(SystemClock.today());

    // a. create → sign → lots, with the fixture key, then without RSA.
    let a = pipeline(fse_count, &signer, true)?;
    let bare = pipeline(fse_count, &NoRsa(identity, certificate), false)?;
    let t = Instant::now();
    for _ in 0..50 {
        signer.sign_sha256(&[7; 32]).map_err(|e| e.to_string())?;
    }
    let one_signature = t.elapsed() / 50;

    // b. B2 of one big lot.
    let tariffs = Tariffs::embedded()?;
    let mut invoices = Vec::with_capacity(lot_size);
    for i in 0..lot_size {
        let mut f =
            draw(&tariffs, &varied(i, &today), SystemClock.today()).map_err(|e| e.to_string())?;
        f.number = format!("{:09}", i + 1);
        invoices.push(f);
    }
    let header = LotHeader {
        practitioner: DURAND_BILLING.to_owned(),
        lot_number: 1,
        organism: invoices[0].organism.clone(),
        created: SystemClock.now(),
    };
    let mut runs = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        bytes = b2::write_lot(&header, &invoices).map_err(|e| e.to_string())?;
        runs.push(t.elapsed());
    }
    runs.sort();
    let b2_median = runs[runs.len() / 2];
    let t = Instant::now();
    let summary = b2::check(&bytes).map_err(|e| e.to_string())?;
    let check_time = t.elapsed();
    if summary.invoices != lot_size {
        return Err(format!(
            "B2 holds {} invoices, expected {lot_size}",
            summary.invoices
        ));
    }

    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "bench_billing ({profile}{})",
        if quick { ", --quick" } else { "" }
    );
    let (total, lots) = (a.total, a.lots);
    let rows = [
        (
            format!("a. {fse_count} FSE created + signed + in {lots} lots (on disk)"),
            ms(total),
            "≤ 2000 ms",
            verdict(total.as_secs_f64() <= 2.0),
        ),
        (
            format!(
                "   of which creation ({} grouped requests)",
                fse_count.div_ceil(50)
            ),
            ms(a.created),
            "-",
            "-",
        ),
        (
            format!("   of which {fse_count} FSE signatures + store"),
            ms(a.signed),
            "-",
            "-",
        ),
        (
            "   of which lots (B2 + lot signatures + store)".to_owned(),
            ms(total - a.created - a.signed),
            "-",
            "-",
        ),
        (
            "   one fixture RSA-2048 signature, rsa crate (mean of 50)".to_owned(),
            ms(one_signature),
            "-",
            "-",
        ),
        (
            format!(
                "   of which inside the signer ({} RSA signatures)",
                a.signatures
            ),
            ms(a.in_signer),
            "-",
            "-",
        ),
        (
            "   of which billing layer + SQLite (total - signer)".to_owned(),
            ms(total - a.in_signer),
            "≤ 2000 ms",
            verdict((total - a.in_signer).as_secs_f64() <= 2.0),
        ),
        (
            "a'. the same without RSA (billing layer + store alone)".to_owned(),
            ms(bare.total),
            "-",
            "-",
        ),
        (
            format!(
                "b. B2 of a {lot_size}-invoice lot ({} bytes, median of 5)",
                bytes.len()
            ),
            ms(b2_median),
            "≤ 100 ms",
            verdict(b2_median.as_secs_f64() <= 0.1),
        ),
        (
            "   reading it back and checking totals (info)".to_owned(),
            ms(check_time),
            "-",
            "-",
        ),
    ];
    for (what, value, goal, ok) in &rows {
        println!("{what:<62} {value:>9} ms  {goal:<10} {ok}");
    }
    println!(
        "{}",
        serde_json::json!({
            "bench": "billing", "profile": profile, "quick": quick,
            "fse": fse_count, "lots": lots, "total_ms": ms(total), "create_ms": ms(a.created),
            "sign_ms": ms(a.signed), "lots_ms": ms(total - a.created - a.signed),
            "signature_ms": ms(one_signature), "without_rsa_ms": ms(bare.total),
            "in_signer_ms": ms(a.in_signer), "signatures": a.signatures,
            "billing_and_store_ms": ms(total - a.in_signer),
            "b2_invoices": lot_size, "b2_ms": ms(b2_median), "b2_check_ms": ms(check_time),
        })
    );
    Ok(())
}
