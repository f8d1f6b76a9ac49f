//! The returns on the wire: the mails the organisms sent back (ARL, NOEMIE), as stored and
//! applied, and the reconciliation report — where every euro billed stands.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fse::Organism;

/// What a return mail held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnKind {
    /// A logical acknowledgement of a lot.
    Arl,
    /// A logical acknowledgement of a PJ lot (SCOR).
    ArlPj,
    /// A NOEMIE return file (payments, rejections).
    Noemie,
    /// Nothing Passerelle reads (kept, reported).
    Other,
}

/// Where a return mail stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnState {
    /// Stored raw, not applied yet (a crash in between: applied at the next start).
    Stored,
    /// Applied to the lots and FSE.
    Applied,
    /// Kept but not applied: unreadable, totals that do not add up, a lot or FSE unknown;
    /// `outcome` says why.
    Refused,
    /// Kept but not applied: the sender is no organism of the directory.
    UnknownSender,
}

/// One return mail, as kept (never deleted from the mailbox, never applied twice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnMail {
    /// Local id.
    pub id: i64,
    /// The practitioner whose mailbox it came to.
    pub practitioner: String,
    /// Its Message-ID, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Its sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    /// Its subject.
    pub subject: String,
    /// What it held.
    pub kind: ReturnKind,
    /// Where it stands.
    pub state: ReturnState,
    /// What applying it did, or why it was not applied, in French.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// When it was fetched (RFC 3339).
    pub received: String,
}

/// `GET /v1/returns`: the return mails, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnMailList {
    /// The mails.
    pub returns: Vec<ReturnMail>,
}

/// Where one FSE stands in the reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    /// No payment return yet.
    Waiting,
    /// No payment return yet, longer than `transmission.payment_overdue_days` after the
    /// lot's positive ARL.
    Overdue,
    /// Paid in full.
    Paid,
    /// Paid in part.
    PartlyPaid,
    /// Rejected.
    Rejected,
}

/// One FSE in the reconciliation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReconciledFse {
    /// FSE id.
    pub fse_id: i64,
    /// FSE number (9 digits).
    pub number: String,
    /// Practitioner's billing number.
    pub practitioner: String,
    /// Care date.
    pub care_date: String,
    /// Patient (last name, first name).
    pub patient: String,
    /// Insured person's NIR.
    pub nir: String,
    /// Organism.
    pub organism: Organism,
    /// The lot number, once in a lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_number: Option<String>,
    /// What the caisse was asked (the AMO part), in cents.
    pub billed_cents: i64,
    /// What they paid, in cents.
    pub paid_cents: i64,
    /// Where it stands.
    pub settlement: Settlement,
    /// The payment date, when paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_date: Option<String>,
    /// The rejection reasons (`code : label`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// Amounts of a group of FSE. `billed = paid + rejected + waiting` to the cent (the part of
/// a partly paid FSE not paid counts as rejected; overdue is part of waiting).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tally {
    /// How many FSE.
    pub count: u32,
    /// Asked of the organisms.
    pub billed_cents: i64,
    /// Paid.
    pub paid_cents: i64,
    /// Not paid, with a rejection.
    pub rejected_cents: i64,
    /// No payment return yet.
    pub waiting_cents: i64,
    /// Of `waiting`, what is overdue.
    pub overdue_cents: i64,
}

/// The tally of one group (an organism, a patient).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupTally {
    /// The group: `régime/caisse/centre`, or the patient's NIR.
    pub key: String,
    /// Its amounts.
    pub tally: Tally,
}

/// A rejection reason and how many FSE it hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReasonCount {
    /// `code : label`.
    pub reason: String,
    /// How many FSE.
    pub count: u32,
}

/// `GET /v1/reconciliation`: where every euro billed over a period stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reconciliation {
    /// First care date (`YYYY-MM-DD`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last care date, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Every FSE sent over the period.
    pub total: Tally,
    /// By organism (`régime/caisse/centre`).
    pub by_organism: Vec<GroupTally>,
    /// By patient (NIR).
    pub by_patient: Vec<GroupTally>,
    /// The rejection reasons and how many FSE each.
    pub reasons: Vec<ReasonCount>,
    /// Every FSE, oldest care first.
    pub fse: Vec<ReconciledFse>,
    /// Invoices of NOEMIE returns that match no FSE here (kept, reported).
    pub unknown_invoices: Vec<String>,
    /// FSE of the period that still need an attachment (a degraded FSE without its scanned
    /// copy; with an organism or patient filter, only those among `fse`).
    #[serde(default)]
    pub missing_attachments: Vec<crate::MissingAttachment>,
}
