//! The crash test's bookkeeping: what the client was told, what it still waits for, and
//! the checks made after each restart against the API and the SQLite file.

use std::collections::{BTreeMap, BTreeSet};

use passerelle_protocol::{
    FseBatchResponse, FseList, FseSignResponse, FseStatus, LotList, Prescriber,
};
use passerelle_tests::Daemon;
use serde_json::Value;

/// xorshift64: reproducible from the printed seed.
pub struct Rng(pub u64);

impl Rng {
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A keyed request: where, with which key and body.
#[derive(Debug, Clone)]
pub struct Call {
    /// `/v1/fse`, `/v1/fse/sign` or `/v1/lots`.
    pub path: &'static str,
    /// Its `Idempotency-Key`.
    pub key: String,
    /// Its JSON body.
    pub body: Value,
}

/// What the client was told (200 answers) and what is still unanswered.
#[derive(Default, Clone)]
pub struct Ledger {
    /// Tag of each acknowledged FSE → its id.
    pub created: BTreeMap<u64, i64>,
    /// Acknowledged signatures.
    pub signed: BTreeSet<i64>,
    /// Acknowledged lots → number.
    pub lots: BTreeMap<i64, String>,
    /// Sent, no answer seen (the daemon died): sent again after the restart.
    pub pending: Vec<Call>,
    /// The last acknowledged creation and its ids, sent again after the next restart.
    pub last_create: Option<(Call, Vec<i64>)>,
    /// Last tag handed out (in a draft's prescriber id).
    pub next_tag: u64,
    /// Last idempotency key number handed out.
    pub next_key: u64,
    /// Requests sent again after a restart.
    pub retried: usize,
    /// Of which lot builds.
    pub retried_lots: usize,
    /// Of which batch signatures.
    pub retried_signs: usize,
    /// Requests stored before the kill but never answered: their retry found them.
    pub committed_unanswered: usize,
}

pub fn tag_of(prescriber: &Option<Prescriber>) -> u64 {
    prescriber.as_ref().unwrap().id[1..].parse().unwrap()
}

/// Records the answer to `call` in the ledger.
pub fn acknowledge(ledger: &mut Ledger, call: &Call, answer: Value) {
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

/// Whether what `call` asked for was already stored before it was sent again (the daemon
/// died after the commit, before the answer): the retry must have found it.
pub fn stored_before(call: &Call, answer: &Value, fse: &FseList, lots: &LotList) -> bool {
    let first = |v: &Value| v.as_array().and_then(|a| a.first()).cloned();
    match call.path {
        "/v1/fse" => first(&call.body["fse"])
            .and_then(|d| d["prescriber"]["id"].as_str().map(|t| t[1..].parse().ok()))
            .flatten()
            .is_some_and(|t: u64| fse.fse.iter().any(|f| tag_of(&f.prescriber) == t)),
        "/v1/fse/sign" => first(&call.body["fse"])
            .and_then(|id| id.as_i64())
            .is_some_and(|id| {
                fse.fse
                    .iter()
                    .any(|f| f.id == id && f.status != FseStatus::Draft)
            }),
        _ => first(&answer["lots"])
            .and_then(|l| l["id"].as_i64())
            .is_some_and(|id| lots.lots.iter().any(|l| l.id == id)),
    }
}

/// Everything the client was told is there, nothing twice, each lot holds its FSE.
pub async fn check(daemon: &Daemon, ledger: &Ledger) {
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
