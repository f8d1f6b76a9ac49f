//! NOEMIE return files (RSP: rejet, signalement, paiement), modelled.
//!
//! [`parse`] reads a file (plain or gzip-compressed) into a [`NoemieFile`] and refuses
//! anything that is not exactly what [`write()`] produces, with one [`NoemieError`] variant
//! per kind of fault; [`write()`] is its inverse: `parse(&write(&f)) == Ok(f)` for every
//! file `f` built with [`NoemieFile::new`].
//!
//! # What is public and what is modelled
//!
//! The real layout (NOEMIE PS cahier des charges, "référence 580") is licensed to approved
//! vendors. Public sources give the skeleton: the project's DOMAIN.md (public inter-regime
//! facts); ameli.fr, *Le retour NOEMIE* (a catalogue of numbered "références", ARL and
//! NOEMIE as the two returns of a lot); the table of contents and first pages of the NOEMIE
//! PS cahier des charges as reproduced on docplayer.fr / pdfslide.fr ("longueur des entités
//! physiques", "délimiteur d'entité", "chaque entité 990 contiendra des totaux
//! correspondant au niveau hiérarchique qu'il clôt et le nombre d'entités"). Everything
//! else below is modelled, and a licensed implementation must replace it behind the same
//! two functions.
//!
//! | element | status |
//! |---|---|
//! | `000` file header, exactly 128 characters | public |
//! | `999` file trailer, exactly 128 characters | public |
//! | other entities of variable length, each ending with `@` | public |
//! | entity codes `080` lot, `100`/`102` invoice, `198` AMO part, `199` AMC part, `290` rejection, `990` control totals | public |
//! | `990` carries the totals and the entity count of the level it closes | public (cahier des charges, excerpt) |
//! | a file may arrive compressed | public; gzip (detected by its magic bytes `1F 8B`) is modelled |
//! | zones inside every entity: order, widths, meaning (table below) | modelled |
//! | `990` closes each lot (not the file); `999` repeats the file totals | modelled |
//! | order inside an invoice: `100`/`102`, `198`, at most one `199`, then `290`s | modelled |
//! | what distinguishes `100` from `102` | not public: the code is kept as read, both mean "invoice" |
//! | numbers: unsigned, zero-padded on the left; amounts in cents | modelled |
//! | dates `YYYYMMDD`; no date: spaces | modelled |
//! | text ISO-8859-1, labels 1 to 70 characters, no `@` | modelled |
//! | no separator between entities (CR/LF between entities tolerated when reading) | modelled |
//! | header/trailer reserved zones: spaces when written, ignored when read | modelled |
//!
//! Zones after the 3-character code (widths in characters):
//!
//! | entity | zones |
//! |---|---|
//! | `000` | reference 3 (`580`), emitter régime 2, caisse 3, centre 4, receiver billing number 8, creation date 8, file number 6, spaces to 128 |
//! | `080` | lot number 3, organism régime 2, caisse 3, centre 4, sender billing number 8, `@` |
//! | `100`/`102` | FSE number 9, practitioner billing number 8, payment date 8, `@` |
//! | `198`/`199` | requested 10, paid 10, `@` |
//! | `290` | reason code 5 (left-aligned), label 1..=70, `@` |
//! | `990` | invoices 7, entities 8 (from its `080` to itself), AMO requested 18, AMO paid 18, AMC requested 18, AMC paid 18, `@` |
//! | `999` | file number 6, lots 6, invoices 9, entities 10 (from `000` to `999`), the four totals 18 each, spaces to 128 |
//!
//! Limits: [`write()`] cannot fail; a file beyond the count zones (more than 999 999 lots or
//! 9 999 999 invoices in a lot) would be written with saturated counts that [`parse`]
//! refuses. Decompressed input is capped at [`MAX_DECOMPRESSED`] bytes.

mod entity;
mod error;
mod gzip;
mod model;
mod parse;
mod records;
mod write;

pub use error::NoemieError;
pub use gzip::MAX_DECOMPRESSED;
pub use model::{
    InvoiceCode, Label, NoemieFile, NoemieHeader, NoemieInvoice, NoemieLot, NoemieTrailer, Part,
    Rejection, Status, Totals,
};
pub use parse::parse;
pub use write::write;

/// Length of the `000` header and `999` trailer.
pub const RECORD_LEN: usize = 128;
/// Entity terminator.
pub const TERMINATOR: u8 = b'@';
/// The reference written by default in the header (the RSP reference named by public
/// sources; the model does not depend on it).
pub const DEFAULT_REFERENCE: &str = "580";

/// Widths of the zones (modelled), shared by the writer and the parser.
pub(crate) mod width {
    pub const LOT: usize = 3;
    pub const REGIME: usize = 2;
    pub const CAISSE: usize = 3;
    pub const CENTRE: usize = 4;
    pub const BILLING: usize = 8;
    pub const FSE: usize = 9;
    pub const DATE: usize = 8;
    pub const AMOUNT: usize = 10;
    pub const REASON: usize = 5;
    pub const LABEL_MAX: usize = 70;
    pub const LOT_INVOICES: usize = 7;
    pub const LOT_ENTITIES: usize = 8;
    pub const TOTAL: usize = 18;
    pub const FILE_LOTS: usize = 6;
    pub const FILE_INVOICES: usize = 9;
    pub const FILE_ENTITIES: usize = 10;
    /// Body of `080` (between code and `@`).
    pub const LOT_BODY: usize = LOT + REGIME + CAISSE + CENTRE + BILLING;
    /// Body of `100`/`102`.
    pub const INVOICE_BODY: usize = FSE + BILLING + DATE;
    /// Body of `198`/`199`.
    pub const PART_BODY: usize = 2 * AMOUNT;
    /// Body of `990`.
    pub const CONTROL_BODY: usize = LOT_INVOICES + LOT_ENTITIES + 4 * TOTAL;
    /// Longest body of any `@` entity (the `990`).
    pub const MAX_BODY: usize = CONTROL_BODY;
    const _: () = assert!(REASON + LABEL_MAX <= MAX_BODY && LOT_BODY <= MAX_BODY);
}
