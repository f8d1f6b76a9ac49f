//! Turning page drafts into a PDF with `pdf-writer`: standard Helvetica and
//! Helvetica-Bold, `WinAnsiEncoding`, one content stream per page.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::layout::{Page, PAGE};
use super::{winansi, PaperDuplicate};

const CATALOG: Ref = Ref::new(1);
const TREE: Ref = Ref::new(2);
const REGULAR: Ref = Ref::new(3);
const BOLD: Ref = Ref::new(4);
const INFO: Ref = Ref::new(5);
/// Page `i` is object `FIRST_PAGE + 2i`, its content `FIRST_PAGE + 2i + 1`.
const FIRST_PAGE: i32 = 6;

/// The PDF bytes of `pages`.
pub(crate) fn render(d: &PaperDuplicate, pages: &[Page]) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len())
        .map(|i| {
            // At most a few hundred pages (MAX_INVOICES), far below i32::MAX / 2.
            let i = i32::try_from(i).unwrap_or(i32::MAX / 4);
            (
                Ref::new(FIRST_PAGE + 2 * i),
                Ref::new(FIRST_PAGE + 2 * i + 1),
            )
        })
        .collect();
    pdf.catalog(CATALOG).pages(TREE).lang(TextStr("fr"));
    pdf.pages(TREE)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.type1_font(REGULAR)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(BOLD)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let title = format!("Duplicata de FSE — lot n° {}", d.lot);
    pdf.document_info(INFO)
        .title(TextStr(&title))
        .author(TextStr(&d.practitioner.name))
        .producer(TextStr("Passerelle"));
    for (page, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
            .parent(TREE)
            .contents(*content_id);
        p.resources()
            .fonts()
            .pair(Name(b"F1"), REGULAR)
            .pair(Name(b"F2"), BOLD);
        p.finish();
        pdf.stream(*content_id, &content(page));
    }
    pdf.finish()
}

/// The content stream of one page.
fn content(page: &Page) -> Vec<u8> {
    let mut c = Content::new();
    for t in &page.texts {
        let font = if t.bold { Name(b"F2") } else { Name(b"F1") };
        c.begin_text();
        c.set_font(font, t.size);
        c.next_line(t.x, t.y);
        c.show(Str(&winansi::encode(&t.text)));
        c.end_text();
    }
    if !page.rules.is_empty() {
        c.set_line_width(0.5);
        for (x1, x2, y) in &page.rules {
            c.move_to(*x1, *y);
            c.line_to(*x2, *y);
        }
        c.stroke();
    }
    c.finish().to_vec()
}
