//! Reading a NOEMIE file: header, then lots (`080`, invoices, `990`), then trailer, with
//! every count and total checked. Linear in the size of the file; never panics.

use crate::returns::types::{Cents, FseNumber, LotNumber, ReasonCode, ValueError};

use super::entity::{Cursor, Kind, Next, Zones};
use super::model::{InvoiceCode, Label, NoemieInvoice, NoemieLot, Part, Rejection};
use super::records::{header, trailer};
use super::{gzip, width, NoemieError, NoemieFile, RECORD_LEN};

/// Reads a NOEMIE file, plain or gzip-compressed (detected by its magic bytes).
pub fn parse(input: &[u8]) -> Result<NoemieFile, NoemieError> {
    let data = gzip::plain(input)?;
    parse_plain(&data)
}

/// Where the reader is inside the current lot.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// After `080`.
    LotStart,
    /// After `100`/`102`: its `198` must follow.
    InvoiceStart,
    /// After `198`.
    Amo,
    /// After `199`.
    Amc,
    /// After a `290`.
    Rejections,
}

impl Stage {
    fn expected(self) -> &'static str {
        match self {
            Stage::LotStart => "100, 102 ou 990",
            Stage::InvoiceStart => "198 (part AMO de la facture)",
            Stage::Amo => "199, 290, 100, 102 ou 990",
            Stage::Amc | Stage::Rejections => "290, 100, 102 ou 990",
        }
    }

    fn allows(self, kind: Kind) -> bool {
        use Kind::*;
        match self {
            Stage::LotStart => matches!(kind, Invoice100 | Invoice102 | Control),
            Stage::InvoiceStart => kind == Amo,
            Stage::Amo => matches!(kind, Amc | Rejection | Invoice100 | Invoice102 | Control),
            Stage::Amc | Stage::Rejections => {
                matches!(kind, Rejection | Invoice100 | Invoice102 | Control)
            }
        }
    }
}

fn parse_plain(data: &[u8]) -> Result<NoemieFile, NoemieError> {
    let header = header(data)?;
    let mut cursor = Cursor::new(data, RECORD_LEN);
    let mut lots: Vec<NoemieLot> = Vec::new();
    let mut open: Option<(NoemieLot, Stage)> = None;
    loop {
        let (kind, body, at) = match cursor.next()? {
            None => return Err(NoemieError::BadTrailer("absent : fichier tronqué".into())),
            Some(Next::Trailer(record, at)) => {
                if let Some((_, stage)) = open {
                    return Err(unexpected("999", at, stage_or_close(stage)));
                }
                let trailer = trailer(record, &header, &lots)?;
                cursor.expect_end()?;
                return Ok(NoemieFile {
                    header,
                    lots,
                    trailer,
                });
            }
            Some(Next::Entity(kind, body, at)) => (kind, body, at),
        };
        check_length(kind, body, at)?;
        let mut z = Zones::new(body, at, kind.code());
        let Some((mut lot, stage)) = open.take() else {
            if kind != Kind::Lot {
                return Err(unexpected(kind.code(), at, "080 (début de lot) ou 999"));
            }
            let lot = NoemieLot {
                lot_number: lot_number(&mut z)?,
                organism: z.organism()?,
                sender: z.billing("numéro de facturation de l'émetteur du lot")?,
                invoices: Vec::new(),
            };
            open = Some((lot, Stage::LotStart));
            continue;
        };
        if !stage.allows(kind) {
            return Err(unexpected(kind.code(), at, stage.expected()));
        }
        let next = match kind {
            Kind::Invoice100 | Kind::Invoice102 => {
                lot.invoices.push(invoice(kind, &mut z)?);
                Stage::InvoiceStart
            }
            Kind::Amo | Kind::Amc => {
                let part = Part {
                    requested: amount(&mut z, "montant demandé")?,
                    paid: amount(&mut z, "montant payé")?,
                };
                // `allows` guarantees an invoice is open here.
                if let Some(inv) = lot.invoices.last_mut() {
                    match kind {
                        Kind::Amo => inv.amo = part,
                        _ => inv.amc = Some(part),
                    }
                }
                if kind == Kind::Amo {
                    Stage::Amo
                } else {
                    Stage::Amc
                }
            }
            Kind::Rejection => {
                let r = rejection(&mut z)?;
                if let Some(inv) = lot.invoices.last_mut() {
                    inv.rejections.push(r);
                }
                Stage::Rejections
            }
            Kind::Control => {
                control(&mut z, &lot)?;
                lots.push(lot);
                continue;
            }
            Kind::Lot => return Err(unexpected("080", at, stage.expected())),
        };
        open = Some((lot, next));
    }
}

fn stage_or_close(stage: Stage) -> &'static str {
    match stage {
        Stage::InvoiceStart => stage.expected(),
        _ => "990 (fin du lot)",
    }
}

fn unexpected(code: &'static str, offset: usize, expected: &'static str) -> NoemieError {
    NoemieError::UnexpectedEntity {
        offset,
        code,
        expected,
    }
}

fn check_length(kind: Kind, body: &[u8], offset: usize) -> Result<(), NoemieError> {
    let ok = match kind {
        Kind::Lot => body.len() == width::LOT_BODY,
        Kind::Invoice100 | Kind::Invoice102 => body.len() == width::INVOICE_BODY,
        Kind::Amo | Kind::Amc => body.len() == width::PART_BODY,
        Kind::Rejection => {
            (width::REASON + 1..=width::REASON + width::LABEL_MAX).contains(&body.len())
        }
        Kind::Control => body.len() == width::CONTROL_BODY,
    };
    if ok {
        Ok(())
    } else {
        Err(NoemieError::BadLength {
            offset,
            code: kind.code(),
            found: body.len(),
        })
    }
}

fn lot_number(z: &mut Zones<'_>) -> Result<LotNumber, NoemieError> {
    let n = z.number("numéro de lot", width::LOT)?;
    LotNumber::new(n as i64).map_err(|e| z.invalid("numéro de lot", e))
}

fn amount(z: &mut Zones<'_>, field: &'static str) -> Result<Cents, NoemieError> {
    let n = z.signed(field, width::AMOUNT)?;
    Cents::new(n).map_err(|e| z.invalid(field, e))
}

fn invoice(kind: Kind, z: &mut Zones<'_>) -> Result<NoemieInvoice, NoemieError> {
    let n = z.number("numéro de FSE", width::FSE)?;
    let fse = FseNumber::new(n as i64).map_err(|e| z.invalid("numéro de FSE", e))?;
    Ok(NoemieInvoice {
        code: if kind == Kind::Invoice102 {
            InvoiceCode::E102
        } else {
            InvoiceCode::E100
        },
        fse,
        practitioner: z.billing("numéro de facturation du praticien")?,
        payment_date: z.optional_date("date de paiement")?,
        amo: Part::default(),
        amc: None,
        rejections: Vec::new(),
    })
}

fn rejection(z: &mut Zones<'_>) -> Result<Rejection, NoemieError> {
    let raw = z.take(width::REASON);
    let code_text = std::str::from_utf8(raw).unwrap_or("?");
    let code =
        ReasonCode::new(code_text.trim_end_matches(' ')).map_err(|e| z.invalid("code motif", e))?;
    // ISO-8859-1: each byte is the character of the same number.
    let text: String = z.rest().iter().map(|&b| char::from(b)).collect();
    let label = Label::new(&text).map_err(|e| z.invalid("libellé", e))?;
    if label.as_str().len() != text.len() {
        let e = ValueError::Text("espaces en début ou en fin");
        return Err(z.invalid("libellé", e));
    }
    Ok(Rejection { code, label })
}

/// Checks a `990` against the lot it closes.
fn control(z: &mut Zones<'_>, lot: &NoemieLot) -> Result<(), NoemieError> {
    let mismatch = |field, declared: i64, computed: i64| NoemieError::ControlTotals {
        lot: lot.lot_number.to_string(),
        field,
        declared,
        computed,
    };
    let invoices = z.signed("nombre de factures", width::LOT_INVOICES)?;
    let entities = z.signed("nombre d'entités", width::LOT_ENTITIES)?;
    let computed_invoices = i64::try_from(lot.invoices.len()).unwrap_or(i64::MAX);
    if invoices != computed_invoices {
        return Err(mismatch("nombre de factures", invoices, computed_invoices));
    }
    let computed_entities = i64::try_from(lot.entity_count()).unwrap_or(i64::MAX);
    if entities != computed_entities {
        return Err(mismatch("nombre d'entités", entities, computed_entities));
    }
    for (field, computed) in lot.totals().named() {
        let declared = z.signed(field, width::TOTAL)?;
        if declared != computed {
            return Err(mismatch(field, declared, computed));
        }
    }
    Ok(())
}
