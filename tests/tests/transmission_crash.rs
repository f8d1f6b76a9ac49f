//! Crash safety of lot transmission: lots are sent through a real Postfix while the daemon
//! (simulated readers) is killed with SIGKILL at random points, at least 50 times. After
//! each restart the outbox goes on by itself; at the end the client sends whatever it never
//! got an answer for, the outbox drains, and each test organism reads its mailbox:
//! every lot the API accepted for sending arrived, each lot under exactly one Message-ID
//! (never as two different lots). A message the server took just before a kill is sent
//! again with the same Message-ID: those repeats are counted and reported.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::billing::parse_b2;
use common::transmission::{configure_mail, inboxes, mail_setup, outbox_settled, send_all};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{draft, ngap};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    FseBatchResponse, FseList, FseMode, InsuranceNature, Lot, LotList, LotStatus,
};
use passerelle_tests::{proc, Backend, Daemon, TestDir};
use serde_json::{json, Value};

const CPS: &str = "Passerelle lecteur simulé 1";
const KILLS: usize = 50;
const ROUNDS: usize = 20;

/// xorshift64, reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// `ROUNDS` rounds of FSE for the three caisses, signed, then put in lots: 3 lots a round.
async fn make_lots(daemon: &Daemon) -> Vec<Lot> {
    let day = format_date(paris_date(SystemClock.now()));
    let pin = format!("/v1/readers/{}/pin/verify", CPS.replace(' ', "%20"));
    let _: Value = daemon
        .post_json(&pin, &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let mut lots = Vec::new();
    for round in 0..ROUNDS {
        let drafts: Vec<_> = (0..6)
            .map(|i| {
                let mut d = draft(
                    round * 6 + i,
                    &day,
                    InsuranceNature::Maladie,
                    FseMode::SansVitale,
                    vec![ngap("C", "1", &[])],
                );
                // Declared rights: the organism is the test's own, one centre a caisse.
                d.organism.caisse = common::transmission::CAISSES[i % 3].to_owned();
                d.organism.centre = "0001".into();
                d
            })
            .collect();
        let created: FseBatchResponse = daemon
            .post_json("/v1/fse", &json!({ "fse": drafts }))
            .await
            .unwrap();
        let ids: Vec<i64> = created
            .results
            .iter()
            .map(|r| r.fse.as_ref().unwrap().id)
            .collect();
        let _: Value = daemon
            .post_json("/v1/fse/sign", &json!({ "reader": CPS, "fse": ids }))
            .await
            .unwrap();
        let built: LotList = daemon
            .post_json("/v1/lots", &json!({ "reader": CPS }))
            .await
            .unwrap();
        lots.extend(built.lots);
    }
    lots
}

/// Asks to send lots one by one (in a random order) until a request gets no answer; the
/// lots whose sending the API accepted go to `accepted`.
async fn workload(
    daemon_base: String,
    client: reqwest::Client,
    order: Vec<i64>,
    accepted: Arc<Mutex<BTreeSet<i64>>>,
) {
    for id in order {
        let resp = client
            .post(format!("{daemon_base}/v1/lots/{id}/send"))
            .json(&json!({}))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        match resp {
            Ok(r) if r.status() == 202 => {
                accepted.lock().unwrap().insert(id);
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                panic!("sending lot {id}: {status} {text}");
            }
            Err(_) => return,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn transmission_survives_sigkill_at_random_points() {
    let dir = TestDir::new("transmission_survives_sigkill_at_random_points");
    let setup = mail_setup(&dir);
    let config = format!(
        "{}\n[security]\nrate_limit_per_second = 1000000000\nrate_limit_burst = 1000000000\n",
        setup.config
    );
    let mut daemon = Daemon::start_with(&dir, Backend::Simulated, &config)
        .await
        .unwrap();
    configure_mail(&daemon, &setup.rig).await;
    let lots = make_lots(&daemon).await;
    assert_eq!(lots.len(), ROUNDS * 3);
    let seed = std::env::var("PASSERELLE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64 * 2_654_435_761 + 1);
    eprintln!("transmission crash test seed {seed} (PASSERELLE_CRASH_SEED to replay)");
    let mut rng = Rng(seed);
    let accepted = Arc::new(Mutex::new(BTreeSet::new()));
    let started = Instant::now();
    let mut unsent: Vec<i64> = lots.iter().map(|l| l.id).collect();
    for _ in 0..KILLS {
        // A few lots to send this round, in a random order.
        let take = (1 + rng.below(3) as usize).min(unsent.len());
        let mut order: Vec<i64> = unsent.drain(..take).collect();
        if order.len() > 1 && rng.below(2) == 0 {
            order.reverse();
        }
        let work = tokio::spawn(workload(
            daemon.base_url(),
            daemon.client(),
            order,
            accepted.clone(),
        ));
        tokio::time::sleep(Duration::from_millis(rng.below(250))).await;
        proc::signal(daemon.pid().unwrap(), libc::SIGKILL);
        work.await.unwrap();
        daemon.restart().await.unwrap();
    }
    // The client sends again what it got no answer for (and the lots never asked), then
    // the outbox drains.
    send_all(&daemon).await;
    let outbox = outbox_settled(&daemon, Duration::from_secs(120)).await;
    let lots_now: LotList = daemon.get_json("/v1/lots").await.unwrap();
    assert!(
        lots_now.lots.iter().all(|l| l.status == LotStatus::Sent),
        "{:#?}",
        lots_now
            .lots
            .iter()
            .filter(|l| l.status != LotStatus::Sent)
            .collect::<Vec<_>>()
    );

    // What the organisms received: each lot under one Message-ID only.
    let fse: FseList = daemon.get_json("/v1/fse?limit=10000").await.unwrap();
    let lot_of: BTreeMap<&str, i64> = fse
        .fse
        .iter()
        .map(|f| (f.number.as_str(), f.lot_id.unwrap()))
        .collect();
    let got = inboxes(&setup, dir.path(), lots.len()).await;
    let mut ids_per_lot: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    let mut repeats = 0;
    for inbox in got.values() {
        repeats += inbox.repeats();
        for (message_id, msg) in &inbox.messages {
            let (_, invoices, _, _) = parse_b2(&msg.b2);
            let lot_ids: BTreeSet<i64> = invoices.keys().map(|n| lot_of[n.as_str()]).collect();
            assert_eq!(lot_ids.len(), 1, "a message holds one lot");
            ids_per_lot
                .entry(*lot_ids.iter().next().unwrap())
                .or_default()
                .insert(message_id.clone());
        }
    }
    for lot in &lots {
        let ids = ids_per_lot.get(&lot.id).cloned().unwrap_or_default();
        assert_eq!(ids.len(), 1, "lot {} arrived as {ids:?}", lot.id);
    }
    let accepted = accepted.lock().unwrap();
    assert!(!accepted.is_empty());
    assert!(accepted.iter().all(|id| ids_per_lot.contains_key(id)));
    eprintln!(
        "{KILLS} kills in {:.1} s: {} lots, {} accepted for sending before a kill, {} attempts \
         in the outbox, {repeats} message(s) received twice under the same Message-ID",
        started.elapsed().as_secs_f64(),
        lots.len(),
        accepted.len(),
        outbox.attempts.len()
    );
}
