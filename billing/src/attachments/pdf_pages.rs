//! What an uploaded PDF's pages are: their size (the MediaBox, inherited from the page
//! tree when the page has none) and, for scanned pages, the resolution of the largest
//! image drawn on them. Read with lopdf.

use lopdf::{Dictionary, Document, Object, ObjectId};

/// PDF points per inch.
const POINTS_PER_INCH: f32 = 72.0;

/// One page of a PDF.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Page {
    /// Width in points.
    pub width_pt: f32,
    /// Height in points.
    pub height_pt: f32,
    /// The resolution of the page's largest image across the page width, in dpi (`None`:
    /// no image, a page drawn, not scanned).
    pub dpi: Option<u32>,
}

/// The pages of `bytes`, or why they cannot be read (in French).
pub fn pages(bytes: &[u8]) -> Result<Vec<Page>, String> {
    let doc = Document::load_mem(bytes).map_err(|e| format!("PDF illisible ({e})"))?;
    if doc.is_encrypted() {
        return Err("PDF chiffré : enregistrez-le sans mot de passe".into());
    }
    let ids: Vec<ObjectId> = doc.get_pages().into_values().collect();
    if ids.is_empty() {
        return Err("PDF sans aucune page".into());
    }
    ids.into_iter()
        .map(|id| {
            let (w, h) = media_box(&doc, id).ok_or("page sans dimensions (MediaBox)")?;
            let dpi = largest_image(&doc, id)
                .map(|px| (px as f32 * POINTS_PER_INCH / w.max(1.0)).round() as u32);
            Ok(Page {
                width_pt: w,
                height_pt: h,
                dpi,
            })
        })
        .collect()
}

/// The page's MediaBox (width, height), its own or its nearest ancestor's.
fn media_box(doc: &Document, page: ObjectId) -> Option<(f32, f32)> {
    media_box_corners(doc, page).map(|[x0, y0, x1, y1]| (x1 - x0, y1 - y0))
}

/// The page's MediaBox, its own or its nearest ancestor's, as `[left, bottom, right, top]`
/// (corners given in any order come out ordered).
pub(crate) fn media_box_corners(doc: &Document, page: ObjectId) -> Option<[f32; 4]> {
    let mut node = doc.get_dictionary(page).ok()?;
    for _ in 0..32 {
        if let Ok(b) = node.get(b"MediaBox") {
            let (_, b) = doc.dereference(b).ok()?;
            let v: Vec<f32> = b
                .as_array()
                .ok()?
                .iter()
                .filter_map(|o| doc.dereference(o).ok()?.1.as_float().ok())
                .collect();
            return (v.len() == 4).then(|| {
                [
                    v[0].min(v[2]),
                    v[1].min(v[3]),
                    v[0].max(v[2]),
                    v[1].max(v[3]),
                ]
            });
        }
        let parent = node.get(b"Parent").and_then(Object::as_reference).ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// The pixel width of the widest image among the page's XObjects, if any.
fn largest_image(doc: &Document, page: ObjectId) -> Option<i64> {
    let (own, inherited) = doc.get_page_resources(page).ok()?;
    let mut dicts: Vec<&Dictionary> = own.into_iter().collect();
    dicts.extend(
        inherited
            .iter()
            .filter_map(|id| doc.get_dictionary(*id).ok()),
    );
    dicts
        .into_iter()
        .filter_map(|res| {
            let (_, x) = doc.dereference(res.get(b"XObject").ok()?).ok()?;
            Some(x.as_dict().ok()?.iter().filter_map(|(_, o)| {
                let (_, o) = doc.dereference(o).ok()?;
                let d = &o.as_stream().ok()?.dict;
                (d.get(b"Subtype").ok()?.as_name().ok()? == b"Image")
                    .then(|| d.get(b"Width").ok()?.as_i64().ok())?
            }))
        })
        .flatten()
        .max()
}
