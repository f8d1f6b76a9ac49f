//! Returns end to end, through the real Postfix + Dovecot: the test organisms answer the
//! lots with ARL and NOEMIE mails written by hand in `passerelle_tests::organism_answers`,
//! the daemon fetches them over IMAPS, and the lots, FSE, reconciliation, paper duplicate,
//! doctor and event stream are checked from outside.

mod common;

use std::process::Command;

use common::returns::{
    a_day_sent, acknowledged, answer_mail, arl_for, invoice, lot_answer, mail_from, returns,
    send_arl, sent_message_id, start_with_mail, wait_fse, wait_lot, wait_returns, yyyymmdd,
    Recorder,
};
use common::transmission::{advance_clock, doctor, inboxes, STRANGER, STRANGER_PASSWORD};
use passerelle_billing::samples::DURAND_BILLING;
use passerelle_protocol::{
    AttemptReason, Fse, FseStatus, Lot, LotStatus, Reconciliation, ReturnKind, ReturnState,
    Settlement, Tally,
};
use passerelle_tests::organism_answers::{noemie_file, InvoiceAnswer};
use passerelle_tests::TestDir;

const DAY: u64 = 24 * 3600;

fn fse_of<'a>(all: &'a [Fse], lot: &Lot) -> Vec<&'a Fse> {
    all.iter().filter(|f| f.lot_id == Some(lot.id)).collect()
}

fn gzip(bytes: &[u8], dir: &TestDir, name: &str) -> Vec<u8> {
    let path = dir.file(name);
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("gzip").arg("-c").arg(&path).output().unwrap();
    assert!(out.status.success());
    out.stdout
}

fn adds_up(t: &Tally) -> bool {
    t.billed_cents == t.paid_cents + t.rejected_cents + t.waiting_cents
        && t.overdue_cents <= t.waiting_cents
}

#[tokio::test(flavor = "multi_thread")]
async fn a_month_of_returns_settles_every_fse_and_adds_up() {
    let dir = TestDir::new("a_month_of_returns_settles_every_fse_and_adds_up");
    let (setup, cards) = start_with_mail(&dir).await;
    let daemon = &cards.daemon;
    let events = Recorder::start(daemon).await;
    let lots = a_day_sent(daemon, &setup, dir.path(), 2).await;
    let (lyon, paris, ajaccio) = (&lots["691"], &lots["751"], &lots["201"]);
    let got = inboxes(&setup, dir.path(), 3).await;
    let org = |caisse: &str| &setup.organisms[caisse];

    // Lyon accepts its lot; Paris refuses it; Ajaccio stays silent.
    let lyon_id = sent_message_id(daemon, lyon, 1).await;
    assert!(got["691"]
        .messages
        .contains_key(lyon_id.trim_matches(['<', '>'])));
    send_arl(
        &setup,
        "691",
        "arl-691-1",
        lyon,
        &lyon_id,
        &yyyymmdd(0),
        None,
    )
    .await;
    let paris_id = sent_message_id(daemon, paris, 1).await;
    let refusal = Some(("R0123", "Lot non conforme : en-tête illisible"));
    send_arl(
        &setup,
        "751",
        "arl-751-1",
        paris,
        &paris_id,
        &yyyymmdd(0),
        refusal,
    )
    .await;

    acknowledged(daemon, lyon).await;
    // The refused lot goes out again by itself, as a new attempt with a new Message-ID.
    let resent = sent_message_id(daemon, paris, 2).await;
    assert_ne!(resent, paris_id);
    let detail = wait_lot(daemon, paris.id, "sent again", |d| {
        d.lot.status == LotStatus::Sent
    })
    .await;
    assert_eq!(detail.attempts[1].reason, AttemptReason::Resend);
    let fse: Vec<Fse> = wait_fse(daemon, "acknowledged", |all| {
        fse_of(all, lyon)
            .iter()
            .all(|f| f.status == FseStatus::Acknowledged)
    })
    .await;
    assert!(fse_of(&fse, paris)
        .iter()
        .all(|f| f.status == FseStatus::Sent));

    // Paris refuses the second delivery too: the lot needs a paper duplicate.
    let got = inboxes(&setup, dir.path(), 4).await;
    assert_eq!(got["751"].messages.len(), 2);
    send_arl(
        &setup,
        "751",
        "arl-751-2",
        paris,
        &resent,
        &yyyymmdd(0),
        refusal,
    )
    .await;
    wait_lot(daemon, paris.id, "paper", |d| {
        d.lot.status == LotStatus::Paper
    })
    .await;

    // Ajaccio said nothing: two working days later the lot goes again; then it accepts.
    advance_clock(daemon, 6 * DAY).await;
    let ajaccio_again = sent_message_id(daemon, ajaccio, 2).await;
    inboxes(&setup, dir.path(), 5).await;
    send_arl(
        &setup,
        "201",
        "arl-201-2",
        ajaccio,
        &ajaccio_again,
        &yyyymmdd(6),
        None,
    )
    .await;
    acknowledged(daemon, ajaccio).await;

    // NOEMIE: Lyon pays one FSE and rejects the other; Ajaccio (compressed) pays one in
    // part, says nothing of the other, and names an invoice the daemon never billed.
    let all: Vec<Fse> = daemon
        .get_json::<passerelle_protocol::FseList>("/v1/fse")
        .await
        .unwrap()
        .fse;
    let (l, a) = (fse_of(&all, lyon), fse_of(&all, ajaccio));
    let pay_day = yyyymmdd(10);
    let rejection = [("0502", "Droits non ouverts à la date des soins")];
    let file = noemie_file(
        ("01", "691", "0001"),
        DURAND_BILLING,
        &pay_day,
        1,
        &[lot_answer(
            lyon,
            vec![
                invoice(l[0], l[0].amounts.amo_cents, Some(&pay_day), &[]),
                invoice(l[1], 0, None, &rejection),
            ],
        )],
        0,
    );
    mail_from(
        &setup,
        org("691"),
        &answer_mail(org("691"), "noemie-691", "NOEMIE", "IRIS/NOEMIE", file),
    )
    .await;
    let half = a[0].amounts.amo_cents / 2;
    let mut stranger = invoice(a[0], 1000, Some(&pay_day), &[]);
    stranger.fse = 999_999_999;
    stranger.amo = (1000, 1000);
    let file = noemie_file(
        ("01", "201", "0001"),
        DURAND_BILLING,
        &pay_day,
        7,
        &[lot_answer(
            ajaccio,
            vec![
                invoice(
                    a[0],
                    half,
                    Some(&pay_day),
                    &[("PR001", "Dépassement non remboursable")],
                ),
                stranger,
            ],
        )],
        0,
    );
    let file = gzip(&file, &dir, "noemie-201");
    mail_from(
        &setup,
        org("201"),
        &answer_mail(org("201"), "noemie-201", "NOEMIE", "IRIS/NOEMIE", file),
    )
    .await;

    let all = wait_fse(daemon, "NOEMIE applied", |all| {
        let s = |f: &Fse| all.iter().find(|x| x.id == f.id).unwrap().status;
        s(l[0]) == FseStatus::Paid
            && s(l[1]) == FseStatus::Rejected
            && s(a[0]) == FseStatus::PartlyPaid
    })
    .await;
    let status = |f: &Fse| all.iter().find(|x| x.id == f.id).unwrap().status;
    assert_eq!(
        status(a[1]),
        FseStatus::Acknowledged,
        "no payment return for it"
    );
    for f in fse_of(&all, paris) {
        assert_eq!(f.status, FseStatus::Sent, "its lot went to paper");
    }

    // A month later, Ajaccio's unpaid FSE is overdue; the report adds up to the cent.
    advance_clock(daemon, 31 * DAY).await;
    let report: Reconciliation = daemon.get_json("/v1/reconciliation").await.unwrap();
    assert_eq!(report.fse.len(), 6, "{report:#?}");
    let amo = |f: &Fse| f.amounts.amo_cents;
    let billed: i64 = all.iter().map(amo).sum();
    assert_eq!(report.total.billed_cents, billed);
    assert_eq!(report.total.paid_cents, amo(l[0]) + half);
    assert_eq!(report.total.rejected_cents, amo(l[1]) + amo(a[0]) - half);
    assert_eq!(report.total.overdue_cents, amo(a[1]));
    assert!(adds_up(&report.total), "{:?}", report.total);
    assert_eq!(report.by_organism.len(), 3);
    assert!(report.by_organism.iter().all(|g| adds_up(&g.tally)));
    assert_eq!(
        report
            .by_organism
            .iter()
            .map(|g| g.tally.billed_cents)
            .sum::<i64>(),
        billed
    );
    assert!(report.by_patient.iter().all(|g| adds_up(&g.tally)));
    let settlement = |f: &Fse| {
        report
            .fse
            .iter()
            .find(|r| r.fse_id == f.id)
            .unwrap()
            .settlement
    };
    assert_eq!(settlement(l[0]), Settlement::Paid);
    assert_eq!(settlement(l[1]), Settlement::Rejected);
    assert_eq!(settlement(a[0]), Settlement::PartlyPaid);
    assert_eq!(settlement(a[1]), Settlement::Overdue);
    assert!(report
        .reasons
        .iter()
        .any(|r| r.reason.starts_with("0502") && r.count == 1));
    assert_eq!(
        report.unknown_invoices.len(),
        1,
        "{:?}",
        report.unknown_invoices
    );

    // The CSV has a line per FSE; the command prints the same totals.
    let csv = daemon
        .get("/v1/reconciliation.csv")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 7, "{csv}");
    let out = Command::new(passerelle_tests::passerelle_bin())
        .args(["reconciliation", "--data-dir"])
        .arg(daemon.data_dir())
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let euros = |c: i64| format!("{},{:02} €", c / 100, c % 100);
    let total_line = table.lines().find(|l| l.starts_with("Total")).unwrap();
    assert!(total_line.contains(&euros(billed)), "{table}");
    assert!(table.contains("0502 : Droits non ouverts"), "{table}");

    // The paper duplicate names the lot and its FSE.
    let resp = daemon
        .get(&format!("/v1/lots/{}/paper", paris.id))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        passerelle_tests::daemon::content_type(&resp),
        "application/pdf"
    );
    let text = common::attachments::pdf_text(&dir, "duplicata.pdf", &resp.bytes().await.unwrap());
    assert!(text.contains(&format!("Lot n° {}", paris.number)), "{text}");
    for f in fse_of(&all, paris) {
        assert!(text.contains(&f.number), "FSE {} absent:\n{text}", f.number);
    }
    assert!(text.contains("R0123"), "{text}");
    let refused = daemon
        .get(&format!("/v1/lots/{}/paper", lyon.id))
        .await
        .unwrap();
    common::expect_api_error(refused, 409, "paper_not_needed").await;

    // The doctor and the event stream said so.
    let findings = doctor(daemon).await;
    let paper = &findings[&format!("lots.{DURAND_BILLING}:{}", paris.number)];
    assert_eq!(paper.0, "problem");
    assert!(paper.1.contains("duplicata"), "{paper:?}");
    // Posted, said with the command line (the local socket): the doctor is satisfied, the
    // lot stays on paper with the day it was posted, and the audit log has it.
    let out = tokio::process::Command::new(passerelle_tests::passerelle_bin())
        .args([
            "lots",
            "posted",
            "--lot",
            &paris.id.to_string(),
            "--data-dir",
        ])
        .arg(daemon.data_dir())
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("duplicata papier envoyé"), "{said}");
    let detail: passerelle_protocol::LotDetail = daemon
        .get_json(&format!("/v1/lots/{}", paris.id))
        .await
        .unwrap();
    assert_eq!(detail.lot.status, LotStatus::Paper);
    assert!(detail.lot.paper_posted.is_some());
    let findings = doctor(daemon).await;
    assert!(!findings.contains_key(&format!("lots.{DURAND_BILLING}:{}", paris.number)));
    let refused = daemon
        .post(
            &format!("/v1/lots/{}/posted", lyon.id),
            &serde_json::json!({}),
        )
        .await
        .unwrap();
    common::expect_api_error(refused, 409, "paper_not_needed").await;
    let audit: passerelle_protocol::AuditPage =
        daemon.get_json("/v1/audit?limit=1000").await.unwrap();
    let posted: Vec<_> = audit
        .entries
        .iter()
        .filter(|e| e.action == "lot_paper_posted")
        .map(|e| (e.details["lot"].clone(), e.details["refused"].clone()))
        .collect();
    assert_eq!(
        posted,
        [
            (serde_json::json!(paris.id), serde_json::Value::Null),
            (
                serde_json::json!(lyon.id),
                serde_json::json!("paper_not_needed")
            )
        ]
    );
    let arl = events.of("arl_received");
    assert!(
        arl.iter()
            .any(|e| e["lot_id"] == lyon.id && e["positive"] == true),
        "{arl:?}"
    );
    assert_eq!(
        arl.iter()
            .filter(|e| e["lot_id"] == paris.id && e["positive"] == false)
            .count(),
        2
    );
    assert!(arl
        .iter()
        .any(|e| e["lot_id"] == ajaccio.id && e["positive"] == false));
    assert_eq!(events.of("paper_duplicate_needed").len(), 1);
    assert_eq!(events.of("noemie_received").len(), 2);
    let paid = events.of("fse_paid");
    assert!(
        paid.iter()
            .any(|e| e["fse_id"] == l[0].id && e["partly"] == false),
        "{paid:?}"
    );
    assert!(
        paid.iter()
            .any(|e| e["fse_id"] == a[0].id && e["partly"] == true),
        "{paid:?}"
    );
    assert!(events
        .of("fse_rejected")
        .iter()
        .any(|e| e["fse_id"] == l[1].id));

    // Every mail kept and applied; the mailbox left as it was.
    let kept = returns(daemon).await;
    assert_eq!(kept.len(), 6, "{kept:#?}");
    assert!(
        kept.iter().all(|m| m.state == ReturnState::Applied),
        "{kept:#?}"
    );
    assert_eq!(
        kept.iter().filter(|m| m.kind == ReturnKind::Noemie).count(),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_returns_change_nothing_lose_nothing_and_fetching_outlives_the_server() {
    let dir = TestDir::new("bad_returns_change_nothing_lose_nothing");
    let (mut setup, cards) = start_with_mail(&dir).await;
    let daemon = &cards.daemon;
    let lots = a_day_sent(daemon, &setup, dir.path(), 1).await;
    let (lyon, paris, ajaccio) = (&lots["691"], &lots["751"], &lots["201"]);
    let org = |caisse: &str| setup.organisms[caisse].clone();
    let lyon_id = sent_message_id(daemon, lyon, 1).await;
    let before: Vec<Fse> = daemon
        .get_json::<passerelle_protocol::FseList>("/v1/fse")
        .await
        .unwrap()
        .fse;

    // A well-formed ARL from a mailbox that is no organism; an ARL whose attachment is
    // garbage; a NOEMIE whose control totals are off by one cent.
    let mut stranger = answer_mail(
        &org("691"),
        "from-stranger",
        "ARL",
        "IRIS/ARL",
        arl_for(lyon, &lyon_id, &yyyymmdd(0), None),
    );
    let text = String::from_utf8(stranger).unwrap();
    stranger = text
        .replace(
            &format!("From: {}", org("691").address),
            &format!("From: {STRANGER}"),
        )
        .into_bytes();
    passerelle_tests::organism_answers::send_raw(
        &setup.rig,
        STRANGER,
        STRANGER_PASSWORD,
        common::transmission::FROM,
        &stranger,
    )
    .await
    .unwrap();
    let garbage: Vec<u8> = (0..300u32).map(|i| (i * 37 % 251) as u8).collect();
    mail_from(
        &setup,
        &org("751"),
        &answer_mail(&org("751"), "broken", "ARL", "IRIS/ARL", garbage),
    )
    .await;
    let paid: Vec<InvoiceAnswer> = fse_of(&before, lyon)
        .into_iter()
        .map(|f| invoice(f, f.amounts.amo_cents, Some(&yyyymmdd(0)), &[]))
        .collect();
    let off = noemie_file(
        ("01", "691", "0001"),
        DURAND_BILLING,
        &yyyymmdd(0),
        3,
        &[lot_answer(lyon, paid)],
        1,
    );
    mail_from(
        &setup,
        &org("691"),
        &answer_mail(&org("691"), "off-by-one", "NOEMIE", "IRIS/NOEMIE", off),
    )
    .await;

    let kept = wait_returns(daemon, "three mails kept", |m| {
        m.len() == 3 && m.iter().all(|m| m.state != ReturnState::Stored)
    })
    .await;
    let state_of = |id: &str| {
        kept.iter()
            .find(|m| m.message_id.as_deref().is_some_and(|m| m.contains(id)))
            .unwrap_or_else(|| panic!("{id} not kept: {kept:#?}"))
    };
    assert_eq!(state_of("from-stranger").state, ReturnState::UnknownSender);
    assert_eq!(state_of("broken").state, ReturnState::Refused);
    let totals = state_of("off-by-one");
    assert_eq!(totals.state, ReturnState::Refused);
    assert!(
        totals
            .outcome
            .as_deref()
            .is_some_and(|o| o.contains("totaux de contrôle")),
        "{totals:?}"
    );
    // Nothing moved.
    let after: Vec<Fse> = daemon
        .get_json::<passerelle_protocol::FseList>("/v1/fse")
        .await
        .unwrap()
        .fse;
    let states = |all: &[Fse]| all.iter().map(|f| (f.id, f.status)).collect::<Vec<_>>();
    assert_eq!(states(&before), states(&after));
    for lot in [lyon, paris, ajaccio] {
        let d: passerelle_protocol::LotDetail = daemon
            .get_json(&format!("/v1/lots/{}", lot.id))
            .await
            .unwrap();
        assert_eq!(d.lot.status, LotStatus::Sent, "{d:?}");
    }
    let findings = doctor(daemon).await;
    let warned = findings
        .iter()
        .filter(|(k, v)| k.starts_with("returns.") && v.0 == "warning")
        .count();
    assert_eq!(warned, 3, "{findings:#?}");

    // The same ARL delivered twice is kept and applied once; a later mail proves the
    // second copy was read past.
    let twice = answer_mail(
        &org("691"),
        "twice",
        "ARL",
        "IRIS/ARL",
        arl_for(lyon, &lyon_id, &yyyymmdd(0), None),
    );
    mail_from(&setup, &org("691"), &twice).await;
    mail_from(&setup, &org("691"), &twice).await;
    let paris_id = sent_message_id(daemon, paris, 1).await;
    send_arl(
        &setup,
        "751",
        "after-twice",
        paris,
        &paris_id,
        &yyyymmdd(0),
        None,
    )
    .await;
    acknowledged(daemon, paris).await;
    acknowledged(daemon, lyon).await;
    let kept = returns(daemon).await;
    assert_eq!(kept.len(), 5, "{kept:#?}");
    let twice_kept = kept
        .iter()
        .filter(|m| {
            m.message_id.as_deref().is_some_and(|m| m.contains("twice"))
                && !m.message_id.as_deref().unwrap().contains("after")
        })
        .count();
    assert_eq!(twice_kept, 1);

    // The mail server stops (the daemon keeps serving) and comes back: a mail that arrives
    // while the daemon is still waiting to reconnect is fetched, nothing missed.
    setup.rig.stop().unwrap();
    assert!(
        daemon.status().await.is_ok(),
        "the daemon serves without its mail server"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    setup.rig.start().unwrap();
    let ajaccio_id = sent_message_id(daemon, ajaccio, 1).await;
    send_arl(
        &setup,
        "201",
        "after-restart",
        ajaccio,
        &ajaccio_id,
        &yyyymmdd(0),
        None,
    )
    .await;
    wait_lot(daemon, ajaccio.id, "acknowledged after the restart", |d| {
        d.lot.status == LotStatus::Acknowledged
    })
    .await;
    let kept = returns(daemon).await;
    assert_eq!(kept.len(), 6, "{kept:#?}");
    assert!(daemon.status().await.is_ok());
}
