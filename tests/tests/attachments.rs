//! Scanned attachments (SCOR, issue 17) through the API over TLS, the store on disk: a
//! degraded FSE signed by the CPS is listed as needing its copy; its scanned copy (a JPEG
//! declared at 300 dpi) is kept as a PDF of A4 size, the list empties, an event and an
//! audit line say so; a sécurisée FSE takes its prescription as a PDF kept byte for byte
//! (the checksum the organism will check). Each refusal answers its own code and a French
//! message, and keeps nothing: not a PDF nor an image, a type that lies, over
//! `attachments.max_bytes`, smaller than A5, under 200 dpi, past 30 days on the daemon's
//! clock, an FSE that does not exist. Everything is still there after a restart.

mod common;

use common::attachments::{jpeg, pdf, upload};
use passerelle_billing::clock::{format_date, paris_date};
use passerelle_billing::samples::{draft, ngap};
use passerelle_billing::{Clock, SystemClock};
use passerelle_protocol::{
    Attachment, AttachmentKind, AttachmentList, AuditPage, FseBatchResponse, FseMode,
    InsuranceNature, MissingAttachmentList,
};
use passerelle_tests::{Backend, Daemon, Resume, SseClient, TestDir};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const CPS: &str = "Passerelle lecteur simulé 1";

/// Two FSE of today signed with the CPS: a degraded one and a sécurisée-like one (declared
/// rights); their ids.
async fn signed_fse(daemon: &Daemon) -> (i64, i64) {
    let today = format_date(paris_date(SystemClock.now()));
    let acts = || vec![ngap("C", "1", &[])];
    let drafts = [
        draft(
            0,
            &today,
            InsuranceNature::Maladie,
            FseMode::Degradee,
            acts(),
        ),
        draft(
            1,
            &today,
            InsuranceNature::Maladie,
            FseMode::SansVitale,
            acts(),
        ),
    ];
    let created: FseBatchResponse = daemon
        .post_json("/v1/fse", &json!({ "fse": drafts }))
        .await
        .unwrap();
    let ids: Vec<i64> = created
        .results
        .iter()
        .map(|r| r.fse.as_ref().unwrap_or_else(|| panic!("{r:?}")).id)
        .collect();
    let pin = format!("/v1/readers/{}/pin/verify", CPS.replace(' ', "%20"));
    let _: Value = daemon
        .post_json(&pin, &json!({ "pin": "4729" }))
        .await
        .unwrap();
    let _: Value = daemon
        .post_json("/v1/fse/sign", &json!({ "reader": CPS, "fse": ids }))
        .await
        .unwrap();
    (ids[0], ids[1])
}

/// Asserts a refusal: its status, code and a French message naming `says`.
fn refused((status, body): (u16, Value), want: u16, code: &str, says: &str) {
    assert_eq!(status, want, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(says), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn attachments_are_checked_kept_and_listed() {
    let dir = TestDir::new("attachments_are_checked_kept_and_listed");
    let config = "[attachments]\nmax_bytes = 131072\n\n[simulator]\nmovable_clock = true\n";
    let mut daemon = Daemon::start_with(&dir, Backend::Simulated, config)
        .await
        .unwrap();
    let mut events = SseClient::connect(&daemon, Resume::None).await.unwrap();
    let (degraded, securisee) = signed_fse(&daemon).await;

    let missing: MissingAttachmentList = daemon.get_json("/v1/attachments/missing").await.unwrap();
    assert_eq!(missing.missing.len(), 1, "{missing:?}");
    assert_eq!(missing.missing[0].fse_id, degraded);
    assert_eq!(missing.missing[0].kind, AttachmentKind::DegradedCopy);

    // The refusals first: nothing is kept of any of them.
    let a4 = pdf(595.0, 842.0);
    refused(
        upload(
            &daemon,
            degraded,
            "degraded_copy",
            "text/plain",
            b"bonjour".to_vec(),
        )
        .await,
        415,
        "attachment_not_supported",
        "n'est pas accepté",
    );
    refused(
        upload(&daemon, degraded, "degraded_copy", "image/png", a4.clone()).await,
        415,
        "attachment_not_supported",
        "n'est pas un fichier image/png",
    );
    refused(
        upload(
            &daemon,
            degraded,
            "degraded_copy",
            "application/pdf",
            b"%PDF-1.7 truncated".to_vec(),
        )
        .await,
        415,
        "attachment_not_supported",
        "PDF illisible",
    );
    refused(
        upload(
            &daemon,
            degraded,
            "degraded_copy",
            "application/pdf",
            pdf(298.0, 420.0),
        )
        .await,
        422,
        "attachment_too_small",
        "105 × 148 mm",
    );
    refused(
        upload(
            &daemon,
            degraded,
            "degraded_copy",
            "image/jpeg",
            jpeg(827, 1169, 100),
        )
        .await,
        422,
        "attachment_resolution_too_low",
        "100 dpi",
    );
    let mut large = a4.clone();
    large.extend(std::iter::repeat_n(b'%', 140_000));
    refused(
        upload(&daemon, degraded, "degraded_copy", "application/pdf", large).await,
        413,
        "attachment_too_large",
        "128 Ko au plus",
    );
    refused(
        upload(
            &daemon,
            999_999,
            "prescription",
            "application/pdf",
            a4.clone(),
        )
        .await,
        404,
        "fse_not_found",
        "",
    );
    let (status, body) = upload(
        &daemon,
        degraded,
        "brouillon",
        "application/pdf",
        a4.clone(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );
    let none: AttachmentList = daemon
        .get_json(&format!("/v1/fse/{degraded}/attachments"))
        .await
        .unwrap();
    assert!(none.attachments.is_empty());

    // The degraded FSE's copy: a 300 dpi A4 scan, made into an A4 PDF.
    let (status, body) = upload(
        &daemon,
        degraded,
        "degraded_copy",
        "image/jpeg",
        jpeg(2480, 3508, 300),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let copy: Attachment = serde_json::from_value(body).unwrap();
    assert_eq!(
        (copy.uploaded_type.as_str(), copy.pages, copy.dpi),
        ("image/jpeg", 1, Some(300))
    );
    let missing: MissingAttachmentList = daemon.get_json("/v1/attachments/missing").await.unwrap();
    assert!(missing.missing.is_empty(), "{missing:?}");
    let (added, _) = events
        .next_matching(
            "attachment_added",
            std::time::Duration::from_secs(10),
            |e| e.event == "attachment_added",
        )
        .await
        .unwrap();
    assert_eq!(added.raw["attachment_id"], copy.id);
    assert_eq!(added.raw["kind"], "degraded_copy");

    // The prescription of the other FSE, a PDF kept byte for byte.
    let (status, body) = upload(
        &daemon,
        securisee,
        "prescription",
        "application/pdf",
        a4.clone(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let prescription: Attachment = serde_json::from_value(body).unwrap();
    assert_eq!(prescription.sha256, hex::encode(Sha256::digest(&a4)));
    let kept = daemon
        .get(&format!("/v1/attachments/{}/pdf", prescription.id))
        .await
        .unwrap();
    assert_eq!(kept.headers()["content-type"], "application/pdf");
    assert_eq!(kept.bytes().await.unwrap().to_vec(), a4);

    // 31 days later on the daemon's clock: too late.
    let _: Value = daemon
        .post_json("/v1/simulator/clock", &json!({ "seconds": 31 * 24 * 3600 }))
        .await
        .unwrap();
    refused(
        upload(&daemon, securisee, "other", "application/pdf", a4.clone()).await,
        422,
        "attachment_too_late",
        "dans les 30 jours",
    );

    // The audit log: each upload, kept or refused with its code.
    let audit: AuditPage = daemon.get_json("/v1/audit?limit=1000").await.unwrap();
    let lines: Vec<&Value> = audit
        .entries
        .iter()
        .filter(|e| e.action == "attachment")
        .map(|e| &e.details)
        .collect();
    let refusals: Vec<&str> = lines.iter().filter_map(|d| d["refused"].as_str()).collect();
    assert_eq!(
        refusals,
        [
            "attachment_not_supported",
            "attachment_not_supported",
            "attachment_not_supported",
            "attachment_too_small",
            "attachment_resolution_too_low",
            "attachment_too_large",
            "fse_not_found",
            "attachment_too_late"
        ]
    );
    assert_eq!(lines.iter().filter(|d| d["sha256"].is_string()).count(), 2);

    // After a restart, from the SQLite file.
    daemon.restart().await.unwrap();
    let after: AttachmentList = daemon
        .get_json(&format!("/v1/fse/{degraded}/attachments"))
        .await
        .unwrap();
    assert_eq!(after.attachments, vec![copy]);
}
