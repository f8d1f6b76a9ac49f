//! What the attachment tests share: PDFs and scans made here, the upload call, a PDF's
//! text read back, reading attachments and PJ lots and waiting on them.

use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::GrayImage;
use std::io::Cursor;
use std::time::{Duration, Instant};

use passerelle_protocol::{Attachment, AttachmentState, PjLot, PjLotList};
use passerelle_tests::Daemon;
use pdf_writer::{Content, Pdf, Rect, Ref};
use serde_json::Value;

use super::returns::FETCH;

/// A one-page PDF of `w` × `h` points with a line drawn on it.
pub fn pdf(w: f32, h: f32) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, page, content) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    pdf.page(page)
        .media_box(Rect::new(0.0, 0.0, w, h))
        .parent(tree)
        .contents(content);
    let mut c = Content::new();
    c.move_to(20.0, 20.0).line_to(200.0, 200.0).stroke();
    pdf.stream(content, &c.finish());
    pdf.finish()
}

/// A white JPEG of `w` × `h` pixels declaring `dpi`.
pub fn jpeg(w: u32, h: u32, dpi: u16) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut enc = JpegEncoder::new(&mut out);
    enc.set_pixel_density(PixelDensity::dpi(dpi));
    enc.encode_image(&GrayImage::from_pixel(w, h, image::Luma([255])))
        .unwrap();
    out.into_inner()
}

/// Uploads `bytes` as `content_type` for FSE `fse`; the status and the JSON answer.
pub async fn upload(
    daemon: &Daemon,
    fse: i64,
    kind: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let resp = daemon
        .client()
        .post(daemon.url(&format!("/v1/fse/{fse}/attachments?kind={kind}")))
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text:?}: {e}"));
    (status, body)
}

/// The text of the PDF `bytes` as `pdftotext` reads it (poppler, not the daemon's writer),
/// through a file `name` in `dir`.
pub fn pdf_text(dir: &passerelle_tests::TestDir, name: &str, bytes: &[u8]) -> String {
    let file = dir.file(name);
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Uploads `bytes` for FSE `fse`, expecting it kept.
pub async fn attach(
    daemon: &Daemon,
    fse: i64,
    kind: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Attachment {
    let (status, body) = upload(daemon, fse, kind, content_type, bytes).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_value(body).unwrap()
}

/// `GET /v1/pj-lots`, newest first.
pub async fn pj_lots(daemon: &Daemon) -> Vec<PjLot> {
    let list: PjLotList = daemon.get_json("/v1/pj-lots").await.unwrap();
    list.pj_lots
}

/// Polls the PJ lots until `pred` holds.
pub async fn wait_pj(daemon: &Daemon, what: &str, pred: impl Fn(&[PjLot]) -> bool) -> Vec<PjLot> {
    let deadline = Instant::now() + FETCH;
    loop {
        let lots = pj_lots(daemon).await;
        if pred(&lots) {
            return lots;
        }
        assert!(
            Instant::now() < deadline,
            "{what} did not happen: {lots:#?}\n{}",
            daemon.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `GET /v1/attachments/{id}`.
pub async fn attachment(daemon: &Daemon, id: i64) -> Attachment {
    daemon
        .get_json(&format!("/v1/attachments/{id}"))
        .await
        .unwrap()
}

/// Waits until attachment `id` is purged (due on `purge_on`).
pub async fn purged(daemon: &Daemon, id: i64, purge_on: &str) {
    let deadline = Instant::now() + FETCH;
    while attachment(daemon, id).await.state != AttachmentState::Purged {
        assert!(
            Instant::now() < deadline,
            "attachment {id} not purged by {purge_on}\n{}",
            daemon.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The status and bytes of `GET path`.
pub async fn get_bytes(daemon: &Daemon, path: &str) -> (u16, Vec<u8>) {
    let resp = daemon.client().get(daemon.url(path)).send().await.unwrap();
    (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
}

/// `GET /v1/attachments/{id}/pdf`: status and bytes.
pub async fn pdf_of(daemon: &Daemon, id: i64) -> (u16, Vec<u8>) {
    get_bytes(daemon, &format!("/v1/attachments/{id}/pdf")).await
}
