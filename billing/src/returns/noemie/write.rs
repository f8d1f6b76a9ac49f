//! Writing a NOEMIE file (plain, not compressed). Used by the tests, the benchmark and a
//! future simulator of the organism; pure: the same file always gives the same bytes.

use super::model::{NoemieHeader, NoemieInvoice, NoemieLot, NoemieTrailer, Part, Totals};
use super::{width, NoemieFile, RECORD_LEN, TERMINATOR};

/// The bytes of `file`. Every count and total (`990`, `999`) is computed from `file.lots`;
/// `file.trailer` is not read.
pub fn write(file: &NoemieFile) -> Vec<u8> {
    let invoices: usize = file.lots.iter().map(|l| l.invoices.len()).sum();
    let mut w = Writer(Vec::with_capacity(2 * RECORD_LEN + 120 * invoices));
    w.header(&file.header);
    for lot in &file.lots {
        w.lot(lot);
    }
    w.trailer(&file.header, &NoemieTrailer::of(&file.lots));
    w.0
}

struct Writer(Vec<u8>);

impl Writer {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }

    /// `n` zero-padded on `width` digits; saturated to all nines if it does not fit (the
    /// parser then refuses the file: see the module's limits).
    fn num(&mut self, n: u64, width: usize) {
        let mut digits = [b'9'; 20];
        let width = width.min(digits.len());
        let fits = width >= 20 || n < 10u64.pow(width as u32);
        if fits {
            let mut v = n;
            for slot in digits[..width].iter_mut().rev() {
                // v % 10 is 0..=9.
                *slot = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        self.bytes(&digits[..width]);
    }

    /// A non-negative amount or total (negative values cannot occur: they come from
    /// `Cents`, which are never negative).
    fn amount(&mut self, cents: i64, width: usize) {
        self.num(u64::try_from(cents).unwrap_or(0), width);
    }

    fn spaces_to(&mut self, start: usize, len: usize) {
        let end = start + len;
        let fill = end.saturating_sub(self.0.len());
        self.0.resize(self.0.len() + fill, b' ');
    }

    fn header(&mut self, h: &NoemieHeader) {
        let start = self.0.len();
        self.bytes(b"000");
        self.bytes(h.reference.as_bytes());
        self.bytes(h.emitter.regime.as_bytes());
        self.bytes(h.emitter.caisse.as_bytes());
        self.bytes(h.emitter.centre.as_bytes());
        self.bytes(h.receiver.as_bytes());
        self.bytes(h.created.yyyymmdd().as_bytes());
        self.bytes(h.file_number.as_bytes());
        self.spaces_to(start, RECORD_LEN);
    }

    fn lot(&mut self, lot: &NoemieLot) {
        self.bytes(b"080");
        self.num(u64::from(lot.lot_number.get()), width::LOT);
        self.bytes(lot.organism.regime.as_bytes());
        self.bytes(lot.organism.caisse.as_bytes());
        self.bytes(lot.organism.centre.as_bytes());
        self.bytes(lot.sender.as_bytes());
        self.0.push(TERMINATOR);
        for inv in &lot.invoices {
            self.invoice(inv);
        }
        self.bytes(b"990");
        self.num(lot.invoices.len() as u64, width::LOT_INVOICES);
        self.num(lot.entity_count(), width::LOT_ENTITIES);
        self.totals(&lot.totals());
        self.0.push(TERMINATOR);
    }

    fn invoice(&mut self, inv: &NoemieInvoice) {
        self.bytes(inv.code.code());
        self.num(u64::from(inv.fse.get()), width::FSE);
        self.bytes(inv.practitioner.as_bytes());
        match inv.payment_date {
            Some(d) => self.bytes(d.yyyymmdd().as_bytes()),
            None => self.bytes(&[b' '; width::DATE]),
        }
        self.0.push(TERMINATOR);
        self.part(b"198", &inv.amo);
        if let Some(amc) = &inv.amc {
            self.part(b"199", amc);
        }
        for r in &inv.rejections {
            let start = self.0.len();
            self.bytes(b"290");
            self.bytes(r.code.as_str().as_bytes());
            self.spaces_to(start + 3, width::REASON);
            // Labels hold ISO-8859-1 characters only: one byte each.
            self.0.extend(
                r.label
                    .as_str()
                    .chars()
                    .map(|c| u8::try_from(c).unwrap_or(b'?')),
            );
            self.0.push(TERMINATOR);
        }
    }

    fn part(&mut self, code: &[u8; 3], p: &Part) {
        self.bytes(code);
        self.amount(p.requested.get(), width::AMOUNT);
        self.amount(p.paid.get(), width::AMOUNT);
        self.0.push(TERMINATOR);
    }

    fn totals(&mut self, t: &Totals) {
        for (_, value) in t.named() {
            self.amount(value, width::TOTAL);
        }
    }

    fn trailer(&mut self, h: &NoemieHeader, t: &NoemieTrailer) {
        let start = self.0.len();
        self.bytes(b"999");
        self.bytes(h.file_number.as_bytes());
        self.num(t.lots, width::FILE_LOTS);
        self.num(t.invoices, width::FILE_INVOICES);
        self.num(t.entities, width::FILE_ENTITIES);
        self.totals(&t.totals);
        self.spaces_to(start, RECORD_LEN);
    }
}
