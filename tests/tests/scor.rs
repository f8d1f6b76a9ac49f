//! SCOR through real Postfix + Dovecot (issue 17): a degraded FSE with its scanned copy (a
//! JPEG, made into a PDF) and a sécurisée FSE (the Vitale card read through pcscd) with its
//! prescription (a PDF kept byte for byte). The PJ lot leaves only after the FSE lot's
//! positive ARL; the test organism decrypts it and checks each PDF against the index's
//! checksum and the FSE and lot numbers; a negative ARL PJ has it sent again (a new
//! Message-ID, the same PDFs), the ARL PJ of that sending acknowledges it, the attachments
//! follow.
//! An attachment added later leaves in a PJ lot of its own, which gets no ARL PJ: on the
//! daemon's movable clock it goes on paper (the stamped copy read back with `pdftotext`, the
//! doctor's finding) until the practitioner says it was posted; the acknowledged ones are kept
//! 89 days more and purged on the 90th (an event, an audit line), their FSE and lot kept; the
//! posted one 90 days after its posting.

mod common;

use std::time::{Duration, Instant};

use common::attachments::{
    attach, attachment, get_bytes, jpeg, pdf, pdf_of, pdf_text, pj_lots, purged, wait_pj,
};
use common::billing::for_card;
use common::returns::{send_arl, start_with_mail, Recorder, FETCH};
use common::route;
use common::transmission::{advance_clock, doctor, inboxes, outbox_settled, send_all, FROM};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{draft, ngap, DURAND_BILLING};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    AttachmentState, AuditPage, FseBatchResponse, FseMode, InsuranceNature, LotKind, LotList,
    MissingAttachmentList, OutboxList, PjLot, PjLotStatus, VitaleCard,
};
use passerelle_tests::organism_answers::{send_arl as mail_arl, ArlAnswer, ArlOf};
use passerelle_tests::{TestDir, READER_0, READER_1};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[tokio::test(flavor = "multi_thread")]
async fn pj_lots_leave_after_the_arl_reach_the_organism_and_are_purged_after_90_days() {
    let dir = TestDir::new("pj_lots_leave_after_the_arl");
    let (setup, cards) = start_with_mail(&dir).await;
    let daemon = &cards.daemon;
    let events = Recorder::start(daemon).await;
    let today = format_date(paris_date(SystemClock.now()));

    // A sécurisée FSE from the Vitale card, a degraded one for the same caisse.
    let _: Value = daemon
        .post_json(&route(READER_1, "pin/verify"), &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let card: VitaleCard = daemon.get_json(&route(READER_0, "vitale")).await.unwrap();
    let securisee = for_card(&card, 0, &today, vec![ngap("C", "1", &[])]);
    let mut degraded = draft(
        1,
        &today,
        InsuranceNature::Maladie,
        FseMode::Degradee,
        vec![ngap("C", "1", &[])],
    );
    degraded.organism = securisee.organism.clone();
    let caisse = securisee.organism.caisse.clone();
    let created: FseBatchResponse = daemon
        .post_json("/v1/fse", &json!({ "fse": [securisee, degraded] }))
        .await
        .unwrap();
    let fse: Vec<_> = created
        .results
        .iter()
        .map(|r| r.fse.clone().unwrap_or_else(|| panic!("{r:?}")))
        .collect();
    let ids: Vec<i64> = fse.iter().map(|f| f.id).collect();
    let _: Value = daemon
        .post_json("/v1/fse/sign", &json!({ "reader": READER_1, "fse": ids }))
        .await
        .unwrap();
    let lots: LotList = daemon
        .post_json("/v1/lots", &json!({ "reader": READER_1, "situation": 0 }))
        .await
        .unwrap();
    assert_eq!(lots.lots.len(), 1, "{lots:?}");
    let lot = lots.lots[0].clone();

    // The degraded FSE needs its copy until it has it.
    let missing: MissingAttachmentList = daemon.get_json("/v1/attachments/missing").await.unwrap();
    assert_eq!(
        missing.missing.iter().map(|m| m.fse_id).collect::<Vec<_>>(),
        vec![ids[1]]
    );
    let prescription_pdf = pdf(595.0, 842.0);
    let prescription = attach(
        daemon,
        ids[0],
        "prescription",
        "application/pdf",
        prescription_pdf.clone(),
    )
    .await;
    let copy = attach(
        daemon,
        ids[1],
        "degraded_copy",
        "image/jpeg",
        jpeg(1169, 1654, 200),
    )
    .await;
    let missing: MissingAttachmentList = daemon.get_json("/v1/attachments/missing").await.unwrap();
    assert!(missing.missing.is_empty(), "{missing:?}");
    assert_eq!(
        prescription.sha256,
        hex::encode(Sha256::digest(&prescription_pdf))
    );

    // The FSE lot leaves; its attachments wait for its ARL.
    send_all(daemon).await;
    outbox_settled(daemon, FETCH).await;
    let work = dir.path().join("organisms");
    let got = inboxes(&setup, &work, 1).await;
    let inbox = &got[&caisse];
    assert_eq!((inbox.messages.len(), inbox.pj_lots.len()), (1, 0));
    let fse_message = inbox.messages.keys().next().unwrap().clone();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(pj_lots(daemon).await.is_empty(), "no PJ lot before the ARL");
    for a in [&prescription, &copy] {
        assert_eq!(
            attachment(daemon, a.id).await.state,
            AttachmentState::Waiting
        );
    }

    // The positive ARL: the PJ lot is made, sent, and reaches the organism.
    let date = today.replace('-', "");
    send_arl(
        &setup,
        &caisse,
        "arl-1",
        &lot,
        &format!("<{fse_message}>"),
        &date,
        None,
    )
    .await;
    let sent = wait_pj(daemon, "the PJ lot sent", |l| {
        l.len() == 1 && l[0].status == PjLotStatus::Sent
    })
    .await;
    let pj = sent[0].clone();
    assert_eq!(pj.organism, lot.organism);
    let outbox: OutboxList = daemon.get_json("/v1/outbox").await.unwrap();
    let attempt = outbox
        .attempts
        .iter()
        .find(|a| a.kind == LotKind::Pj)
        .expect("the PJ lot's attempt in the outbox");
    assert_eq!((attempt.lot_id, &attempt.lot_number), (pj.id, &pj.number));
    for a in [&prescription, &copy] {
        let now = attachment(daemon, a.id).await;
        assert_eq!(
            (now.state, now.pj_lot_id),
            (AttachmentState::Sent, Some(pj.id))
        );
    }
    let got = inboxes(&setup, &work, 2).await;
    let received = got[&caisse]
        .pj_lots
        .values()
        .next()
        .expect("the PJ lot received");
    assert_eq!(received.lot_pj, pj.number);
    assert_eq!(received.practitioner, DURAND_BILLING);
    assert_eq!(received.entries.len(), 2);
    for (a, f, nature) in [
        (&prescription, &fse[0], "prescription"),
        (&copy, &fse[1], "copie_degradee"),
    ] {
        let e = received
            .entries
            .iter()
            .find(|e| e.fse == f.number)
            .unwrap_or_else(|| panic!("FSE {} in {received:#?}", f.number));
        assert_eq!(
            (e.lot.as_str(), e.nature.as_str()),
            (lot.number.as_str(), nature)
        );
        assert_eq!(e.sha256, a.sha256, "the organism's own checksum");
        assert_eq!(e.declared_sha256, a.sha256);
        let (_, kept) = pdf_of(daemon, a.id).await;
        assert_eq!(e.pdf, kept, "the exact bytes");
    }
    let entry = received
        .entries
        .iter()
        .find(|e| e.fse == fse[0].number)
        .unwrap();
    assert_eq!(
        entry.pdf, prescription_pdf,
        "the uploaded PDF, byte for byte"
    );

    // A negative ARL PJ first: the PJ lot is sent again, under a new Message-ID, the same
    // attachments.
    let org = &setup.organisms[&caisse];
    let arl_pj = |reference: &str, refusal: Option<(&str, &str)>| ArlAnswer {
        lot: pj.number.clone(),
        organism: (
            pj.organism.regime.clone(),
            pj.organism.caisse.clone(),
            pj.organism.centre.clone(),
        ),
        practitioner: DURAND_BILLING.to_owned(),
        reference: format!("<{reference}>"),
        date: date.clone(),
        refusal: refusal.map(|(c, l)| (c.to_owned(), l.to_owned())),
    };
    let refusal = arl_pj(&received.message_id, Some(("PJ01", "Piece illisible")));
    mail_arl(&setup.rig, org, FROM, "arl-pj-0", ArlOf::PjLot, &refusal)
        .await
        .unwrap();
    wait_pj(daemon, "the PJ lot sent again", |l| {
        l[0].failures == 1 && l[0].status == PjLotStatus::Sent
    })
    .await;
    let got = inboxes(&setup, &work, 3).await;
    let again = got[&caisse]
        .pj_lots
        .values()
        .find(|r| r.message_id != received.message_id)
        .expect("the PJ lot sent again");
    let sums = |r: &passerelle_tests::organism_pj::ReceivedPj| {
        r.entries
            .iter()
            .map(|e| e.sha256.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(sums(again), sums(received));
    assert_eq!(again.lot_pj, pj.number);
    let refused = events.wait_for("arl_pj_received").await;
    assert_eq!(refused[0]["positive"], false);
    assert!(refused[0]["reason"].as_str().unwrap().contains("PJ01"));

    // The positive ARL PJ of the second sending: acknowledged, kept 90 days.
    let accepted = arl_pj(&again.message_id, None);
    mail_arl(&setup.rig, org, FROM, "arl-pj-1", ArlOf::PjLot, &accepted)
        .await
        .unwrap();
    wait_pj(daemon, "the ARL PJ applied", |l| {
        l[0].status == PjLotStatus::Acknowledged
    })
    .await;
    let kept = attachment(daemon, copy.id).await;
    assert_eq!(kept.state, AttachmentState::Acknowledged);
    let purge_on = kept.purge_on.clone().expect("a purge date");
    for kind in ["pj_lot_queued", "pj_lot_sent", "arl_pj_received"] {
        events.wait_for(kind).await;
    }
    let deadline = Instant::now() + FETCH;
    while events.of("arl_pj_received").len() < 2 {
        assert!(Instant::now() < deadline, "no second arl_pj_received event");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(events.of("arl_pj_received")[1]["positive"], true);

    // An attachment added after the lot's ARL leaves by itself, in a PJ lot of its own. This
    // one never gets its ARL PJ.
    let late = attach(
        daemon,
        ids[0],
        "other",
        "application/pdf",
        pdf(420.0, 595.0),
    )
    .await;
    let lots = wait_pj(daemon, "the second PJ lot sent", |l| {
        l.iter()
            .any(|p| p.id != pj.id && p.status == PjLotStatus::Sent)
    })
    .await;
    let pj2 = lots.iter().find(|p| p.id != pj.id).unwrap().clone();
    assert_eq!(pj2.attachments.len(), 1);
    assert_eq!(pj2.attachments[0].attachment_id, late.id);
    assert_ne!(pj2.number, pj.number);
    let got = inboxes(&setup, &work, 4).await;
    assert_eq!(
        got[&caisse].pj_lots.len(),
        3,
        "the first PJ lot (twice) and the second reached the organism"
    );
    let (status, _) = get_bytes(daemon, &format!("/v1/attachments/{}/paper", copy.id)).await;
    assert_eq!(status, 409, "an acknowledged attachment needs no paper");

    // 89 days on: the first two are kept; the late one, past its 5 working days without an
    // ARL PJ, goes on paper (the same round of the watch purges first, so this is the
    // purge's verdict on day 89 too).
    advance_clock(daemon, 89 * 86_400).await;
    wait_pj(daemon, "the second PJ lot on paper", |l| {
        l.iter()
            .any(|p| p.id == pj2.id && p.status == PjLotStatus::Paper)
    })
    .await;
    assert_eq!(
        attachment(daemon, copy.id).await.state,
        AttachmentState::Acknowledged
    );
    assert_eq!(pdf_of(daemon, copy.id).await.0, 200);
    assert_eq!(
        events.wait_for("pj_lot_paper").await[0]["attachment_ids"],
        json!([late.id])
    );
    let (status, paper) = get_bytes(daemon, &format!("/v1/attachments/{}/paper", late.id)).await;
    assert_eq!(status, 200);
    let text = pdf_text(&dir, "paper.pdf", &paper);
    for wanted in [
        format!("FSE n° {}", fse[0].number),
        format!("lot n° {}", lot.number),
        format!("lot PJ n° {}", pj2.number),
    ] {
        assert!(text.contains(&wanted), "{wanted:?} in {text:?}");
    }
    let findings = doctor(daemon).await;
    let (verdict, message) = &findings["attachments_paper"];
    assert_eq!(verdict, "problem", "{message}");
    assert!(message.contains(&late.id.to_string()), "{message}");
    // Printed and posted: kept 90 days from today, the doctor satisfied.
    let posted: PjLot = daemon
        .post_json(&format!("/v1/pj-lots/{}/posted", pj2.id), &json!({}))
        .await
        .unwrap();
    assert_eq!(posted.status, PjLotStatus::Posted);
    assert_eq!(
        attachment(daemon, late.id).await.state,
        AttachmentState::Posted
    );
    assert!(!doctor(daemon).await.contains_key("attachments_paper"));

    // The 90th day: the acknowledged ones are purged, not the one on paper; the FSE and the
    // lot are kept.
    advance_clock(daemon, 86_400).await;
    purged(daemon, copy.id, &purge_on).await;
    let (status, body) = pdf_of(daemon, copy.id).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("attachment_purged"))
    );
    let gone = attachment(daemon, prescription.id).await;
    assert_eq!(
        (gone.state, gone.sha256),
        (AttachmentState::Purged, prescription.sha256.clone())
    );
    assert_eq!(
        attachment(daemon, late.id).await.state,
        AttachmentState::Posted
    );
    assert_eq!(
        pdf_of(daemon, late.id).await.0,
        200,
        "posted yesterday: kept"
    );
    let deadline = Instant::now() + FETCH;
    let purged_line = loop {
        let audit: AuditPage = daemon.get_json("/v1/audit?limit=1000").await.unwrap();
        if let Some(e) = audit
            .entries
            .iter()
            .find(|e| e.action == "attachments_purged")
        {
            break e.details.clone();
        }
        assert!(Instant::now() < deadline, "no audit line for the purge");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        purged_line["attachments"],
        json!([prescription.id, copy.id])
    );
    assert_eq!(
        events.wait_for("attachments_purged").await[0]["attachment_ids"],
        json!([prescription.id, copy.id])
    );
    // The posted one, 90 days after its posting.
    advance_clock(daemon, 89 * 86_400).await;
    let posted_on = attachment(daemon, late.id)
        .await
        .purge_on
        .unwrap_or_default();
    purged(daemon, late.id, &posted_on).await;
    let _: Value = daemon
        .get_json(&format!("/v1/fse/{}", ids[1]))
        .await
        .unwrap();
    let _: Value = daemon
        .get_json(&format!("/v1/lots/{}", lot.id))
        .await
        .unwrap();
}
