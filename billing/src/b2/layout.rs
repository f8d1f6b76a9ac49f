//! The record layouts (modelled: names, order and widths of the fields after the record
//! type). Widths sum to at most 128 with the type; the remainder is spaces.

/// One field: name and width in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Name (documentation and reading back).
    pub name: &'static str,
    /// Width.
    pub width: usize,
}

/// A record kind: its type prefix and fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Record type (`000`, `1`, `2`, `3`, `4`, `5`, `6`, `999`).
    pub kind: &'static str,
    /// Fields after the type.
    pub fields: &'static [Field],
}

const fn f(name: &'static str, width: usize) -> Field {
    Field { name, width }
}

/// `000`: file header.
pub const FILE_HEADER: Layout = Layout {
    kind: "000",
    fields: &[
        f("emitter_type", 2),
        f("emitter", 8),
        f("norm", 6),
        f("date", 8),
        f("time", 6),
    ],
};

/// `1`: lot header.
pub const LOT_HEADER: Layout = Layout {
    kind: "1",
    fields: &[
        f("lot", 3),
        f("regime", 2),
        f("caisse", 3),
        f("centre", 4),
        f("practitioner", 8),
        f("date", 8),
    ],
};

/// `2`: invoice start (patient, nature, mode, prescriber).
pub const INVOICE_START: Layout = Layout {
    kind: "2",
    fields: &[
        f("fse", 9),
        f("nir", 15),
        f("birth_date", 8),
        f("birth_rank", 1),
        f("quality", 2),
        f("last_name", 27),
        f("first_name", 27),
        f("nature", 2),
        f("mode", 1),
        f("care_date", 8),
        f("prescriber", 11),
        f("prescription_date", 8),
        f("tiers_payant", 1),
        f("coverage", 3),
        f("rate_basis", 2),
        f("rights", 1),
        f("amc_tiers_payant", 1),
    ],
};

/// `4`: the replacement part of an invoice drawn in a replacement session, right after its
/// `2`: the replaced practitioner (whose billing number the lot header carries) and the
/// substitute who gave the care. Wholly modelled: the public norm read for Passerelle says
/// nothing of how the B2 carries a replacement.
pub const REPLACEMENT: Layout = Layout {
    kind: "4",
    fields: &[
        f("fse", 9),
        f("replaced", 8),
        f("substitute", 8),
        f("holder_id", 12),
        f("last_name", 27),
        f("first_name", 27),
    ],
};

/// `3`: one act.
pub const ACT: Layout = Layout {
    kind: "3",
    fields: &[
        f("fse", 9),
        f("seq", 2),
        f("nomenclature", 1),
        f("code", 7),
        f("coefficient", 6),
        f("activity", 1),
        f("phase", 1),
        f("modifiers", 12),
        f("date", 8),
        f("amount", 8),
        f("rate", 3),
        f("amo", 8),
        f("association", 3),
    ],
};

/// `5`: invoice end with its amounts.
pub const INVOICE_END: Layout = Layout {
    kind: "5",
    fields: &[
        f("fse", 9),
        f("acts", 2),
        f("total", 9),
        f("amo", 9),
        f("patient", 9),
        f("tiers_payant", 9),
        f("amc", 9),
    ],
};

/// `6`: lot end with the lot's totals.
pub const LOT_END: Layout = Layout {
    kind: "6",
    fields: &[
        f("lot", 3),
        f("invoices", 5),
        f("total", 11),
        f("amo", 11),
        f("tiers_payant", 11),
        f("amc", 11),
    ],
};

/// `999`: file trailer with the file's totals.
pub const FILE_TRAILER: Layout = Layout {
    kind: "999",
    fields: &[
        f("lots", 3),
        f("invoices", 6),
        f("records", 8),
        f("total", 12),
        f("amo", 12),
    ],
};

/// Every layout.
pub const ALL: [Layout; 8] = [
    FILE_HEADER,
    LOT_HEADER,
    INVOICE_START,
    REPLACEMENT,
    ACT,
    INVOICE_END,
    LOT_END,
    FILE_TRAILER,
];
