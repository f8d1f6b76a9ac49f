//! The checks an upload passes before it is kept (seeds 000 and 001: a PDF, at least A5,
//! at least 200 dpi), each refusal with its own code and a French message naming what is
//! wrong: the file's type (by its first bytes, which must agree with the declared
//! `Content-Type`), its size, then each page's size and resolution. Images become a PDF
//! first ([`super::scan`]), so the same page checks apply to both.

use image::ImageFormat;
use passerelle_protocol::ErrorCode;
use serde_json::json;

use super::pdf_pages::{pages, Page};
use super::scan::to_pdf;
use crate::BillingError;

/// A5 is 148 × 210 mm: its sides in points, less a point for rounding.
const A5_PT: (f32, f32) = (148.0 / 25.4 * 72.0 - 1.0, 210.0 / 25.4 * 72.0 - 1.0);
/// The lowest resolution of a scanned page.
pub const MIN_DPI: u32 = 200;

/// An upload that passed: the PDF to keep and what was found in it.
#[derive(Debug)]
pub struct Checked {
    /// The PDF (the upload itself, or the image made into one).
    pub pdf: Vec<u8>,
    /// The uploaded type.
    pub uploaded_type: &'static str,
    /// Pages.
    pub pages: u32,
    /// The lowest resolution of a scanned page, if any.
    pub dpi: Option<u32>,
}

/// The accepted types: `Content-Type`, the first bytes, the image format (none: PDF).
const TYPES: [(&str, &[u8], Option<ImageFormat>); 6] = [
    ("application/pdf", b"%PDF-", None),
    ("image/jpeg", &[0xFF, 0xD8, 0xFF], Some(ImageFormat::Jpeg)),
    ("image/png", b"\x89PNG\r\n\x1a\n", Some(ImageFormat::Png)),
    ("image/tiff", b"II*\0", Some(ImageFormat::Tiff)),
    ("image/tiff", b"MM\0*", Some(ImageFormat::Tiff)),
    ("image/jpg", &[0xFF, 0xD8, 0xFF], Some(ImageFormat::Jpeg)),
];

fn refused(code: ErrorCode, message: String, details: serde_json::Value) -> BillingError {
    BillingError::Attachment {
        code,
        message,
        details,
    }
}

/// Checks `bytes`, declared as `content_type`, against the limits; `max` is
/// `attachments.max_bytes`.
pub fn check(content_type: &str, bytes: &[u8], max: usize) -> Result<Checked, BillingError> {
    let declared = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let not_supported = |why: &str| {
        refused(
            ErrorCode::AttachmentNotSupported,
            format!("La pièce jointe doit être un PDF ou une image JPEG, PNG ou TIFF : {why}."),
            json!({ "content_type": declared }),
        )
    };
    let Some((uploaded_type, _, format)) = TYPES
        .iter()
        .find(|(t, magic, _)| *t == declared && bytes.starts_with(magic))
        .copied()
    else {
        return Err(match TYPES.iter().any(|(t, _, _)| *t == declared) {
            true => not_supported(&format!("le contenu n'est pas un fichier {declared}")),
            false => not_supported(&format!("le type « {declared} » n'est pas accepté")),
        });
    };
    if bytes.len() > max {
        return Err(refused(
            ErrorCode::AttachmentTooLarge,
            format!(
                "La pièce jointe fait {} Ko : {} Ko au plus (réduisez la résolution ou scannez en noir et blanc).",
                bytes.len() / 1024,
                max / 1024
            ),
            json!({ "bytes": bytes.len(), "max": max }),
        ));
    }
    let (pdf, found) = match format {
        None => (
            bytes.to_vec(),
            guarded(|| pages(bytes)).map_err(|e| not_supported(&e))?,
        ),
        Some(f) => {
            let scan = guarded(|| to_pdf(f, bytes)).map_err(|e| not_supported(&e))?;
            let page = Page {
                width_pt: scan.width_pt,
                height_pt: scan.height_pt,
                dpi: Some(scan.dpi),
            };
            (scan.pdf, vec![page])
        }
    };
    for (n, p) in found.iter().enumerate() {
        let (short, long) = (p.width_pt.min(p.height_pt), p.width_pt.max(p.height_pt));
        let mm = |pt: f32| (pt / 72.0 * 25.4).round() as u32;
        if short < A5_PT.0 || long < A5_PT.1 {
            return Err(refused(
                ErrorCode::AttachmentTooSmall,
                format!(
                    "La page {} mesure {} × {} mm : le format A5 (148 × 210 mm) est le minimum.",
                    n + 1,
                    mm(p.width_pt),
                    mm(p.height_pt)
                ),
                json!({ "page": n + 1, "width_mm": mm(p.width_pt), "height_mm": mm(p.height_pt) }),
            ));
        }
        if let Some(dpi) = p.dpi.filter(|d| *d < MIN_DPI) {
            return Err(refused(
                ErrorCode::AttachmentResolutionTooLow,
                format!(
                    "La page {} est numérisée à {dpi} dpi : {MIN_DPI} dpi au moins, pour rester lisible.",
                    n + 1
                ),
                json!({ "page": n + 1, "dpi": dpi }),
            ));
        }
    }
    Ok(Checked {
        pdf,
        uploaded_type,
        pages: found.len() as u32,
        dpi: found.iter().filter_map(|p| p.dpi).min(),
    })
}

/// Runs a parser on untrusted bytes: a panic inside it is a refusal, not a crash.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err("fichier illisible".into()))
}
