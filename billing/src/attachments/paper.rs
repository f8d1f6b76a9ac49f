//! The paper path of an attachment whose PJ lot was not delivered within 5 working days:
//! its own PDF, every page stamped at the top with the FSE number, the number of the lot
//! that carried the FSE, the PJ lot number, the practitioner and the organism, so the
//! caisse can match the sheet it receives by post (seed 001). Drawn with lopdf over the
//! stored pages, which are left as they were.

use lopdf::{dictionary, Document, Object, ObjectId, Stream};

/// What is printed on each page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// FSE number (9 digits).
    pub fse_number: String,
    /// Number of the lot that carried the FSE (3 digits).
    pub lot_number: String,
    /// PJ lot number (3 digits).
    pub pj_lot_number: String,
    /// The practitioner's billing number.
    pub practitioner: String,
    /// Régime, caisse, centre.
    pub organism: String,
}

impl Stamp {
    /// The stamp's line, in French.
    pub fn line(&self) -> String {
        format!(
            "SCOR - FSE n° {} - lot n° {} - lot PJ n° {} - PS {} - organisme {}",
            self.fse_number, self.lot_number, self.pj_lot_number, self.practitioner, self.organism
        )
    }
}

/// Name of the stamp's font in the pages' resources.
const FONT: &[u8] = b"PsrStampFont";
/// Height of the band drawn at the top of each page, in points.
const BAND: f32 = 16.0;

/// `pdf` with every page stamped; or why not (in French).
pub fn stamped(pdf: &[u8], stamp: &Stamp) -> Result<Vec<u8>, String> {
    let mut doc = Document::load_mem(pdf).map_err(|e| format!("PDF illisible ({e})"))?;
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
    for page in pages {
        let (x0, top) = top_left(&doc, page).ok_or("page sans dimensions (MediaBox)")?;
        own_resources(&mut doc, page)?;
        add_font(&mut doc, page, font)?;
        let text: Vec<u8> = stamp
            .line()
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
            .flat_map(|b| match b {
                b'(' | b')' | b'\\' => vec![b'\\', b],
                _ => vec![b],
            })
            .collect();
        let mut content = format!(
            "Q q 1 g {x0} {} 420 {BAND} re f 0 g BT /{} 8 Tf {} {} Td (",
            top - BAND,
            String::from_utf8_lossy(FONT),
            x0 + 4.0,
            top - BAND + 5.0
        )
        .into_bytes();
        content.extend(text);
        content.extend(b") Tj ET Q");
        wrap_contents(&mut doc, page, content)?;
    }
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| format!("PDF non écrit ({e})"))?;
    Ok(out)
}

/// The page's MediaBox left edge and top, its own or inherited.
fn top_left(doc: &Document, page: ObjectId) -> Option<(f32, f32)> {
    super::pdf_pages::media_box_corners(doc, page).map(|[left, _, _, top]| (left, top))
}

/// Gives the page its own resource dictionary (a copy of the inherited one when it has
/// none), so adding the font neither loses nor changes another page's resources.
fn own_resources(doc: &mut Document, page: ObjectId) -> Result<(), String> {
    let current = doc
        .get_dictionary(page)
        .map_err(|e| e.to_string())?
        .get(b"Resources")
        .ok()
        .cloned();
    let resolved = match current {
        Some(Object::Reference(id)) => doc.get_dictionary(id).ok().cloned(),
        Some(Object::Dictionary(d)) => Some(d),
        _ => {
            let (_, inherited) = doc.get_page_resources(page).map_err(|e| e.to_string())?;
            inherited
                .first()
                .and_then(|id| doc.get_dictionary(*id).ok().cloned())
        }
    };
    let mut resources = resolved.unwrap_or_default();
    if let Ok(Object::Reference(id)) = resources.get(b"Font").cloned() {
        if let Ok(fonts) = doc.get_dictionary(id) {
            resources.set("Font", fonts.clone());
        }
    }
    doc.get_object_mut(page)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?
        .set("Resources", resources);
    Ok(())
}

fn add_font(doc: &mut Document, page: ObjectId, font: ObjectId) -> Result<(), String> {
    let resources = doc
        .get_object_mut(page)
        .and_then(Object::as_dict_mut)
        .and_then(|p| p.get_mut(b"Resources"))
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?;
    if !resources.has(b"Font") {
        resources.set("Font", lopdf::Dictionary::new());
    }
    resources
        .get_mut(b"Font")
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?
        .set(FONT, Object::Reference(font));
    Ok(())
}

/// Contents become `q`, the page's own streams, then `stamp` (which starts with `Q`): the
/// page's drawing state cannot leak into the stamp.
fn wrap_contents(doc: &mut Document, page: ObjectId, stamp: Vec<u8>) -> Result<(), String> {
    let existing: Vec<Object> = match doc
        .get_dictionary(page)
        .map_err(|e| e.to_string())?
        .get(b"Contents")
    {
        Ok(Object::Reference(id)) => vec![Object::Reference(*id)],
        Ok(Object::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    let open = doc.add_object(Stream::new(lopdf::Dictionary::new(), b"q".to_vec()));
    let close = doc.add_object(Stream::new(lopdf::Dictionary::new(), stamp));
    let mut contents = vec![Object::Reference(open)];
    contents.extend(existing);
    contents.push(Object::Reference(close));
    doc.get_object_mut(page)
        .and_then(Object::as_dict_mut)
        .map_err(|e| e.to_string())?
        .set("Contents", contents);
    Ok(())
}
