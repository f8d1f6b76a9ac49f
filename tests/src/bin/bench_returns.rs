//! Benchmark of the returns (not a test), no daemon, no mail server: a NOEMIE file of
//! 10,000 invoices parsed and reconciled against a SQLite store on disk holding their
//! 10,000 FSE — each invoice matched to its FSE, which is settled (paid, partly paid or
//! rejected) with its payment line, in one transaction. Goal ≤ 200 ms. The reconciliation
//! report of the period (every FSE, by organism and patient) is then computed and shown
//! apart, with the total.
//!
//! The floor, measured in the same run on a copy of the same store: the same 10,000 FSE
//! updates as bare rusqlite statements in one transaction (no parsing, no checks, no
//! report); the ratio says what the parser, the state table, the payment rows and the
//! report cost over the database work itself.
//!
//! The store is prepared once (FSE created, signed with a key-less signer, in lots, then
//! moved to `acknowledged` by the state table); each run applies the file to a fresh copy.
//!
//! `cargo run --release -p passerelle-tests --bin bench_returns -- [--quick]` or
//! `scripts/bench-returns`. Exit code 0 even when the goal is missed; non-zero when a
//! measurement could not be taken (or its result is wrong).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use passerelle_billing::clock::{format_date, Clock, SystemClock};
use passerelle_billing::reconcile::ReconcileFilter;
use passerelle_billing::returns::noemie::{
    self, InvoiceCode, Label, NoemieFile, NoemieHeader, NoemieInvoice, NoemieLot, Part, Rejection,
};
use passerelle_billing::returns::types::{
    CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism, ReasonCode,
};
use passerelle_billing::samples::{varied, DURAND_BILLING};
use passerelle_billing::store::{fse_rows, returns_rows::NewMail};
use passerelle_billing::{Billing, BillingSigner, SignError, SignerIdentity};
use passerelle_protocol::{CardKind, Fse, FseStatus, Lot, ReturnKind};
use passerelle_tests::bench;

const USAGE: &str =
    "usage: bench_returns [--quick]\n  --quick  1,000 invoices, one run (CI smoke, debug build)";

fn main() -> ExitCode {
    let quick = match bench::quick_flag("bench_returns", USAGE) {
        Ok(quick) => quick,
        Err(code) => return code,
    };
    let (invoices, runs) = if quick { (1_000, 1) } else { (10_000, 5) };
    bench::finish("bench_returns", run(invoices, runs, quick))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Signs nothing (setup only: the bench is about the returns), but gives the fixture CPS
/// certificate and signatures of the real size, so the stored FSE rows weigh what the
/// daemon's do.
struct NoRsa(SignerIdentity, Vec<u8>);

impl BillingSigner for NoRsa {
    fn identity(&self) -> SignerIdentity {
        self.0.clone()
    }
    fn sign_sha256(&self, _digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        Ok(vec![0; 256])
    }
    fn certificate_der(&self) -> Result<Vec<u8>, SignError> {
        Ok(self.1.clone())
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// A store with `n` FSE in acknowledged lots; its FSE and lots.
fn prepare(path: &Path, n: usize) -> Result<(Vec<Fse>, Vec<Lot>), String> {
    let billing = Billing::open(path, Arc::new(SystemClock)).map_err(err)?;
    let today = format_date(SystemClock.today());
    let drafts: Vec<_> = (0..n).map(|i| varied(i, &today)).collect();
    let mut ids = Vec::with_capacity(n);
    for (k, group) in drafts.chunks(500).enumerate() {
        for r in billing
            .create_batch(
                group,
                &passerelle_billing::samples::SampleRights,
                Some(&format!("bench-{k}")),
            )
            .map_err(err)?
        {
            ids.push(r.map_err(err)?.id);
        }
    }
    let certificate = passerelle_simcard::fixtures::keys("durand-sage-femme")
        .ok_or("no fixture keys for durand-sage-femme")?
        .sig_cert
        .to_vec();
    let signer = NoRsa(
        SignerIdentity::of(
            CardKind::Cps,
            &passerelle_billing::samples::durand(),
            true,
            true,
        ),
        certificate,
    );
    for chunk in ids.chunks(1000) {
        billing.sign_fse_batch(&signer, chunk).map_err(err)?;
    }
    let lots = billing.build_and_sign_lots(&signer).map_err(err)?;
    billing
        .store()
        .write(|tx| {
            for id in &ids {
                fse_rows::transition(tx, *id, FseStatus::Sent)?;
                fse_rows::transition(tx, *id, FseStatus::Acknowledged)?;
            }
            Ok(())
        })
        .map_err(err)?;
    let fse = billing
        .list(&passerelle_billing::FseFilter::default())
        .map_err(err)?;
    Ok((fse, lots))
}

/// The organisms' answer: every FSE settled, a third each paid, partly paid, rejected.
fn answer(fse: &[Fse], lots: &[Lot]) -> Result<NoemieFile, String> {
    let cents = |c: i64| Cents::new(c).map_err(err);
    let mut out = Vec::new();
    for lot in lots {
        let o = &lot.organism;
        let organism = Organism::new(&o.regime, &o.caisse, &o.centre).map_err(err)?;
        let mut invoices = Vec::new();
        for (i, f) in fse.iter().filter(|f| f.lot_id == Some(lot.id)).enumerate() {
            let amo = f.amounts.amo_cents;
            let (paid, rejections) = match i % 3 {
                0 => (amo, Vec::new()),
                1 => (amo / 2, vec![("P01", "Dépassement non remboursé")]),
                _ => (0, vec![("E0123", "Droits non ouverts")]),
            };
            invoices.push(NoemieInvoice {
                code: InvoiceCode::E102,
                fse: FseNumber::new(f.number.parse().map_err(err)?).map_err(err)?,
                practitioner: Digits::new(DURAND_BILLING).map_err(err)?,
                payment_date: (paid > 0)
                    .then(|| CalendarDate::from_ymd(2026, 12, 15))
                    .transpose()
                    .map_err(err)?,
                amo: Part {
                    requested: cents(amo)?,
                    paid: cents(paid)?,
                },
                amc: None,
                rejections: rejections
                    .into_iter()
                    .map(|(c, l)| {
                        Ok(Rejection {
                            code: ReasonCode::new(c).map_err(err)?,
                            label: Label::new(l).map_err(err)?,
                        })
                    })
                    .collect::<Result<_, String>>()?,
            });
        }
        out.push(NoemieLot {
            lot_number: LotNumber::new(lot.number.parse().map_err(err)?).map_err(err)?,
            organism,
            sender: Digits::new(DURAND_BILLING).map_err(err)?,
            invoices,
        });
    }
    Ok(NoemieFile::new(
        NoemieHeader {
            reference: Digits::new("580").map_err(err)?,
            emitter: Organism::new("01", "751", "0001").map_err(err)?,
            receiver: Digits::new(DURAND_BILLING).map_err(err)?,
            created: CalendarDate::from_ymd(2026, 12, 15).map_err(err)?,
            file_number: Digits::new("000001").map_err(err)?,
        },
        out,
    ))
}

/// Parse + apply + reconciliation on a fresh copy of the prepared store.
struct Run {
    parse: Duration,
    apply: Duration,
    report: Duration,
    total: Duration,
}

fn once(prepared: &Path, work: &Path, bytes: &[u8], n: usize) -> Result<Run, String> {
    std::fs::copy(prepared, work).map_err(err)?;
    let billing = Billing::open(work, Arc::new(SystemClock)).map_err(err)?;
    let mail = billing
        .keep_return_mail(&NewMail {
            practitioner: DURAND_BILLING,
            uid: Some((1, 1)),
            message_id: Some("<bench@751.01.rss.fr>"),
            sha256: "bench",
            sender: Some("01751@751.01.rss.fr"),
            subject: "NOEMIE",
            raw: b"(bench)",
            kind: ReturnKind::Noemie,
            now: "2026-12-15T10:00:00Z",
        })
        .map_err(err)?
        .ok_or("mail not kept")?;
    let start = Instant::now();
    let file = noemie::parse(bytes).map_err(err)?;
    let parse = start.elapsed();
    let done = billing.apply_noemie(mail, &file).map_err(err)?;
    let apply = start.elapsed() - parse;
    let report = billing
        .reconciliation(&ReconcileFilter::default(), 30)
        .map_err(err)?;
    let total = start.elapsed();
    if done.settled.len() != n || report.fse.len() != n {
        return Err(format!(
            "{} FSE settled, {} in the report, expected {n}",
            done.settled.len(),
            report.fse.len()
        ));
    }
    let t = &report.total;
    if t.billed_cents != t.paid_cents + t.rejected_cents + t.waiting_cents || t.waiting_cents != 0 {
        return Err(format!("the report does not add up: {t:?}"));
    }
    Ok(Run {
        parse,
        apply,
        report: total - parse - apply,
        total,
    })
}

/// The floor: the same FSE moves as bare SQL updates in one transaction.
fn floor(prepared: &Path, work: &Path, fse: &[Fse]) -> Result<Duration, String> {
    std::fs::copy(prepared, work).map_err(err)?;
    let mut conn = rusqlite::Connection::open(work).map_err(err)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(err)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(err)?;
    let start = Instant::now();
    let tx = conn.transaction().map_err(err)?;
    {
        let mut stmt = tx
            .prepare("UPDATE fse SET status = ?1 WHERE practitioner = ?2 AND number = ?3")
            .map_err(err)?;
        for (i, f) in fse.iter().enumerate() {
            let status = ["paid", "partly_paid", "rejected"][i % 3];
            let number: i64 = f.number.parse().map_err(err)?;
            stmt.execute(rusqlite::params![status, DURAND_BILLING, number])
                .map_err(err)?;
        }
    }
    tx.commit().map_err(err)?;
    Ok(start.elapsed())
}

fn median(mut d: Vec<Duration>) -> Duration {
    d.sort();
    d[d.len() / 2]
}

fn run(n: usize, runs: usize, quick: bool) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(err)?;
    let prepared = dir.path().join("prepared.sqlite3");
    let t = Instant::now();
    let (fse, lots) = prepare(&prepared, n)?;
    let setup = t.elapsed();
    let bytes = noemie::write(&answer(&fse, &lots)?);
    let mut results = Vec::new();
    let mut floors = Vec::new();
    for i in 0..runs {
        let work = dir.path().join(format!("run-{i}.sqlite3"));
        results.push(once(&prepared, &work, &bytes, n)?);
        let bare = dir.path().join(format!("floor-{i}.sqlite3"));
        floors.push(floor(&prepared, &bare, &fse)?);
    }
    let total = median(results.iter().map(|r| r.total).collect());
    let pick = |f: fn(&Run) -> Duration| median(results.iter().map(f).collect());
    let floor = median(floors);
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "bench_returns ({profile}{}): {n} invoices in {} lots, {} bytes; setup {:.0} ms",
        if quick { ", --quick" } else { "" },
        lots.len(),
        bytes.len(),
        ms(setup)
    );
    let goal = median(results.iter().map(|r| r.parse + r.apply).collect());
    let ok = goal.as_secs_f64() <= 0.2;
    let rows = [
        (
            format!(
                "NOEMIE of {n} invoices parsed + reconciled against the store (median of {runs})"
            ),
            ms(goal),
            "≤ 200 ms",
            if ok { "ok" } else { "MISSED" },
        ),
        (
            "   of which parse".to_owned(),
            ms(pick(|r| r.parse)),
            "-",
            "-",
        ),
        (
            "   of which matching + settling (FSE moves, payment rows; one transaction)".to_owned(),
            ms(pick(|r| r.apply)),
            "-",
            "-",
        ),
        (
            "then the period's reconciliation report (every FSE, groups)".to_owned(),
            ms(pick(|r| r.report)),
            "-",
            "-",
        ),
        ("all three".to_owned(), ms(total), "-", "-"),
        (
            format!("floor: {n} bare SQL updates, one transaction"),
            ms(floor),
            "-",
            "-",
        ),
    ];
    for (what, value, goal, verdict) in &rows {
        println!("{what:<80} {value:>9.1} ms  {goal:<9} {verdict}");
    }
    println!(
        "ratio of parse + reconciliation to the floor: ×{:.2}",
        goal.as_secs_f64() / floor.as_secs_f64().max(1e-9)
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "returns", "profile": profile, "quick": quick, "invoices": n,
            "goal_ms": ms(goal), "total_ms": ms(total), "parse_ms": ms(pick(|r| r.parse)),
            "apply_ms": ms(pick(|r| r.apply)), "report_ms": ms(pick(|r| r.report)),
            "floor_ms": ms(floor),
        })
    );
    Ok(())
}
