//! A scanned image (JPEG, PNG, TIFF) made into a one-page PDF whose page has the image's
//! printed size: its declared density (JFIF header, PNG `pHYs`, TIFF `XResolution`) gives
//! it; an image that declares none is taken for a whole A4 page (the usual scan). Decoded
//! with the `image` crate within limits; written with pdf-writer (a JPEG goes in as it
//! is, DCT-encoded; the others as Deflate-compressed samples).

use std::io::Cursor;

use flate2::write::ZlibEncoder;
use image::{ColorType, DynamicImage, ImageFormat, ImageReader, Limits};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref};

/// A4, in inches (210 × 297 mm).
const A4_INCHES: (f32, f32) = (8.2677, 11.6929);
/// The largest image side decoded, in pixels (A3 at 1,200 dpi).
const MAX_SIDE: u32 = 20_000;
/// The most memory a decoded image may take.
const MAX_ALLOC: u64 = 512 * 1024 * 1024;

/// An image made into a PDF page.
#[derive(Debug)]
pub struct ScannedPage {
    /// The one-page PDF.
    pub pdf: Vec<u8>,
    /// Page width, points.
    pub width_pt: f32,
    /// Page height, points.
    pub height_pt: f32,
    /// The resolution (the lower of the two axes), in dpi.
    pub dpi: u32,
}

/// Makes `bytes` (an image of `format`) into a PDF page; `Err` says why not, in French.
pub fn to_pdf(format: ImageFormat, bytes: &[u8]) -> Result<ScannedPage, String> {
    let image = decode(format, bytes)?;
    let (w, h) = (image.width() as f32, image.height() as f32);
    let (dx, dy) = density(format, bytes)
        .filter(|(x, y)| *x >= 1.0 && *y >= 1.0)
        .unwrap_or_else(|| {
            let fit = (w / A4_INCHES.0).max(h / A4_INCHES.1);
            (fit, fit)
        });
    let (width_pt, height_pt) = (w / dx * 72.0, h / dy * 72.0);
    let (filter, samples, gray) = match (format, image.color()) {
        (ImageFormat::Jpeg, ColorType::L8) => (Filter::DctDecode, bytes.to_vec(), true),
        (ImageFormat::Jpeg, ColorType::Rgb8) => (Filter::DctDecode, bytes.to_vec(), false),
        (_, c) if c.channel_count() <= 2 => (
            Filter::FlateDecode,
            deflate(image.to_luma8().as_raw())?,
            true,
        ),
        _ => (
            Filter::FlateDecode,
            deflate(image.to_rgb8().as_raw())?,
            false,
        ),
    };
    let (catalog, tree, page, xobject, content) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
    );
    let name = Name(b"Scan");
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, width_pt, height_pt));
    p.parent(tree);
    p.contents(content);
    p.resources().x_objects().pair(name, xobject);
    p.finish();
    let mut x = pdf.image_xobject(xobject, &samples);
    x.filter(filter);
    x.width(image.width() as i32);
    x.height(image.height() as i32);
    if gray {
        x.color_space().device_gray();
    } else {
        x.color_space().device_rgb();
    }
    x.bits_per_component(8);
    x.finish();
    let mut c = Content::new();
    c.save_state();
    c.transform([width_pt, 0.0, 0.0, height_pt, 0.0, 0.0]);
    c.x_object(name);
    c.restore_state();
    pdf.stream(content, &c.finish());
    Ok(ScannedPage {
        pdf: pdf.finish(),
        width_pt,
        height_pt,
        dpi: dx.min(dy).round() as u32,
    })
}

/// Decodes `bytes` as `format`, within [`MAX_SIDE`] and [`MAX_ALLOC`].
fn decode(format: ImageFormat, bytes: &[u8]) -> Result<DynamicImage, String> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    reader
        .decode()
        .map_err(|e| format!("image illisible ({e})"))
}

/// zlib-compressed `samples`.
fn deflate(samples: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(samples)
        .and_then(|()| z.finish())
        .map_err(|e| format!("compression de l'image impossible ({e})"))
}

/// The density the image declares, in dots per inch (x, y).
pub fn density(format: ImageFormat, bytes: &[u8]) -> Option<(f32, f32)> {
    match format {
        ImageFormat::Jpeg => jfif_density(bytes),
        ImageFormat::Png => {
            let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
            let d = reader.info().pixel_dims?;
            (d.unit == png::Unit::Meter).then_some((d.xppu as f32 * 0.0254, d.yppu as f32 * 0.0254))
        }
        ImageFormat::Tiff => {
            use tiff::tags::Tag;
            let mut t = tiff::decoder::Decoder::new(Cursor::new(bytes)).ok()?;
            let (x, y) = (
                t.get_tag_f64(Tag::XResolution).ok()?,
                t.get_tag_f64(Tag::YResolution).ok()?,
            );
            // ResolutionUnit: 1 none, 2 inch (the default), 3 centimetre.
            let per_inch = match t.get_tag_u32(Tag::ResolutionUnit).unwrap_or(2) {
                2 => 1.0,
                3 => 2.54,
                _ => return None,
            };
            Some(((x * per_inch) as f32, (y * per_inch) as f32))
        }
        _ => None,
    }
}

/// The density of a JPEG's JFIF `APP0` segment (`FF E0`, "JFIF\0", version, unit, x, y):
/// unit 1 dots per inch, 2 dots per centimetre, 0 an aspect ratio only (no density). No
/// maintained crate reads it apart from decoding the whole image.
fn jfif_density(bytes: &[u8]) -> Option<(f32, f32)> {
    let app0 = bytes.get(2..20)?;
    if app0[0..2] != [0xFF, 0xE0] || &app0[4..9] != b"JFIF\0" {
        return None;
    }
    let x = f32::from(u16::from_be_bytes([app0[12], app0[13]]));
    let y = f32::from(u16::from_be_bytes([app0[14], app0[15]]));
    match app0[11] {
        1 => Some((x, y)),
        2 => Some((x * 2.54, y * 2.54)),
        _ => None,
    }
}
