//! What the returns tests share: the organism's answers mailed to the practitioner, waits
//! on lots and FSE moving, and the event stream recorded in the background.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::DURAND_BILLING;
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{AttemptState, Fse, FseList, Lot, LotDetail, ReturnMail, ReturnMailList};
use passerelle_tests::organism::TestOrganism;
use passerelle_tests::organism_answers::{
    arl_text, send_raw, ArlAnswer, InvoiceAnswer, LotAnswer, ReturnMail as Answer,
};
use passerelle_tests::sse::{Resume, SseClient, SseEvent};
use passerelle_tests::Daemon;

use super::transmission::{MailSetup, FROM};

/// How long a return may take from the organism's SMTP to the daemon's store.
pub const FETCH: Duration = Duration::from_secs(60);

/// The ARL of `lot` for the mail `reference` (with angle brackets), dated `date`
/// (`YYYYMMDD`); `refusal` makes it negative.
pub fn arl_for(lot: &Lot, reference: &str, date: &str, refusal: Option<(&str, &str)>) -> Vec<u8> {
    arl_text(&ArlAnswer {
        lot: lot.number.clone(),
        organism: (
            lot.organism.regime.clone(),
            lot.organism.caisse.clone(),
            lot.organism.centre.clone(),
        ),
        practitioner: DURAND_BILLING.to_owned(),
        reference: reference.to_owned(),
        date: date.to_owned(),
        refusal: refusal.map(|(c, l)| (c.to_owned(), l.to_owned())),
    })
}

/// A return mail from `org` to the practitioner carrying `attachment` described as
/// `description`; its raw bytes.
pub fn answer_mail(
    org: &TestOrganism,
    id: &str,
    subject: &str,
    description: &str,
    attachment: Vec<u8>,
) -> Vec<u8> {
    Answer {
        from: org.address.clone(),
        to: FROM.to_owned(),
        subject: subject.to_owned(),
        message_id: format!("<{id}@{}>", org.address.split('@').nth(1).unwrap_or("test")),
        description: description.to_owned(),
        filename: if description.contains("ARL") {
            "arl.txt".into()
        } else {
            "retour.noemie".into()
        },
        attachment,
    }
    .build()
    .unwrap()
}

/// Sends `raw` from `org`'s mailbox to the practitioner's.
pub async fn mail_from(setup: &MailSetup, org: &TestOrganism, raw: &[u8]) {
    send_raw(&setup.rig, &org.address, &org.password, FROM, raw)
        .await
        .unwrap();
}

/// Polls `GET /v1/lots/{id}` until `pred` holds.
pub async fn wait_lot(
    daemon: &Daemon,
    id: i64,
    what: &str,
    pred: impl Fn(&LotDetail) -> bool,
) -> LotDetail {
    let deadline = Instant::now() + FETCH;
    loop {
        let detail: LotDetail = daemon.get_json(&format!("/v1/lots/{id}")).await.unwrap();
        if pred(&detail) {
            return detail;
        }
        assert!(
            Instant::now() < deadline,
            "lot {id}: {what} did not happen: {detail:#?}\nreturns: {:#?}\n{}",
            returns(daemon).await,
            daemon.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls the FSE until `pred` holds for them.
pub async fn wait_fse(daemon: &Daemon, what: &str, pred: impl Fn(&[Fse]) -> bool) -> Vec<Fse> {
    let deadline = Instant::now() + FETCH;
    loop {
        let list: FseList = daemon.get_json("/v1/fse").await.unwrap();
        if pred(&list.fse) {
            return list.fse;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen: {:#?}\nreturns: {:#?}\n{}",
            list.fse
                .iter()
                .map(|f| (&f.number, f.status))
                .collect::<Vec<_>>(),
            returns(daemon).await,
            daemon.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Polls `GET /v1/returns` until `pred` holds.
pub async fn wait_returns(
    daemon: &Daemon,
    what: &str,
    pred: impl Fn(&[ReturnMail]) -> bool,
) -> Vec<ReturnMail> {
    let deadline = Instant::now() + FETCH;
    loop {
        let got = returns(daemon).await;
        if pred(&got) {
            return got;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen: {got:#?}\n{}",
            daemon.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The return mails, newest first.
pub async fn returns(daemon: &Daemon) -> Vec<ReturnMail> {
    let list: ReturnMailList = daemon.get_json("/v1/returns").await.unwrap();
    list.returns
}

/// The event stream, read in the background from the start of the test.
pub struct Recorder {
    seen: Arc<Mutex<Vec<SseEvent>>>,
}

impl Recorder {
    /// Starts recording `daemon`'s events.
    pub async fn start(daemon: &Daemon) -> Recorder {
        let mut client = SseClient::connect(daemon, Resume::None).await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        tokio::spawn(async move {
            while let Ok(ev) = client.next_event(Duration::from_secs(3600)).await {
                sink.lock().unwrap().push(ev);
            }
        });
        Recorder { seen }
    }

    /// The events of type `kind`, waiting up to [`FETCH`] for the first (an event may follow
    /// the store's change it reports by a moment).
    pub async fn wait_for(&self, kind: &str) -> Vec<serde_json::Value> {
        let deadline = Instant::now() + FETCH;
        loop {
            let seen = self.of(kind);
            if !seen.is_empty() {
                return seen;
            }
            assert!(Instant::now() < deadline, "no {kind} event");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The events of type `kind` seen so far, as JSON.
    pub fn of(&self, kind: &str) -> Vec<serde_json::Value> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.event == kind)
            .map(|e| e.raw.clone())
            .collect()
    }
}

/// The mail server, the organisms, the two cards and the daemon with its mail settings.
pub async fn start_with_mail(
    dir: &passerelle_tests::TestDir,
) -> (MailSetup, passerelle_tests::TwoCards) {
    let setup = super::transmission::mail_setup(dir);
    let cards = passerelle_tests::TwoCards::start_with(
        dir,
        "vitale:martin-famille",
        "cps:durand-sage-femme",
        &[],
        &setup.config,
    )
    .await
    .unwrap();
    super::transmission::configure_mail(&cards.daemon, &setup.rig).await;
    (setup, cards)
}

/// The lots by caisse.
pub fn by_caisse(lots: &[Lot]) -> std::collections::BTreeMap<String, Lot> {
    lots.iter()
        .map(|l| (l.organism.caisse.clone(), l.clone()))
        .collect()
}

/// Caisse `caisse`'s organism mails the ARL of `lot` for the mail `reference`, under the
/// Message-ID local part `id`.
pub async fn send_arl(
    setup: &MailSetup,
    caisse: &str,
    id: &str,
    lot: &Lot,
    reference: &str,
    date: &str,
    refusal: Option<(&str, &str)>,
) {
    let org = &setup.organisms[caisse];
    let arl = arl_for(lot, reference, date, refusal);
    mail_from(setup, org, &answer_mail(org, id, "ARL", "IRIS/ARL", arl)).await;
}

/// Waits until `lot` is acknowledged.
pub async fn acknowledged(daemon: &Daemon, lot: &Lot) -> LotDetail {
    wait_lot(daemon, lot.id, "acknowledged", |d| {
        d.lot.status == passerelle_protocol::LotStatus::Acknowledged
    })
    .await
}

/// Today's billing (`per_caisse` FSE for each caisse) in lots, sent, and arrived at the
/// three organisms; the lots by caisse.
pub async fn a_day_sent(
    daemon: &Daemon,
    setup: &MailSetup,
    work: &std::path::Path,
    per_caisse: usize,
) -> std::collections::BTreeMap<String, Lot> {
    use passerelle_billing::Clock;
    let today = passerelle_billing::clock::format_date(passerelle_billing::clock::paris_date(
        passerelle_billing::SystemClock.now(),
    ));
    let lots = super::transmission::lots_of_a_day(daemon, &today, per_caisse).await;
    super::transmission::send_all(daemon).await;
    super::transmission::outbox_settled(daemon, FETCH).await;
    super::transmission::inboxes(setup, work, 3).await;
    by_caisse(&lots)
}

/// The Paris date `days_ahead` days from now, `YYYYMMDD`.
pub fn yyyymmdd(days_ahead: u64) -> String {
    let at = SystemClock.now() + time::Duration::days(days_ahead as i64);
    format_date(paris_date(at)).replace('-', "")
}

/// The NOEMIE invoice of `f`: its AMO part asked, `paid` paid on `date`, with `rejections`.
pub fn invoice(
    f: &Fse,
    paid: i64,
    date: Option<&str>,
    rejections: &[(&str, &str)],
) -> InvoiceAnswer {
    InvoiceAnswer {
        fse: f.number.parse().unwrap(),
        practitioner: DURAND_BILLING.to_owned(),
        payment_date: date.map(str::to_owned),
        amo: (f.amounts.amo_cents, paid),
        amc: None,
        rejections: rejections
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned()))
            .collect(),
    }
}

/// The NOEMIE return of `lot` holding `invoices`.
pub fn lot_answer(lot: &Lot, invoices: Vec<InvoiceAnswer>) -> LotAnswer {
    LotAnswer {
        lot: lot.number.parse().unwrap(),
        organism: (
            lot.organism.regime.clone(),
            lot.organism.caisse.clone(),
            lot.organism.centre.clone(),
        ),
        sender: DURAND_BILLING.to_owned(),
        invoices,
    }
}

/// The lot's latest attempt's Message-ID, once it is sent.
pub async fn sent_message_id(daemon: &Daemon, lot: &Lot, attempt: u32) -> String {
    let detail = wait_lot(daemon, lot.id, "attempt sent", |d| {
        d.attempts
            .iter()
            .any(|a| a.attempt == attempt && a.state == AttemptState::Sent)
    })
    .await;
    let a = detail
        .attempts
        .iter()
        .find(|a| a.attempt == attempt)
        .unwrap();
    a.message_id.clone()
}
