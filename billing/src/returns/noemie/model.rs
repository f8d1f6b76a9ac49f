//! What a NOEMIE return says: lots, invoices, paid and requested amounts, rejections.

use std::fmt;

use crate::returns::types::{
    BillingNumber, CalendarDate, Cents, Digits, FseNumber, LotNumber, Organism, ReasonCode,
    ValueError,
};

use super::width;

/// A whole return file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoemieFile {
    /// The `000` header.
    pub header: NoemieHeader,
    /// The lots, in file order.
    pub lots: Vec<NoemieLot>,
    /// The `999` trailer: what the file declared (checked by [`super::parse`]) or what
    /// [`NoemieFile::new`] computed. [`super::write()`] always writes the totals of `lots`.
    pub trailer: NoemieTrailer,
}

impl NoemieFile {
    /// A file whose trailer is computed from its lots.
    pub fn new(header: NoemieHeader, lots: Vec<NoemieLot>) -> Self {
        let trailer = NoemieTrailer::of(&lots);
        Self {
            header,
            lots,
            trailer,
        }
    }

    /// Every invoice with the lot it came back in, in file order.
    pub fn invoices(&self) -> impl Iterator<Item = (&NoemieLot, &NoemieInvoice)> {
        self.lots
            .iter()
            .flat_map(|lot| lot.invoices.iter().map(move |inv| (lot, inv)))
    }
}

/// The `000` header (modelled zones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoemieHeader {
    /// NOEMIE reference number (`580` for the RSP in public sources).
    pub reference: Digits<3>,
    /// The organism that sends the file.
    pub emitter: Organism,
    /// The practitioner the file is for.
    pub receiver: BillingNumber,
    /// When the organism made the file.
    pub created: CalendarDate,
    /// The organism's file number, repeated in the trailer.
    pub file_number: Digits<6>,
}

/// The `999` trailer: counts and totals of the whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoemieTrailer {
    /// Lots.
    pub lots: u64,
    /// Invoices.
    pub invoices: u64,
    /// Entities from `000` to `999` included.
    pub entities: u64,
    /// Amount totals.
    pub totals: Totals,
}

impl NoemieTrailer {
    /// The trailer that `lots` call for.
    pub fn of(lots: &[NoemieLot]) -> Self {
        let mut t = Self {
            lots: lots.len() as u64,
            entities: 2,
            ..Self::default()
        };
        for lot in lots {
            t.invoices = t.invoices.saturating_add(lot.invoices.len() as u64);
            t.entities = t.entities.saturating_add(lot.entity_count());
            t.totals = t.totals.plus(&lot.totals());
        }
        t
    }
}

/// Sums of the four amounts, in cents (a `990` or the `999`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// AMO requested.
    pub amo_requested: i64,
    /// AMO paid.
    pub amo_paid: i64,
    /// AMC requested.
    pub amc_requested: i64,
    /// AMC paid.
    pub amc_paid: i64,
}

impl Totals {
    /// Field by field sum (saturating: the zones cannot hold more anyway).
    pub fn plus(&self, o: &Totals) -> Totals {
        Totals {
            amo_requested: self.amo_requested.saturating_add(o.amo_requested),
            amo_paid: self.amo_paid.saturating_add(o.amo_paid),
            amc_requested: self.amc_requested.saturating_add(o.amc_requested),
            amc_paid: self.amc_paid.saturating_add(o.amc_paid),
        }
    }

    /// The amounts of one invoice.
    pub fn of_invoice(inv: &NoemieInvoice) -> Totals {
        let amc = inv.amc.unwrap_or_default();
        Totals {
            amo_requested: inv.amo.requested.get(),
            amo_paid: inv.amo.paid.get(),
            amc_requested: amc.requested.get(),
            amc_paid: amc.paid.get(),
        }
    }

    /// `(French name, value)` of each field, in zone order.
    pub(crate) fn named(&self) -> [(&'static str, i64); 4] {
        [
            ("montant AMO demandé", self.amo_requested),
            ("montant AMO payé", self.amo_paid),
            ("montant AMC demandé", self.amc_requested),
            ("montant AMC payé", self.amc_paid),
        ]
    }
}

/// One lot as the organism returns it (`080` … `990`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoemieLot {
    /// The lot number the practitioner gave it (3 digits).
    pub lot_number: LotNumber,
    /// The organism the lot was sent to.
    pub organism: Organism,
    /// Billing number of the practitioner who signed and sent the lot.
    pub sender: BillingNumber,
    /// Its invoices, in file order.
    pub invoices: Vec<NoemieInvoice>,
}

impl NoemieLot {
    /// Entities from `080` to `990` included.
    pub fn entity_count(&self) -> u64 {
        self.invoices
            .iter()
            .fold(2u64, |n, inv| n.saturating_add(inv.entity_count()))
    }

    /// Sums of the invoices' amounts.
    pub fn totals(&self) -> Totals {
        self.invoices
            .iter()
            .fold(Totals::default(), |t, inv| t.plus(&Totals::of_invoice(inv)))
    }
}

/// Which public code introduced the invoice (their difference is not public; both are
/// read the same way and written back as read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InvoiceCode {
    /// Entity `100`.
    E100,
    /// Entity `102`.
    E102,
}

impl InvoiceCode {
    /// The three characters.
    pub fn code(self) -> &'static [u8; 3] {
        match self {
            InvoiceCode::E100 => b"100",
            InvoiceCode::E102 => b"102",
        }
    }
}

/// One invoice (FSE) of a lot and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoemieInvoice {
    /// `100` or `102`.
    pub code: InvoiceCode,
    /// The FSE number (9 digits).
    pub fse: FseNumber,
    /// Billing number the invoice was made under (the replaced practitioner's in a
    /// replacement; may differ from the lot's sender).
    pub practitioner: BillingNumber,
    /// Payment date; none when nothing was paid yet.
    pub payment_date: Option<CalendarDate>,
    /// `198`: the AMO part.
    pub amo: Part,
    /// `199`: the AMC part, when the invoice had one.
    pub amc: Option<Part>,
    /// `290`: rejections and reports, in file order.
    pub rejections: Vec<Rejection>,
}

impl NoemieInvoice {
    /// Entities of this invoice (`100`/`102`, `198`, `199`?, `290`*).
    pub fn entity_count(&self) -> u64 {
        2 + u64::from(self.amc.is_some()) + self.rejections.len() as u64
    }

    /// Paid, partly paid or rejected, from the amounts and the rejections:
    /// nothing paid while something was asked or refused → rejected; everything asked
    /// paid and no rejection → paid; anything else → partly paid.
    pub fn status(&self) -> Status {
        let t = Totals::of_invoice(self);
        let requested = t.amo_requested + t.amc_requested;
        let paid = t.amo_paid + t.amc_paid;
        if paid == 0 && (requested > 0 || !self.rejections.is_empty()) {
            Status::Rejected
        } else if paid >= requested && self.rejections.is_empty() {
            Status::Paid
        } else {
            Status::PartlyPaid
        }
    }
}

/// What became of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Everything requested was paid, without rejection.
    Paid,
    /// Part was paid, or it was paid with a rejection/report line.
    PartlyPaid,
    /// Nothing was paid.
    Rejected,
}

/// A `198` or `199` part: requested and paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Part {
    /// What the invoice asked.
    pub requested: Cents,
    /// What the organism paid.
    pub paid: Cents,
}

/// A `290`: a reason code and its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The organism's code.
    pub code: ReasonCode,
    /// Its label, as the organism wrote it.
    pub label: Label,
}

/// A label of a NOEMIE file: 1 to 70 ISO-8859-1 printable characters (accents allowed),
/// no `@`, no leading or trailing space.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label(String);

impl Label {
    /// Checks `s` (after trimming spaces at both ends).
    pub fn new(s: &str) -> Result<Self, ValueError> {
        let s = s.trim_matches(' ');
        let count = s.chars().count();
        if count == 0 {
            return Err(ValueError::Text("le libellé est vide"));
        }
        if count > width::LABEL_MAX {
            return Err(ValueError::Text("plus de 70 caractères"));
        }
        if !s.chars().all(is_label_char) {
            return Err(ValueError::Text(
                "caractère hors ISO-8859-1, de contrôle ou « @ »",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Printable ISO-8859-1, except the terminator.
pub(crate) fn is_label_char(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{A0}'..='\u{FF}') && c != '@'
}
