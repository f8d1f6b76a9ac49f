//! What the attachment tests share: PDFs and scans made here, the upload call, a PDF's
//! text read back.

use std::io::Cursor;

use image::codecs::jpeg::{JpegEncoder, PixelDensity};
use image::GrayImage;
use passerelle_tests::Daemon;
use pdf_writer::{Content, Pdf, Rect, Ref};
use serde_json::Value;

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
