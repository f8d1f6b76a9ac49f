//! Crash safety of billing: the daemon (simulated backend) is killed with SIGKILL at random
//! points, at least 100 times, while FSE are created (with `Idempotency-Key`), signed by
//! the simulated CPS and put in lots. After each restart the PIN is verified again through
//! the API, the requests that got no answer are sent again with the same key, and:
//! every acknowledged FSE, signature and lot is there; no FSE exists twice (each draft
//! carries a unique tag in its prescriber id); a retried request answers what the first
//! one made; each lot holds exactly its FSE; SQLite's `integrity_check` says ok. At the
//! end, no FSE number appears in two B2 files.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::billing::parse_b2;
use passerelle_agent::billing::clock::{format_date, paris_date};
use passerelle_agent::billing::samples::varied;
use passerelle_agent::billing::{Clock, SystemClock};
use passerelle_protocol::{
    FseBatchResponse, FseList, FseSignResponse, FseStatus, LotList, Prescriber,
};
use passerelle_tests::{proc, Backend, Daemon, TestDir};
use serde_json::{json, Value};

const CPS: &str = "Passerelle lecteur simulé 1";
const KILLS: usize = 100;

/// xorshift64: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A keyed request: where, with which key and body.
#[derive(Debug, Clone)]
struct Call {
    path: &'static str,
    key: String,
    body: Value,
}

/// What the client was told (200 answers) and what is still unanswered.
#[derive(Default, Clone)]
struct Ledger {
    /// Tag of each acknowledged FSE → its id.
    created: BTreeMap<u64, i64>,
    /// Acknowledged signatures.
    signed: BTreeSet<i64>,
    /// Acknowledged lots → number.
    lots: BTreeMap<i64, String>,
    /// Sent, no answer seen (the daemon died): sent again after the restart.
    pending: Vec<Call>,
    /// The last acknowledged creation and its ids, sent again after the next restart.
    last_create: Option<(Call, Vec<i64>)>,
    next_tag: u64,
    next_key: u64,
    retried: usize,
    /// Creations stored before the kill but never answered: their retry found them.
    committed_unanswered: usize,
}

fn tag_of(prescriber: &Option<Prescriber>) -> u64 {
    prescriber.as_ref().unwrap().id[1..].parse().unwrap()
}

/// Sends `call`; `Err` when the daemon gave no answer (killed).
async fn send(client: &reqwest::Client, base: &str, call: &Call) -> Result<Value, String> {
    let resp = client
        .post(format!("{base}{}", call.path))
        .header("Idempotency-Key", &call.key)
        .json(&call.body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let text = resp.text().await.map_err(|e| e.to_string())?;
    assert_eq!(status, 200, "{call:?} → {text}");
    Ok(serde_json::from_str(&text).unwrap())
}

/// Records the answer to `call` in the ledger.
fn acknowledge(ledger: &mut Ledger, call: &Call, answer: Value) {
    match call.path {
        "/v1/fse" => {
            let r: FseBatchResponse = serde_json::from_value(answer).unwrap();
            let mut ids = Vec::new();
            for o in r.results {
                let fse = o.fse.unwrap_or_else(|| panic!("refused: {:?}", o.error));
                let tag = tag_of(&fse.prescriber);
                let known = *ledger.created.entry(tag).or_insert(fse.id);
                assert_eq!(known, fse.id, "a retry answers the FSE made the first time");
                ids.push(fse.id);
            }
            ledger.last_create = Some((call.clone(), ids));
        }
        "/v1/fse/sign" => {
            let r: FseSignResponse = serde_json::from_value(answer).unwrap();
            for fse in r.results.into_iter().filter_map(|o| o.fse) {
                assert!(fse.status != FseStatus::Draft);
                ledger.signed.insert(fse.id);
            }
        }
        _ => {
            let r: LotList = serde_json::from_value(answer).unwrap();
            for lot in r.lots {
                let known = ledger.lots.entry(lot.id).or_insert(lot.number.clone());
                assert_eq!(*known, lot.number);
            }
        }
    }
}

/// Creates, signs and builds lots until a request gets no answer.
async fn workload(
    client: reqwest::Client,
    base: String,
    ledger: Arc<Mutex<Ledger>>,
    mut rng: Rng,
    mut drafts: Vec<i64>,
) {
    let day = format_date(paris_date(SystemClock.now()));
    loop {
        let call = {
            let mut l = ledger.lock().unwrap();
            l.next_key += 1;
            let key = format!("k{}", l.next_key);
            let call = match rng.below(10) {
                0..=5 => {
                    let n = 1 + rng.below(3);
                    let fse: Vec<_> = (0..n)
                        .map(|_| {
                            l.next_tag += 1;
                            let mut d = varied(l.next_tag as usize, &day);
                            d.prescriber = Some(Prescriber {
                                id: format!("1{:010}", l.next_tag),
                                date: day.clone(),
                            });
                            d
                        })
                        .collect();
                    Call {
                        path: "/v1/fse",
                        key,
                        body: json!({ "fse": fse }),
                    }
                }
                6..=8 => {
                    let n = drafts.len().min(1 + rng.below(8) as usize);
                    let ids: Vec<i64> = drafts.drain(..n).collect();
                    Call {
                        path: "/v1/fse/sign",
                        key,
                        body: json!({ "reader": CPS, "fse": ids }),
                    }
                }
                _ => Call {
                    path: "/v1/lots",
                    key,
                    body: json!({ "reader": CPS }),
                },
            };
            l.pending.push(call.clone());
            call
        };
        let Ok(answer) = send(&client, &base, &call).await else {
            return;
        };
        let mut l = ledger.lock().unwrap();
        l.pending.retain(|c| c.key != call.key);
        if call.path == "/v1/fse" {
            let r: FseBatchResponse = serde_json::from_value(answer.clone()).unwrap();
            drafts.extend(
                r.results
                    .iter()
                    .filter_map(|o| o.fse.as_ref().map(|f| f.id)),
            );
        }
        acknowledge(&mut l, &call, answer);
    }
}

/// Everything the client was told is there, nothing twice, each lot holds its FSE.
async fn check(daemon: &Daemon, ledger: &Ledger) {
    let list: FseList = daemon.get_json("/v1/fse?limit=10000").await.unwrap();
    let mut by_tag: BTreeMap<u64, Vec<i64>> = BTreeMap::new();
    for f in &list.fse {
        by_tag.entry(tag_of(&f.prescriber)).or_default().push(f.id);
    }
    assert!(
        by_tag.values().all(|ids| ids.len() == 1),
        "an FSE made twice: {by_tag:?}"
    );
    for (tag, id) in &ledger.created {
        assert_eq!(
            by_tag.get(tag),
            Some(&vec![*id]),
            "acknowledged FSE {id} lost"
        );
    }
    let status: BTreeMap<i64, (FseStatus, Option<i64>)> = list
        .fse
        .iter()
        .map(|f| (f.id, (f.status, f.lot_id)))
        .collect();
    for id in &ledger.signed {
        assert!(
            matches!(status[id].0, FseStatus::Signed | FseStatus::InLot),
            "signature of {id} lost"
        );
    }
    let lots: LotList = daemon.get_json("/v1/lots").await.unwrap();
    let numbers: BTreeMap<i64, String> =
        lots.lots.iter().map(|l| (l.id, l.number.clone())).collect();
    for (id, number) in &ledger.lots {
        assert_eq!(numbers.get(id), Some(number), "acknowledged lot {id} lost");
    }
    for lot in &lots.lots {
        let members = status.values().filter(|(_, l)| *l == Some(lot.id)).count();
        assert_eq!(members, lot.invoice_count as usize, "lot {}", lot.id);
    }
    for (id, (st, lot)) in &status {
        assert_eq!(
            *st == FseStatus::InLot,
            lot.is_some(),
            "FSE {id}: {st:?} {lot:?}"
        );
    }
    let db = rusqlite::Connection::open_with_flags(
        daemon.data_dir().join("passerelle.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let ok: String = db
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn billing_survives_sigkill_at_random_points() {
    let dir = TestDir::new("billing_survives_sigkill_at_random_points");
    let mut daemon = Daemon::start(&dir, Backend::Simulated).await.unwrap();
    let seed = std::env::var("PASSERELLE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 * 2_654_435_761 + 1);
    eprintln!("crash test seed {seed} (PASSERELLE_CRASH_SEED to replay)");
    let mut rng = Rng(seed);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let started = Instant::now();
    let pin = format!("/v1/readers/{}/pin/verify", CPS.replace(' ', "%20"));
    for kill in 0..=KILLS {
        // The simulated card forgot its PIN with the daemon: verify it again.
        let _: Value = daemon
            .post_json(&pin, &json!({ "pin": "4729" }))
            .await
            .unwrap();
        let (pending, again) = {
            let mut l = ledger.lock().unwrap();
            (std::mem::take(&mut l.pending), l.last_create.take())
        };
        let (client, base) = (daemon.client(), daemon.base_url());
        let before: FseList = daemon.get_json("/v1/fse?limit=10000").await.unwrap();
        let stored: BTreeSet<u64> = before.fse.iter().map(|f| tag_of(&f.prescriber)).collect();
        for call in &pending {
            if call.path == "/v1/fse" {
                let first = &call.body["fse"][0]["prescriber"]["id"];
                let tag = first.as_str().and_then(|t| t[1..].parse().ok());
                if tag.is_some_and(|t| stored.contains(&t)) {
                    ledger.lock().unwrap().committed_unanswered += 1;
                }
            }
            let answer = send(&client, &base, call).await.unwrap();
            let mut l = ledger.lock().unwrap();
            l.retried += 1;
            acknowledge(&mut l, call, answer);
        }
        if let Some((call, ids)) = again {
            let answer = send(&client, &base, &call).await.unwrap();
            let r: FseBatchResponse = serde_json::from_value(answer).unwrap();
            let same: Vec<i64> = r
                .results
                .iter()
                .map(|o| o.fse.as_ref().unwrap().id)
                .collect();
            assert_eq!(
                same, ids,
                "a creation sent again with its key makes nothing new"
            );
        }
        let snapshot = ledger.lock().unwrap().clone();
        check(&daemon, &snapshot).await;
        if kill == KILLS {
            break;
        }
        let drafts: FseList = daemon
            .get_json("/v1/fse?status=draft&limit=10000")
            .await
            .unwrap();
        let drafts = drafts.fse.iter().map(|f| f.id).collect();
        let work = tokio::spawn(workload(
            client,
            base,
            ledger.clone(),
            Rng(rng.below(u64::MAX) | 1),
            drafts,
        ));
        tokio::time::sleep(Duration::from_millis(rng.below(151))).await;
        proc::signal(daemon.pid().unwrap(), libc::SIGKILL);
        work.await.unwrap();
        daemon.restart().await.unwrap();
    }
    // No FSE in two lots: each B2 file lists its invoices, no number twice.
    let lots: LotList = daemon.get_json("/v1/lots").await.unwrap();
    let mut seen = BTreeSet::new();
    for lot in &lots.lots {
        let b2 = daemon
            .client()
            .get(daemon.url(&format!("/v1/lots/{}/b2", lot.id)))
            .send()
            .await
            .unwrap();
        let (_, invoices, total, _) = parse_b2(&b2.bytes().await.unwrap());
        assert_eq!(total, lot.total_cents);
        for number in invoices.keys() {
            assert!(seen.insert(number.clone()), "FSE {number} in two lots");
        }
    }
    let l = ledger.lock().unwrap();
    eprintln!(
        "{KILLS} kills in {:.1} s: {} FSE acknowledged, {} signatures, {} lots ({} in all), {} requests sent again ({} creations stored before the kill, unanswered)",
        started.elapsed().as_secs_f64(),
        l.created.len(),
        l.signed.len(),
        l.lots.len(),
        lots.lots.len(),
        l.retried,
        l.committed_unanswered
    );
    assert!(!l.lots.is_empty() && !l.signed.is_empty() && l.retried > 0);
}
