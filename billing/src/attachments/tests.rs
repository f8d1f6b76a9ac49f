//! Uploads checked as the seeds ask, on files made here: PDFs of a given page size (drawn,
//! or holding a scan of a given width), JPEG, PNG and TIFF images with and without a
//! declared density; each refusal with its own code; what still needs a copy.

use std::io::Cursor;

use image::{GrayImage, ImageFormat};
use passerelle_protocol::{AttachmentKind, AttachmentUpload, ErrorCode, FseMode, InsuranceNature};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref};

use super::check::check;
use crate::samples::{draft, ngap};
use crate::test_support::{billing_with, created, midwife};
use crate::BillingError;

const MAX: usize = 4 * 1024 * 1024;
/// A4 and A6, in points.
const A4: (f32, f32) = (595.0, 842.0);
const A6: (f32, f32) = (298.0, 420.0);

/// A one-page PDF of `size` points; with `scan_px`, the page holds a gray image that many
/// pixels wide (its resolution: `scan_px` / width in inches).
fn pdf(size: (f32, f32), scan_px: Option<u32>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let (catalog, tree, page, content, image) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, size.0, size.1));
    p.parent(tree);
    p.contents(content);
    if scan_px.is_some() {
        p.resources().x_objects().pair(Name(b"Im"), image);
    }
    p.finish();
    let mut c = Content::new();
    if let Some(px) = scan_px {
        let samples = vec![255u8; px as usize * 4];
        let mut x = pdf.image_xobject(image, &samples);
        x.width(px as i32).height(4).bits_per_component(8);
        x.color_space().device_gray();
        x.finish();
        c.transform([size.0, 0.0, 0.0, size.1, 0.0, 0.0]);
        c.x_object(Name(b"Im"));
    } else {
        c.rect(10.0, 10.0, 100.0, 100.0).stroke();
    }
    pdf.stream(content, &c.finish());
    pdf.finish()
}

/// A white gray image of `w` × `h` pixels encoded as `format`.
fn image(format: ImageFormat, w: u32, h: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    GrayImage::from_pixel(w, h, image::Luma([255]))
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A JPEG with a JFIF density of `dpi`.
fn jpeg_at(w: u32, h: u32, dpi: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = image::codecs::jpeg::JpegEncoder::new(&mut out);
    enc.set_pixel_density(image::codecs::jpeg::PixelDensity::dpi(dpi));
    enc.encode_image(&GrayImage::from_pixel(w, h, image::Luma([255])))
        .unwrap();
    out
}

/// A PNG with a `pHYs` density of `dpi`.
fn png_at(w: u32, h: u32, dpi: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_pixel_dims(Some(png::PixelDimensions {
        xppu: (dpi as f32 / 0.0254).round() as u32,
        yppu: (dpi as f32 / 0.0254).round() as u32,
        unit: png::Unit::Meter,
    }));
    let mut w8 = enc.write_header().unwrap();
    w8.write_image_data(&vec![255u8; (w * h) as usize]).unwrap();
    w8.finish().unwrap();
    out
}

fn code_of(r: Result<super::check::Checked, BillingError>) -> ErrorCode {
    r.map(|_| ()).unwrap_err().code()
}

#[test]
fn a_drawn_a4_pdf_is_kept_as_it_is() {
    let bytes = pdf(A4, None);
    let c = check("application/pdf", &bytes, MAX).unwrap();
    assert_eq!(
        (c.pages, c.dpi, c.uploaded_type),
        (1, None, "application/pdf")
    );
    assert_eq!(c.pdf, bytes, "the very bytes, not a copy made again");
}

#[test]
fn pdf_pages_below_a5_or_200_dpi_are_refused() {
    let e = check("application/pdf", &pdf(A6, None), MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentTooSmall);
    assert!(e.to_string().contains("105 × 148 mm"), "{e}");
    // An A4 scan 1,240 pixels wide: 150 dpi.
    let e = check("application/pdf", &pdf(A4, Some(1240)), MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentResolutionTooLow);
    assert_eq!(e.details().unwrap()["dpi"], 150);
    // 1,654 pixels: 200 dpi, kept.
    let c = check("application/pdf", &pdf(A4, Some(1654)), MAX).unwrap();
    assert_eq!(c.dpi, Some(200));
}

#[test]
fn images_become_a_pdf_of_their_printed_size() {
    // A5 at 212 dpi, declared in the JFIF header.
    let c = check("image/jpeg", &jpeg_at(1240, 1754, 212), MAX).unwrap();
    assert_eq!(
        (c.pages, c.dpi, c.uploaded_type),
        (1, Some(212), "image/jpeg")
    );
    let pages = super::pdf_pages::pages(&c.pdf).unwrap();
    assert!((pages[0].width_pt - 421.1).abs() < 1.0, "{pages:?}");
    assert_eq!(pages[0].dpi, Some(212), "the PDF made holds the scan");
    // Declared at 100 dpi: too low, whatever its pixels.
    let e = check("image/jpeg", &jpeg_at(827, 1169, 100), MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentResolutionTooLow);
    // 300 dpi, but 600 × 800 pixels: 2 × 2.7 inches, smaller than A5.
    let e = check("image/png", &png_at(600, 800, 300), MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentTooSmall);
    // No density declared: taken for an A4 page, 1,654 pixels across is 200 dpi.
    let c = check("image/tiff", &image(ImageFormat::Tiff, 1654, 2339), MAX).unwrap();
    assert_eq!(c.dpi, Some(200));
    let e = check("image/png", &image(ImageFormat::Png, 1000, 1414), MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentResolutionTooLow);
}

#[test]
fn other_files_types_that_lie_and_large_files_are_refused() {
    let text = b"ceci n'est pas un PDF".to_vec();
    assert_eq!(
        code_of(check("application/pdf", &text, MAX)),
        ErrorCode::AttachmentNotSupported
    );
    assert_eq!(
        code_of(check("text/plain", &text, MAX)),
        ErrorCode::AttachmentNotSupported
    );
    let png = image(ImageFormat::Png, 10, 10);
    let e = check("image/jpeg", &png, MAX).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentNotSupported);
    assert!(
        e.to_string().contains("n'est pas un fichier image/jpeg"),
        "{e}"
    );
    let mut broken = pdf(A4, None);
    broken.truncate(40);
    assert_eq!(
        code_of(check("application/pdf", &broken, MAX)),
        ErrorCode::AttachmentNotSupported
    );
    let e = check("application/pdf", &pdf(A4, None), 100).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentTooLarge);
    assert_eq!(e.details().unwrap()["max"], 100);
}

#[test]
fn attachments_follow_their_fse_and_a_degraded_one_needs_its_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (b, clock) = billing_with(dir.path());
    let day = "2026-03-02";
    let acts = || vec![ngap("C", "1", &[])];
    let ids = created(
        &b,
        &[
            draft(0, day, InsuranceNature::Maladie, FseMode::Degradee, acts()),
            draft(
                1,
                day,
                InsuranceNature::Maladie,
                FseMode::SansVitale,
                acts(),
            ),
        ],
    );
    b.sign_fse_batch(&midwife(), &ids).unwrap();
    let missing = b.missing_attachments(None, None).unwrap();
    assert_eq!(missing.len(), 1);
    assert_eq!(
        (missing[0].fse_id, missing[0].attach_by.as_str()),
        (ids[0], "2026-04-01")
    );
    let report = b.reconciliation(&Default::default(), 30).unwrap();
    assert_eq!(
        report.missing_attachments, missing,
        "the reconciliation says so too"
    );
    let later = b.missing_attachments(Some("2026-03-03"), None).unwrap();
    assert!(later.is_empty(), "care dates after the 2nd only");

    let prescription = AttachmentUpload {
        kind: AttachmentKind::Prescription,
        filename: None,
    };
    let copy = AttachmentUpload {
        kind: AttachmentKind::DegradedCopy,
        filename: Some("feuille.pdf".into()),
    };
    let bytes = pdf(A4, Some(1654));
    b.add_attachment(ids[0], &prescription, "application/pdf", &bytes, MAX)
        .unwrap();
    assert_eq!(
        b.missing_attachments(None, None).unwrap().len(),
        1,
        "a prescription is not the copy"
    );
    let a = b
        .add_attachment(ids[0], &copy, "application/pdf", &bytes, MAX)
        .unwrap();
    assert!(b.missing_attachments(None, None).unwrap().is_empty());
    assert_eq!(a.fse_number, b.fse(ids[0]).unwrap().number);
    assert_eq!(a.bytes as usize, bytes.len());
    assert_eq!(b.attachment_pdf(a.id).unwrap(), bytes);
    assert_eq!(b.attachments(ids[0]).unwrap().len(), 2);
    assert!(b.attachments(ids[1]).unwrap().is_empty());

    // Thirty days after the care date it is still accepted; the day after, refused.
    clock.advance(time::Duration::days(30));
    b.add_attachment(ids[1], &prescription, "application/pdf", &bytes, MAX)
        .unwrap();
    clock.advance(time::Duration::days(1));
    let e = b
        .add_attachment(ids[1], &prescription, "application/pdf", &bytes, MAX)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentTooLate);
    assert_eq!(e.details().unwrap()["attach_by"], "2026-04-01");
    assert_eq!(
        b.attachments(ids[1]).unwrap().len(),
        1,
        "nothing kept of a refusal"
    );
    assert_eq!(
        b.attachment(999).unwrap_err().code(),
        ErrorCode::AttachmentNotFound
    );

    // A deleted FSE takes none.
    let gone = created(
        &b,
        &[draft(
            2,
            "2026-03-30",
            InsuranceNature::Maladie,
            FseMode::SansVitale,
            acts(),
        )],
    );
    b.delete(gone[0]).unwrap();
    let e = b
        .add_attachment(gone[0], &prescription, "application/pdf", &bytes, MAX)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AttachmentNotAllowed);
}
