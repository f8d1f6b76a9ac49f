//! Placing the duplicate's text on A4 pages (points, origin bottom-left). Produces plain
//! drafts; [`super::render`] turns them into PDF.

use super::winansi::width;
use super::{PaperDuplicate, PaperFse};

/// A4 width and height, in points.
pub(crate) const PAGE: (f32, f32) = (595.28, 841.89);
const LEFT: f32 = 50.0;
const RIGHT: f32 = 545.0;
const TOP: f32 = 792.0;
/// Lowest baseline of the body; the footer sits below.
const BOTTOM: f32 = 72.0;
const COL_RIGHT_BLOCK: f32 = 310.0;
/// Table columns: FSE, date, patient, NIR; the amount is right-aligned on `RIGHT`.
const COLS: [f32; 4] = [50.0, 110.0, 185.0, 365.0];
const ROW_SIZE: f32 = 9.0;
const ROW_LEAD: f32 = 11.0;

/// One run of text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Text {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
}

/// One page: texts and horizontal rules `(x1, x2, y)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Page {
    pub texts: Vec<Text>,
    pub rules: Vec<(f32, f32, f32)>,
}

struct Composer {
    pages: Vec<Page>,
    y: f32,
    running_head: String,
}

/// The pages of `d` (already validated).
pub(crate) fn compose(d: &PaperDuplicate) -> Vec<Page> {
    let mut c = Composer {
        pages: vec![Page::default()],
        y: TOP,
        running_head: format!(
            "Duplicata de FSE — lot n° {} — praticien {} (suite)",
            d.lot, d.practitioner.billing_number
        ),
    };
    c.put(
        LEFT,
        15.0,
        true,
        "DUPLICATA DE FEUILLES DE SOINS ÉLECTRONIQUES",
    );
    c.y -= 16.0;
    let intro = "Établi après un nouvel échec de la télétransmission du lot ci-dessous ; \
                 il en reprend les numéros de feuilles de soins (FSE) et de lot.";
    for line in wrap(intro, RIGHT - LEFT, 9.0) {
        c.put(LEFT, 9.0, false, &line);
        c.y -= 11.0;
    }
    c.y -= 17.0;
    c.blocks(d);
    c.put(LEFT, 13.0, true, &format!("Lot n° {}", d.lot));
    c.put(
        COL_RIGHT_BLOCK,
        10.0,
        false,
        &format!("Date du duplicata : {}", d.date),
    );
    c.y -= 22.0;
    c.put(LEFT, 10.0, true, "Motif de délivrance :");
    c.y -= 13.0;
    for line in wrap(&d.reason, RIGHT - LEFT, 10.0) {
        c.need(13.0, false);
        c.put(LEFT, 10.0, false, &line);
        c.y -= 13.0;
    }
    c.y -= 10.0;
    c.need(3.0 * ROW_LEAD + 14.0, false);
    let count = d.invoices.len();
    let title = format!("Feuilles de soins électroniques non transmises ({count})");
    c.put(LEFT, 10.0, true, &title);
    c.y -= 16.0;
    c.table_head();
    for fse in &d.invoices {
        c.row(fse);
    }
    c.closing(d);
    c.footers(d)
}

impl Composer {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn put(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let y = self.y;
        self.page().texts.push(Text {
            x,
            y,
            size,
            bold,
            text: text.to_owned(),
        });
    }

    /// Starts a new page when `height` does not fit; in a table, repeats its head.
    fn need(&mut self, height: f32, table: bool) {
        if self.y - height >= BOTTOM {
            return;
        }
        self.pages.push(Page::default());
        self.y = TOP;
        let head = self.running_head.clone();
        self.put(LEFT, 9.0, true, &head);
        self.y -= 24.0;
        if table {
            self.table_head();
        }
    }

    /// Practitioner (left) and organism (right), side by side.
    fn blocks(&mut self, d: &PaperDuplicate) {
        let p = &d.practitioner;
        let o = &d.organism;
        let mut left = vec![
            p.name.clone(),
            format!("N° de facturation : {}", p.billing_number),
        ];
        left.extend(p.address.iter().filter(|l| !l.trim().is_empty()).cloned());
        let ids = format!(
            "Régime {} · caisse {} · centre {}",
            o.organism.regime, o.organism.caisse, o.organism.centre
        );
        let mut right = vec![o.label.clone(), ids];
        right.extend(o.address.iter().filter(|l| !l.trim().is_empty()).cloned());
        let width = COL_RIGHT_BLOCK - LEFT - 10.0;
        let left: Vec<String> = left.iter().flat_map(|l| wrap(l, width, 10.0)).collect();
        let right: Vec<String> = right
            .iter()
            .flat_map(|l| wrap(l, RIGHT - COL_RIGHT_BLOCK, 10.0))
            .collect();
        self.put(LEFT, 10.0, true, "Praticien");
        self.put(COL_RIGHT_BLOCK, 10.0, true, "Organisme destinataire");
        let top = self.y - 14.0;
        for (i, line) in left.iter().enumerate() {
            self.y = top - 13.0 * i as f32;
            self.put(LEFT, 10.0, false, line);
        }
        for (i, line) in right.iter().enumerate() {
            self.y = top - 13.0 * i as f32;
            self.put(COL_RIGHT_BLOCK, 10.0, false, line);
        }
        self.y = top - 13.0 * left.len().max(right.len()) as f32 - 14.0;
    }

    fn table_head(&mut self) {
        let heads = ["N° FSE", "Date des soins", "Patient", "NIR"];
        for (x, h) in COLS.iter().zip(heads) {
            self.put(*x, ROW_SIZE, true, h);
        }
        self.put_right(RIGHT, ROW_SIZE, true, "Montant");
        let y = self.y - 4.0;
        self.page().rules.push((LEFT, RIGHT, y));
        self.y -= ROW_LEAD + 5.0;
    }

    fn put_right(&mut self, right: f32, size: f32, bold: bool, text: &str) {
        let x = right - width(text) as f32 * size / 1000.0;
        self.put(x, size, bold, text);
    }

    fn row(&mut self, fse: &PaperFse) {
        let names = wrap(&fse.patient, COLS[3] - COLS[2] - 8.0, ROW_SIZE);
        let lines = names.len().max(1) as f32;
        self.need(lines * ROW_LEAD, true);
        self.put(COLS[0], ROW_SIZE, false, &fse.fse.to_string());
        self.put(COLS[1], ROW_SIZE, false, &fse.care_date.to_string());
        self.put(COLS[3], ROW_SIZE, false, &fse.nir.to_string());
        self.put_right(RIGHT, ROW_SIZE, false, &fse.amount.to_string());
        let top = self.y;
        for (i, name) in names.iter().enumerate() {
            self.y = top - ROW_LEAD * i as f32;
            self.put(COLS[2], ROW_SIZE, false, name);
        }
        self.y = top - ROW_LEAD * lines;
    }

    fn closing(&mut self, d: &PaperDuplicate) {
        let total = d
            .invoices
            .iter()
            .fold(0i64, |t, f| t.saturating_add(f.amount.get()));
        self.need(150.0, false);
        let y = self.y + ROW_LEAD - 4.0;
        self.page().rules.push((LEFT, RIGHT, y));
        self.y -= 4.0;
        let total = format!("Total : {}", crate::returns::types::format_euros(total));
        self.put_right(RIGHT, 10.0, true, &total);
        self.put(
            LEFT,
            10.0,
            false,
            &format!("{} feuille(s) de soins", d.invoices.len()),
        );
        self.y -= 40.0;
        self.put(LEFT, 10.0, true, "Signature du praticien :");
        self.put(COL_RIGHT_BLOCK, 10.0, true, "Signature de l'assuré :");
        self.y -= 12.0;
        self.put(
            COL_RIGHT_BLOCK,
            8.0,
            false,
            "(dispense d'avance des frais ; à défaut, le",
        );
        self.y -= 10.0;
        self.put(
            COL_RIGHT_BLOCK,
            8.0,
            false,
            "praticien indique que l'assuré n'a pu signer)",
        );
    }

    /// Adds `page i / n` to every page and returns them.
    fn footers(mut self, d: &PaperDuplicate) -> Vec<Page> {
        let n = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.texts.push(Text {
                x: LEFT,
                y: 40.0,
                size: 8.0,
                bold: false,
                text: format!(
                    "Duplicata du lot n° {} — praticien {} — page {} / {n}",
                    d.lot,
                    d.practitioner.billing_number,
                    i + 1
                ),
            });
        }
        self.pages
    }
}

/// Greedy word wrap of `text` to `max_width` points at `size`; words wider than a line
/// are cut.
pub(crate) fn wrap(text: &str, max_width: f32, size: f32) -> Vec<String> {
    let limit = (max_width * 1000.0 / size).max(1.0) as u32;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate) <= limit {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            let mut next = line.clone();
            next.push(c);
            if width(&next) > limit && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
