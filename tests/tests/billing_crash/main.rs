//! Crash safety of billing: the daemon (simulated backend) is killed with SIGKILL at random
//! points, at least 100 times, while FSE are created (with `Idempotency-Key`), signed by
//! the simulated CPS and put in lots. After each restart the PIN is verified again through
//! the API, the requests that got no answer are sent again with the same key, and:
//! every acknowledged FSE, signature and lot is there; no FSE exists twice (each draft
//! carries a unique tag in its prescriber id); a retried request answers what the first
//! one made; each lot holds exactly its FSE; SQLite's `integrity_check` says ok. At the
//! end, no FSE number appears in two B2 files.

#[path = "../common/mod.rs"]
mod common;
mod ledger;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::billing::parse_b2;
use ledger::{acknowledge, check, stored_before, Call, Ledger, Rng};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{unread, varied};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{FseBatchResponse, FseList, LotList, Prescriber};
use passerelle_tests::{proc, Backend, Daemon, TestDir};
use serde_json::{json, Value};

const CPS: &str = "Passerelle lecteur simulé 1";
const KILLS: usize = 100;

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
                            let mut d = unread(varied(l.next_tag as usize, &day));
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

#[tokio::test(flavor = "multi_thread")]
async fn billing_survives_sigkill_at_random_points() {
    let dir = TestDir::new("billing_survives_sigkill_at_random_points");
    // The test hammers the API on purpose: the per-client rate limit is not what it checks.
    let unlimited =
        "[security]\nrate_limit_per_second = 1000000000\nrate_limit_burst = 1000000000\n";
    let mut daemon = Daemon::start_with(&dir, Backend::Simulated, unlimited)
        .await
        .unwrap();
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
        // The daemon answers before its simulated readers are listed: wait for the CPS
        // (without this, the PIN verification could get `reader_not_found`).
        daemon
            .wait_readers("the CPS identified", Duration::from_secs(10), |l| {
                l.readers.iter().any(|r| r.name == CPS && r.card.is_some())
            })
            .await
            .unwrap();
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
        let lots_before: LotList = daemon.get_json("/v1/lots").await.unwrap();
        for call in &pending {
            let answer = send(&client, &base, call).await.unwrap();
            let mut l = ledger.lock().unwrap();
            l.retried += 1;
            match call.path {
                "/v1/lots" => l.retried_lots += 1,
                "/v1/fse/sign" => l.retried_signs += 1,
                _ => {}
            }
            if stored_before(call, &answer, &before, &lots_before) {
                l.committed_unanswered += 1;
            }
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
        assert_eq!(b2.status(), 200, "lot {}", lot.id);
        let (_, invoices, total, _) = parse_b2(&b2.bytes().await.unwrap());
        assert_eq!(total, lot.total_cents);
        for number in invoices.keys() {
            assert!(seen.insert(number.clone()), "FSE {number} in two lots");
        }
    }
    let l = ledger.lock().unwrap();
    eprintln!(
        "{KILLS} kills in {:.1} s: {} FSE acknowledged, {} signatures, {} lots ({} in all), {} requests sent again ({} signatures, {} lot builds; {} of all stored before the kill, unanswered)",
        started.elapsed().as_secs_f64(),
        l.created.len(),
        l.signed.len(),
        l.lots.len(),
        lots.lots.len(),
        l.retried,
        l.retried_signs,
        l.retried_lots,
        l.committed_unanswered
    );
    assert!(
        !l.lots.is_empty() && !l.signed.is_empty() && l.retried_lots > 0 && l.retried_signs > 0
    );
}
