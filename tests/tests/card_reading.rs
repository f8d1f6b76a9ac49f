//! Reading a Carte Vitale and a CPS through the API, the cards behind the real pcscd.

mod common;

use std::time::Duration;

use common::{expect_api_error, route, wait_card};
use passerelle_protocol::{CardKind, CpxCard, PracticeMode, VitaleCard};
use passerelle_tests::{
    Backend, Daemon, PcscdRig, Simcard, TestDir, READER_0, READER_1, VPCD_PORT_0, VPCD_PORT_1,
};

const WAIT: Duration = Duration::from_secs(10);

/// APDUs pcscd has logged so far (it runs with `--apdu`).
fn apdus_logged(dir: &TestDir) -> usize {
    std::fs::read_to_string(dir.file("pcscd.log"))
        .unwrap_or_default()
        .matches("APDU:")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn vitale_and_cps_read_through_pcscd_and_cached() {
    read_and_cached("vitale_and_cps_read_through_pcscd_and_cached", &[]).await;
}

/// The same reads with cards answering as T=0 cards do (`61 xx`: GET RESPONSE, `6C xx`:
/// the same command again with the right Le), as real Vitale and CPS3 cards run T=0.
#[tokio::test(flavor = "multi_thread")]
async fn vitale_and_cps_read_through_pcscd_over_t0() {
    read_and_cached("vitale_and_cps_read_through_pcscd_over_t0", &["--t0"]).await;
}

async fn read_and_cached(name: &str, card_args: &[&str]) {
    let dir = TestDir::new(name);
    let _pcscd = PcscdRig::start_logging_apdus(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    let mut vitale = Simcard::start(&dir, VPCD_PORT_0, "vitale:martin-famille", card_args).unwrap();
    let mut cps = Simcard::start(&dir, VPCD_PORT_1, "cps:durand-sage-femme", card_args).unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    cps.wait_line("inserted", WAIT).await.unwrap();
    daemon
        .wait_readers("both cards identified", WAIT, |l| {
            l.readers.iter().filter(|r| r.card.is_some()).count() == 2
        })
        .await
        .unwrap();

    let before = apdus_logged(&dir);
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(card.nir.value, "178067511223315");
    let names: Vec<&str> = card
        .beneficiaries
        .iter()
        .map(|b| b.first_name.as_str())
        .collect();
    assert_eq!(names, ["PIERRE", "SOPHIE", "LEA", "HUGO"]);
    assert_eq!(card.insured.birth_date, "1978-06-14");
    assert!(
        card.rights.is_none(),
        "the protected zone stays closed without card-to-card authentication"
    );
    let after_first = apdus_logged(&dir);
    assert!(after_first > before, "the first read went to the card");

    // The same card again: from the cache, no APDU.
    let again: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(again, card);
    assert_eq!(
        apdus_logged(&dir),
        after_first,
        "a second read must not reach the card"
    );

    let cpx: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
    assert_eq!(cpx.kind, CardKind::Cps);
    assert_eq!(cpx.holder.last_name, "DURAND");
    assert_eq!(cpx.situations.len(), 2);
    assert!(cpx
        .situations
        .iter()
        .all(|s| s.mode == PracticeMode::Liberal && s.may_sign_lot && s.billing_key_valid));

    let c = daemon.client();
    let wrong = c
        .get(daemon.url(&route(READER_1, "vitale")))
        .send()
        .await
        .unwrap();
    expect_api_error(wrong, 409, "wrong_card").await;

    // Another card in the reader: the cache of the old one is gone.
    cps.do_and_wait("insert cpe:petit-secretaire", "inserted")
        .await
        .unwrap();
    daemon
        .wait_readers("the CPE", WAIT, |l| {
            l.readers.iter().any(|r| {
                r.name == READER_1 && r.card.as_ref().map(|c| c.kind) == Some(CardKind::Cpe)
            })
        })
        .await
        .unwrap();
    let cpe: CpxCard = daemon.get_json(&route(READER_1, "cpx")).await.unwrap();
    assert_eq!(cpe.kind, CardKind::Cpe);
    assert!(cpe.situations.iter().all(|s| !s.may_sign_lot));

    // The cards answered the way they were asked to: over T=0, `6C xx` to the reads whose
    // Le was not the file's length (and nothing of the sort otherwise).
    let t0 = card_args.contains(&"--t0");
    for card in [&vitale, &cps] {
        assert_eq!(card.answers_seen("6C") > 0, t0, "{}", card.log().display());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_card_pulled_out_mid_read_gives_a_clean_error_and_caches_nothing() {
    let dir = TestDir::new("a_card_pulled_out_mid_read_gives_a_clean_error_and_caches_nothing");
    let _pcscd = PcscdRig::start(&dir).unwrap();
    let daemon = Daemon::start(&dir, Backend::Pcsc).await.unwrap();
    // Out after 3 APDUs: in the middle of the Vitale read (identification sends none).
    let mut vitale = Simcard::start(
        &dir,
        VPCD_PORT_0,
        "vitale:nguyen",
        &["--remove-after-apdus", "3"],
    )
    .unwrap();
    vitale.wait_line("inserted", WAIT).await.unwrap();
    wait_card(&daemon, READER_0, true).await;
    let resp = daemon
        .client()
        .get(daemon.url(&route(READER_0, "vitale")))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: passerelle_protocol::ApiError = resp.json().await.unwrap();
    assert!(status < 500 || status == 502 || status == 503, "{status}");
    assert!(
        ["card_error", "no_card", "reader_not_found"].contains(&body.error.code.as_str()),
        "{body:?}"
    );
    vitale.wait_line("removed", WAIT).await.unwrap();
    // pcscd notices a vanished virtual card at its next poll; until then nobody can know.
    wait_card(&daemon, READER_0, false).await;

    // Back in: a full, correct read (nothing was kept from the half read).
    vitale.do_and_wait("insert", "inserted").await.unwrap();
    wait_card(&daemon, READER_0, true).await;
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    assert_eq!(card.insured.last_name, "NGUYEN");
}
