//! The paper duplicate of a lot whose transmission failed twice (two negative ARL, or no
//! ARL in time): a PDF to print, sign and post, naming every FSE and the lot, and saying
//! why it was issued (convention, "procédure en cas d'échec d'émission d'une FSE": the
//! duplicate "mentionne expressément le motif de sa délivrance et les références de la
//! feuille de soins électronique non transmise (numéros de FSE et de lot)").
//!
//! PDF library: `pdf-writer` (Typst's typed PDF writer: no hand-written PDF syntax, a few
//! small dependencies). Text uses the standard Helvetica fonts with `WinAnsiEncoding`, which
//! every PDF reader provides, so no font file is embedded or shipped; that encoding covers
//! French (é è ê à â ç î ô ù û ë ï ü ÿ œ æ, their capitals, `€`, `’`, `«»`). A character
//! outside it is refused with [`PaperError::UnsupportedCharacter`] rather than printed
//! wrong. A4 pages; as many as the FSE list needs, each numbered "page i / n".
//!
//! Pure: no clock, no I/O; the same duplicate always gives the same bytes.

mod layout;
mod render;
mod winansi;

use crate::returns::nir::Nir;
use crate::returns::types::{BillingNumber, CalendarDate, Cents, FseNumber, LotNumber, Organism};

/// Longest name, label or address line, in characters.
pub const MAX_LINE: usize = 80;
/// Most address lines of a block.
pub const MAX_ADDRESS_LINES: usize = 4;
/// Longest reason, in characters.
pub const MAX_REASON: usize = 600;
/// Most FSE on one duplicate (a lot holds far fewer).
pub const MAX_INVOICES: usize = 10_000;

/// Everything the duplicate shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperDuplicate {
    /// Who issues it.
    pub practitioner: PaperPractitioner,
    /// Where the lot was sent.
    pub organism: PaperOrganism,
    /// The lot that failed.
    pub lot: LotNumber,
    /// Date of the duplicate.
    pub date: CalendarDate,
    /// Why it is issued, e.g. `Deux ARL négatifs : …` or `Aucun ARL reçu`.
    pub reason: String,
    /// The FSE of the lot.
    pub invoices: Vec<PaperFse>,
}

/// The practitioner block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperPractitioner {
    /// Name as it should be printed.
    pub name: String,
    /// Billing number (AM number).
    pub billing_number: BillingNumber,
    /// Address lines, possibly none.
    pub address: Vec<String>,
}

/// The organism block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperOrganism {
    /// Régime, caisse, centre.
    pub organism: Organism,
    /// Its name, e.g. `CPAM du Territoire de Belfort`.
    pub label: String,
    /// Address lines, possibly none.
    pub address: Vec<String>,
}

/// One FSE of the lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperFse {
    /// FSE number.
    pub fse: FseNumber,
    /// Date of care.
    pub care_date: CalendarDate,
    /// Patient's name.
    pub patient: String,
    /// Insured person's NIR.
    pub nir: Nir,
    /// Amount of the FSE.
    pub amount: Cents,
}

/// Why the duplicate cannot be made. French, for the practitioner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaperError {
    /// A required text is empty.
    #[error("Duplicata impossible : « {0} » est vide.")]
    Empty(&'static str),
    /// A text is too long.
    #[error("Duplicata impossible : « {field} » dépasse {max} caractères.")]
    TooLong {
        /// Which text.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// Too many address lines.
    #[error("Duplicata impossible : « {field} » a plus de {max} lignes.")]
    TooManyLines {
        /// Which block.
        field: &'static str,
        /// Its limit.
        max: usize,
    },
    /// A character the PDF's standard font cannot print.
    #[error("Duplicata impossible : « {field} » contient le caractère « {character} », que la police du PDF ne sait pas imprimer ; remplacez-le (par exemple par la lettre sans accent).")]
    UnsupportedCharacter {
        /// Which text.
        field: &'static str,
        /// The character.
        character: char,
    },
    /// No FSE to list.
    #[error("Duplicata impossible : aucune feuille de soins à y porter.")]
    NoInvoices,
    /// More FSE than a duplicate takes.
    #[error("Duplicata impossible : plus de {0} feuilles de soins.")]
    TooManyInvoices(usize),
}

/// The PDF of `dup`, after checking every text.
pub fn paper_duplicate_pdf(dup: &PaperDuplicate) -> Result<Vec<u8>, PaperError> {
    validate(dup)?;
    let pages = layout::compose(dup);
    Ok(render::render(dup, &pages))
}

fn validate(d: &PaperDuplicate) -> Result<(), PaperError> {
    text("nom du praticien", &d.practitioner.name, MAX_LINE)?;
    lines("adresse du praticien", &d.practitioner.address)?;
    text("nom de l'organisme", &d.organism.label, MAX_LINE)?;
    lines("adresse de l'organisme", &d.organism.address)?;
    text("motif", &d.reason, MAX_REASON)?;
    if d.invoices.is_empty() {
        return Err(PaperError::NoInvoices);
    }
    if d.invoices.len() > MAX_INVOICES {
        return Err(PaperError::TooManyInvoices(MAX_INVOICES));
    }
    for fse in &d.invoices {
        text("nom du patient", &fse.patient, MAX_LINE)?;
    }
    Ok(())
}

fn lines(field: &'static str, lines: &[String]) -> Result<(), PaperError> {
    if lines.len() > MAX_ADDRESS_LINES {
        return Err(PaperError::TooManyLines {
            field,
            max: MAX_ADDRESS_LINES,
        });
    }
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        text(field, line, MAX_LINE)?;
    }
    Ok(())
}

fn text(field: &'static str, s: &str, max: usize) -> Result<(), PaperError> {
    if s.trim().is_empty() {
        return Err(PaperError::Empty(field));
    }
    if s.chars().count() > max {
        return Err(PaperError::TooLong { field, max });
    }
    match s
        .chars()
        .find(|c| c.is_control() || winansi::byte(*c).is_none())
    {
        Some(character) => Err(PaperError::UnsupportedCharacter { field, character }),
        None => Ok(()),
    }
}
