//! The demo billing page (`clients/demo/`) in headless Chromium, served from another https
//! origin, against the daemon behind the real pcscd: it pairs (approved through the CLI),
//! lists the readers and keeps the list live from the event stream (the CPS is inserted
//! while the page is open), reads the Vitale and the CPS, verifies the CPS PIN typed in its
//! form (a wrong one first: the French refusal is shown), then makes three FSE, each signed
//! with the CPS, the Vitale swapped in its reader between them: an act in relation with the
//! ALD on the Martin card (100 %), a maternity FSE (100 %, the card's maternity period), a
//! C2S patient in tiers payant intégral; the rights come from the card the daemon read,
//! the parts from the daemon. Then the page builds the lots, signs them with the CPS and
//! sends them through the real Postfix (the outbox followed from the event stream); the
//! test organisms answer each lot's ARL and NOEMIE return (every FSE paid), and the page
//! shows the lots acknowledged and the reconciliation settled, from the event stream alone.
//! What the page showed is compared with what the daemon says
//! through the API (each FSE and its parts, the PIN state, the audit log); no URL the page
//! requests carries the token, and the event stream sends it as a header. Driven by
//! `clients/demo/e2e.mjs` (playwright-core, Debian's `/usr/bin/chromium`); screenshots in
//! `tests/artifacts/browser_demo_page_bills_with_live_readers/`: `demo-waiting-cps.png`
//! (the CPS reader still empty), `demo-1.png` to `demo-3.png` (each FSE signed),
//! `demo-sent.png` (the lots accepted by the mail server) and `demo.png` (paid).
//!
//! Runs only with `PASSERELLE_BROWSER_TESTS=1` (set by `scripts/test-clients`, which
//! installs the npm packages and builds the TypeScript client first).

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use common::returns::{
    answer_mail, invoice, lot_answer, mail_from, send_arl, sent_message_id, yyyymmdd,
};
use common::route;
use common::transmission::{configure_mail, mail_setup, MailSetup};
use passerelle_billing::samples::DURAND_BILLING;
use passerelle_protocol::{
    AuditPage, Fse, FseList, FseStatus, LotList, LotStatus, PinStatus, Reconciliation,
};
use passerelle_tests::organism_answers::noemie_file;
use passerelle_tests::{
    Backend, Daemon, PcscdRig, Simcard, TestDir, READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1,
};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

const WAIT: Duration = Duration::from_secs(10);
/// The fixture CPS (`simcard/fixtures/cards/cps-durand-sage-femme.json`) and its PIN.
const CPS: &str = "cps:durand-sage-femme";
const CPS_PIN: &str = "4729";
const WRONG_PIN: &str = "0000";
/// The FSE the page makes, in order, and the parts each must come to: `[total, AMO, AMC,
/// patient, paid to the practitioner]` in cents, and the AMO rate.
fn scenarios(nguyen: &Path) -> (Value, Vec<([i64; 5], u8)>) {
    let pages = json!([
        // The spouse on the `martin-famille` Vitale, seen for her ALD (on the card): 100 %.
        { "swap": null, "insured": "MARTIN PIERRE", "beneficiary": 1, "nature": "maladie",
          "acts": "C+MSF", "ald": true },
        // A pregnant patient, her card's maternity period covering today: 100 %.
        { "swap": format!("vitale:{}", nguyen.display()), "insured": "NGUYEN THI MAI",
          "beneficiary": 0, "nature": "maternite", "acts": "SF 12", "ald": false },
        // A patient covered by the C2S: tiers payant intégral, nothing left to pay.
        { "swap": "vitale:bernard-c2s", "insured": "BERNARD INES", "beneficiary": 0,
          "nature": "maladie", "acts": "C+MSF, JKHD001", "ald": false },
    ]);
    let expected = vec![
        ([2650, 2650, 0, 0, 2650], 100),
        ([3840, 3840, 0, 0, 3840], 100),
        ([3896, 2727, 1169, 0, 3896], 70),
    ];
    (pages, expected)
}

/// The `nguyen` fixture with its maternity period around today (the embedded one has
/// fixed dates), written to `dir`.
fn pregnant_nguyen(dir: &TestDir) -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text =
        std::fs::read_to_string(root.join("simcard/fixtures/cards/vitale-nguyen.json")).unwrap();
    let mut card: Value = serde_json::from_str(&text).unwrap();
    let today = passerelle_billing::clock::paris_date(time::OffsetDateTime::now_utc());
    let compact = |d: time::Date| passerelle_billing::clock::format_date(d).replace('-', "");
    for p in card["rights"]["periods"].as_array_mut().unwrap() {
        if p["nature"] == "maternite" {
            p["from"] = json!(compact(today - time::Duration::days(150)));
            p["until"] = json!(compact(today + time::Duration::days(120)));
        }
    }
    let path = dir.file("vitale-nguyen-enceinte.json");
    std::fs::write(&path, card.to_string()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_demo_page_bills_with_live_readers() {
    if std::env::var("PASSERELLE_BROWSER_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set PASSERELLE_BROWSER_TESTS=1 (scripts/test-clients does)");
        return;
    }
    let dir = TestDir::new("browser_demo_page_bills_with_live_readers");
    let _pcscd = PcscdRig::start(&dir).unwrap();
    let setup = mail_setup(&dir);
    let daemon = Daemon::start_with(&dir, Backend::Pcsc, &setup.config)
        .await
        .unwrap();
    configure_mail(&daemon, &setup.rig).await;
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", &[]).unwrap();
    // The CPS starts out of its reader: the page must see it arrive.
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, CPS, &["--start-removed"]).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    daemon
        .wait_readers("the Vitale identified, the CPS reader empty", WAIT, |l| {
            let card = |name: &str| {
                l.readers
                    .iter()
                    .find(|r| r.name == name)
                    .map(|r| r.card.is_some())
            };
            card(READER_0) == Some(true) && card(READER_1) == Some(false)
        })
        .await
        .unwrap();

    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/demo");
    let (pages, expected) = scenarios(&pregnant_nguyen(&dir));
    let mut node = tokio::process::Command::new("node")
        .arg(demo.join("e2e.mjs"))
        .env("DAEMON_URL", format!("https://localhost:{}", daemon.port()))
        .env("TLS_DIR", daemon.data_dir().join("tls"))
        .env("OUT_DIR", dir.path())
        .env("CPS_PIN", CPS_PIN)
        .env("WRONG_PIN", WRONG_PIN)
        .env("SCENARIOS", pages.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node (scripts/test-clients installs the demo's packages)");
    let mut out = BufReader::new(node.stdout.take().unwrap()).lines();
    let mut err = BufReader::new(node.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = err.next_line().await {
            eprintln!("[e2e] {line}");
        }
    });

    let mut app_origin = String::new();
    let mut result = None;
    let run = async {
        while let Ok(Some(line)) = out.next_line().await {
            eprintln!("[e2e] {line}");
            if let Some(origin) = line.strip_prefix("APP ") {
                app_origin = origin.to_owned();
            } else if let Some(code) = line.strip_prefix("CODE ") {
                // The practitioner compares the code and approves it with the CLI.
                let pending = daemon.cli(&["pair", "list"]).await.unwrap();
                let listed = String::from_utf8_lossy(&pending.stdout).to_string();
                assert!(listed.contains(code), "pair list: {listed}");
                assert!(listed.contains(&app_origin), "pair list: {listed}");
                let approve = daemon.cli(&["pair", "approve", code]).await.unwrap();
                assert!(
                    approve.status.success(),
                    "{}",
                    String::from_utf8_lossy(&approve.stderr)
                );
            } else if line.starts_with("WAITING_CPS ") {
                // The page shows the readers, the CPS reader empty: the practitioner
                // inserts the card, the page is not reloaded.
                cps.do_and_wait("insert", "inserted").await.unwrap();
            } else if let Some(spec) = line.strip_prefix("SWAP ") {
                // The next patient's Vitale, in the same reader.
                vitale.do_and_wait("remove", "removed").await.unwrap();
                vitale
                    .do_and_wait(&format!("insert {spec}"), "inserted")
                    .await
                    .unwrap();
            } else if line.starts_with("SENT ") {
                // The organisms received the lots: each answers its ARL and its NOEMIE.
                answer_every_lot(&daemon, &setup).await;
            } else if let Some(json) = line.strip_prefix("RESULT ") {
                result = Some(serde_json::from_str::<Value>(json).unwrap());
            }
        }
        node.wait().await.unwrap()
    };
    let started = std::time::Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(180), run)
        .await
        .expect("the browser run ends within 180 s");
    eprintln!("[test] browser run: {:?}", started.elapsed());
    let result = result.expect("the page's result");
    assert!(status.success(), "e2e driver failed: {result:#}");
    assert!(app_origin.starts_with("https://127.0.0.1:"));
    assert_eq!(result["origin"], app_origin.as_str());
    assert!(dir.file("demo.png").exists() && dir.file("demo-waiting-cps.png").exists());
    assert!(dir.file("demo-3.png").exists() && dir.file("demo-sent.png").exists());

    // Readers, live: the CPS reader empty, then holding the CPS, from the event stream
    // alone (the list was fetched once).
    let shown = |key: &str, reader: &str| {
        result[key]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["reader"] == reader))
            .map(|r| r["card"].clone())
    };
    assert_eq!(
        shown("readersBefore", READER_0),
        Some(json!("vitale")),
        "{result:#}"
    );
    assert_eq!(
        shown("readersBefore", READER_1),
        Some(json!("")),
        "{result:#}"
    );
    assert_eq!(
        shown("readersAfter", READER_1),
        Some(json!("cps")),
        "{result:#}"
    );
    assert_eq!(result["gets"]["/v1/readers"], 1, "{result:#}");
    assert_eq!(result["gets"]["/v1/events"], 1, "{result:#}");
    assert_eq!(result["urlsWithToken"], json!([]), "{result:#}");
    assert_eq!(result["eventsAuthorized"], true, "{result:#}");
    let events = result["events"].to_string();
    assert!(
        events.contains(&format!("card_inserted — {READER_1}")),
        "{events}"
    );

    // The Vitale and the CPS as read.
    assert_eq!(result["insured"], "MARTIN PIERRE");
    assert_eq!(result["nir"], "178067511223315");
    assert_eq!(result["beneficiaries"].as_array().map(Vec::len), Some(4));
    assert_eq!(result["practitioner"], "MME CLAIRE DURAND");
    assert_eq!(result["cpsSerial"], "2500012345");
    assert!(
        result["rights"].as_str().unwrap().contains("caisse 751"),
        "{result:#}"
    );

    // The PIN: the wrong one refused in French with the tries left, then the right one.
    let pin_error = result["pinError"].as_str().unwrap();
    assert!(
        pin_error.starts_with("Code PIN incorrect : 2 essai(s) restant(s)"),
        "{pin_error}"
    );
    assert!(pin_error.ends_with("(pin_incorrect)"), "{pin_error}");
    assert!(result["pinBefore"]
        .as_str()
        .unwrap()
        .contains("3 essai(s) restant(s) sur 3"));
    assert!(result["pinAfterWrong"]
        .as_str()
        .unwrap()
        .contains("2 essai(s) restant(s) sur 3"));
    let pin_right = result["pinAfterRight"].as_str().unwrap();
    assert!(
        pin_right.starts_with("code PIN vérifié — 3 essai(s)"),
        "{pin_right}"
    );
    assert_eq!(result["pinErrorAfterRight"], "");
    // The tries are back to the maximum; the verified PIN is the page's, not the rig's
    // (another application: it is told the PIN is not verified for it).
    let pin: PinStatus = daemon.get_json(&route(READER_1, "pin")).await.unwrap();
    assert!(!pin.verified && pin.tries_left == pin.tries_max, "{pin:?}");

    // Each FSE the page shows is the one the daemon stored, signed by the CPS, with the
    // parts the daemon computed from the rights it read.
    let fses = result["fses"].as_array().unwrap();
    assert_eq!(fses.len(), expected.len(), "{result:#}");
    let mut ids = Vec::new();
    for (page_fse, ([total, amo, amc, patient, paid], rate)) in fses.iter().zip(&expected) {
        assert_eq!(page_fse["draftStatus"], "draft", "{result:#}");
        assert_eq!(page_fse["status"], "signed", "{result:#}");
        assert_eq!(page_fse["statusText"], "signée");
        assert_eq!(page_fse["error"], "");
        let id: i64 = page_fse["id"].as_str().unwrap().parse().unwrap();
        ids.push(id);
        let fse: Fse = daemon.get_json(&format!("/v1/fse/{id}")).await.unwrap();
        assert_eq!(fse.status, FseStatus::Paid, "sent in a lot, then paid");
        assert_eq!(page_fse["number"], fse.number.as_str());
        let a = fse.amounts;
        assert_eq!(
            [
                a.total_cents,
                a.amo_cents,
                a.amc_cents,
                a.patient_cents,
                a.tiers_payant_cents
            ],
            [*total, *amo, *amc, *patient, *paid],
            "{page_fse}"
        );
        let shown = |k: &str| page_fse[k].as_str().unwrap().parse::<i64>().unwrap();
        assert_eq!(
            [
                shown("totalCents"),
                shown("amoCents"),
                shown("amcCents"),
                shown("patientCents")
            ],
            [*total, *amo, *amc, *patient]
        );
        assert_eq!(shown("tiersPayantCents"), *paid);
        assert_eq!(fse.coverage_rate, *rate);
        assert_eq!(page_fse["rate"], rate.to_string());
        assert_eq!(
            page_fse["signedAt"],
            fse.signed_at.clone().unwrap().as_str()
        );
        assert_eq!(fse.rights.origin, passerelle_protocol::RightsOrigin::Vitale);
        assert_eq!(
            page_fse["rights"],
            format!("vitale {}", fse.rights.card_serial.unwrap())
        );
        assert_eq!(fse.practitioner.billing_number, "69312233");
    }
    let sophie: Fse = daemon
        .get_json(&format!("/v1/fse/{}", ids[0]))
        .await
        .unwrap();
    assert_eq!(
        (
            sophie.patient.first_name.as_str(),
            sophie.patient.quality.as_str()
        ),
        ("SOPHIE", "02")
    );
    assert_eq!(fses[0]["patient"], "MARTIN SOPHIE");
    assert_eq!(sophie.rate_basis, passerelle_protocol::RateBasis::Ald);
    assert_eq!(sophie.patient.insured_nir, "178067511223315");
    assert_eq!(
        (
            sophie.organism.regime.as_str(),
            sophie.organism.caisse.as_str()
        ),
        ("01", "751")
    );
    assert_eq!(fses[1]["rateText"], "100 % — maternité");
    assert!(
        fses[2]["c2s"].as_str().unwrap().starts_with("oui"),
        "{result:#}"
    );

    // The daemon's audit log: both PIN tries and the signature came from the page's origin,
    // the refusal with the message the page showed.
    let audit: AuditPage = daemon.get_json("/v1/audit?limit=1000").await.unwrap();
    let from_page: Vec<_> = audit
        .entries
        .iter()
        .filter(|e| e.actor.origin.as_deref() == Some(app_origin.as_str()))
        .collect();
    let pins: Vec<&Value> = from_page
        .iter()
        .filter(|e| e.action == "pin_verification")
        .map(|e| &e.details)
        .collect();
    assert_eq!(pins.len(), 2, "{pins:?}");
    assert_eq!(pins[0]["verified"], false);
    assert!(
        pin_error.starts_with(pins[0]["error"].as_str().unwrap()),
        "{pins:?}"
    );
    assert_eq!(pins[1]["verified"], true);
    assert!(
        from_page
            .iter()
            .any(|e| e.action == "signature" && e.details["signed"] == true),
        "{from_page:?}"
    );

    // The grant is bound to the page's origin with the scopes it asked for.
    let grants: Value = daemon.get_json("/v1/grants").await.unwrap();
    let grant = grants["grants"]
        .as_array()
        .and_then(|g| {
            g.iter()
                .find(|g| g["client"].to_string().contains(&app_origin))
        })
        .cloned()
        .unwrap_or_else(|| panic!("no grant for {app_origin}: {grants}"));
    assert_eq!(
        grant["scopes"],
        json!(["read_cards", "prepare", "sign", "transmit"])
    );

    // The lots the page built, signed and sent: one per caisse (751 for the Martin card,
    // 691 for the other two), accepted by the mail server, then acknowledged; the page's
    // reconciliation is the daemon's: everything paid, nothing waiting.
    assert_eq!(result["lotsBuilt"], "2", "{result:#}");
    assert_eq!(result["lotsQueued"], "2", "{result:#}");
    let outbox = result["outbox"].as_array().unwrap();
    assert_eq!(outbox.len(), 2, "{result:#}");
    assert!(outbox.iter().all(|a| a["state"] == "sent"), "{result:#}");
    let lots: LotList = daemon.get_json("/v1/lots").await.unwrap();
    assert!(lots
        .lots
        .iter()
        .all(|l| l.status == LotStatus::Acknowledged));
    let shown_lots: Vec<&str> = result["lots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lot"].as_str().unwrap())
        .collect();
    let lot_numbers: Vec<&str> = lots.lots.iter().map(|l| l.number.as_str()).collect();
    assert_eq!(shown_lots, lot_numbers);
    let recon: Reconciliation = daemon.get_json("/v1/reconciliation").await.unwrap();
    let amo: i64 = expected.iter().map(|(parts, _)| parts[1]).sum();
    assert_eq!(recon.total.billed_cents, amo);
    assert_eq!(recon.total.paid_cents, amo);
    let shown = &result["reconciliation"];
    assert_eq!(
        [
            shown["billed"].as_i64(),
            shown["paid"].as_i64(),
            shown["rejected"].as_i64(),
            shown["waiting"].as_i64(),
            shown["overdue"].as_i64()
        ],
        [Some(amo), Some(amo), Some(0), Some(0), Some(0)],
        "{result:#}"
    );
    assert_eq!(result["lotsError"], "");
}

/// Each test organism mails the positive ARL of the lot it received, then its NOEMIE
/// return paying every FSE of the lot in full, today.
async fn answer_every_lot(daemon: &Daemon, setup: &MailSetup) {
    let lots: LotList = daemon.get_json("/v1/lots").await.unwrap();
    let all: FseList = daemon.get_json("/v1/fse").await.unwrap();
    let today = yyyymmdd(0);
    for (n, lot) in lots.lots.iter().enumerate() {
        let caisse = lot.organism.caisse.as_str();
        let reference = sent_message_id(daemon, lot, 1).await;
        let arl_id = format!("arl-{}", lot.number);
        send_arl(setup, caisse, &arl_id, lot, &reference, &today, None).await;
        let invoices = all
            .fse
            .iter()
            .filter(|f| f.lot_id == Some(lot.id))
            .map(|f| invoice(f, f.amounts.amo_cents, Some(&today), &[]))
            .collect();
        let o = &lot.organism;
        let file = noemie_file(
            (&o.regime, &o.caisse, &o.centre),
            DURAND_BILLING,
            &today,
            n as u32 + 1,
            &[lot_answer(lot, invoices)],
            0,
        );
        let org = &setup.organisms[caisse];
        let id = format!("noemie-{}", lot.number);
        let mail = answer_mail(org, &id, "NOEMIE", "IRIS/NOEMIE", file);
        mail_from(setup, org, &mail).await;
    }
}
