//! The event stream (`GET /v1/events`, Server-Sent Events).
//!
//! Each event has an increasing `id`; a client that reconnects with `Last-Event-ID`
//! receives everything after that id. If the id is older than the daemon's buffer, the
//! first event is [`EventKind::Resync`]: the client must refetch state.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Card;

/// One event, as carried in the `data:` field of an SSE message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Event {
    /// Sequence number, strictly increasing, starting at 1. Also the SSE `id:`.
    pub id: u64,
    /// Milliseconds since the Unix epoch when the daemon saw the change.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// What happened. The SSE `event:` field is the `type` value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// A reader appeared.
    ReaderAdded {
        /// Reader name.
        reader: String,
    },
    /// A reader disappeared (unplugged, or the reader service stopped).
    ReaderRemoved {
        /// Reader name.
        reader: String,
    },
    /// A card was inserted into a reader.
    CardInserted {
        /// Reader name.
        reader: String,
        /// The card.
        card: Card,
    },
    /// The card was removed from a reader.
    CardRemoved {
        /// Reader name.
        reader: String,
    },
    /// The reader backend became unreachable (pcscd stopped).
    BackendUnavailable {
        /// Why, in French.
        message: String,
    },
    /// The reader backend is reachable again.
    BackendAvailable,
    /// Events were missed (the requested id is older than the buffer): refetch state.
    Resync,
    /// An application asks to be paired: compare `code` with the one it shows. Sent only to
    /// clients whose token has the `admin` scope.
    PairingRequested {
        /// The code to compare.
        code: String,
        /// Who asks (`https://app.example` or `local:uid=1000`).
        client: String,
        /// The name the application gave.
        app_name: String,
        /// Scopes asked for (wire names).
        scopes: Vec<String>,
    },
    /// A lot was put in the outbox.
    LotQueued {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// The attempt.
        attempt_id: i64,
    },
    /// A lot's message is being handed to the mail server.
    LotSending {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// The attempt.
        attempt_id: i64,
        /// The organism mailbox (or OCT) it goes to.
        recipient: String,
    },
    /// The mail server accepted a lot.
    LotSent {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// The attempt.
        attempt_id: i64,
        /// The message's Message-ID.
        message_id: String,
    },
    /// Sending a lot failed: temporarily (it is tried again at `next_try`) or for good (the
    /// lot needs attention).
    LotSendFailed {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// The attempt.
        attempt_id: i64,
        /// True when nothing will be retried until someone acts.
        permanent: bool,
        /// Why, in French, with the mail server's answer.
        message: String,
        /// When the next try is due (temporary failures).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_try: Option<String>,
    },
    /// An organism acknowledged a lot (ARL): positive, or negative with its reason (the lot
    /// is then sent again, or needs a paper duplicate the second time).
    ArlReceived {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// Positive or negative.
        positive: bool,
        /// The reason of a negative ARL (or of no ARL in time), in French.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A NOEMIE return file was applied.
    NoemieReceived {
        /// The return mail's id (`GET /v1/returns`).
        return_id: i64,
        /// How many FSE it settled.
        settled: u32,
        /// How many of its invoices match no FSE (kept, reported).
        unknown: u32,
    },
    /// An FSE was paid (in full, or in part).
    FsePaid {
        /// FSE id.
        fse_id: i64,
        /// FSE number.
        number: String,
        /// Paid, in cents.
        paid_cents: i64,
        /// True when only part was paid.
        partly: bool,
    },
    /// An FSE was rejected.
    FseRejected {
        /// FSE id.
        fse_id: i64,
        /// FSE number.
        number: String,
        /// The reasons (`code : label`).
        reasons: Vec<String>,
    },
    /// A lot failed twice: its paper duplicate is waiting (`GET /v1/lots/{id}/paper`).
    PaperDuplicateNeeded {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// Why, in French.
        reason: String,
    },
    /// A lot not sent yet is near (or past) its send-by date.
    LotDeadlineNear {
        /// The lot's local id.
        lot_id: i64,
        /// Its number.
        lot_number: String,
        /// The practitioner's billing number.
        practitioner: String,
        /// The last day to send it (`YYYY-MM-DD`).
        send_by: String,
        /// True when the date has passed.
        overdue: bool,
    },
    /// A scanned attachment was kept for an FSE.
    AttachmentAdded {
        /// The FSE.
        fse_id: i64,
        /// The attachment.
        attachment_id: i64,
        /// What it is.
        kind: crate::AttachmentKind,
    },
    /// A PJ lot was made and put in the outbox (or sent again).
    PjLotQueued {
        /// The PJ lot's local id.
        pj_lot_id: i64,
        /// Its number.
        pj_lot_number: String,
        /// The attempt.
        attempt_id: i64,
        /// How many attachments it carries.
        attachments: u32,
    },
    /// The mail server accepted a PJ lot.
    PjLotSent {
        /// The PJ lot's local id.
        pj_lot_id: i64,
        /// Its number.
        pj_lot_number: String,
        /// The attempt.
        attempt_id: i64,
        /// The message's Message-ID.
        message_id: String,
    },
    /// Sending a PJ lot failed: temporarily (tried again at `next_try`) or for good (tried
    /// again the next working day, within its 5 days).
    PjLotSendFailed {
        /// The PJ lot's local id.
        pj_lot_id: i64,
        /// Its number.
        pj_lot_number: String,
        /// The attempt.
        attempt_id: i64,
        /// True when the attempt failed for good.
        permanent: bool,
        /// Why, in French, with the mail server's answer.
        message: String,
        /// When the next try is due (temporary failures).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_try: Option<String>,
    },
    /// An organism acknowledged a PJ lot (ARL PJ): positive, or negative with its reason
    /// (the PJ lot is then sent again while its 5 working days last).
    ArlPjReceived {
        /// The PJ lot's local id.
        pj_lot_id: i64,
        /// Its number.
        pj_lot_number: String,
        /// Positive or negative.
        positive: bool,
        /// The reason of a negative ARL PJ (or of none in time), in French.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A PJ lot was not delivered within 5 working days: its attachments go on paper
    /// (`GET /v1/attachments/{id}/paper` for each).
    PjLotPaper {
        /// The PJ lot's local id.
        pj_lot_id: i64,
        /// Its number.
        pj_lot_number: String,
        /// Why, in French.
        reason: String,
        /// The attachments to print.
        attachment_ids: Vec<i64>,
    },
    /// Attachments acknowledged more than 90 days ago were purged (their PDF; their
    /// checksum and history are kept).
    AttachmentsPurged {
        /// The attachments.
        attachment_ids: Vec<i64>,
    },
    /// The token of this stream stopped being valid (grant revoked or expired): the last
    /// event of the stream, which the daemon then closes. Pair again.
    Unauthorized {
        /// Why, in French.
        message: String,
    },
    /// A replacement session was opened by the replaced practitioner.
    ReplacementOpened {
        /// The session's local id.
        session_id: i64,
        /// The replaced situation's billing number.
        replaced: String,
        /// The substitute's billing number.
        substitute: String,
        /// First day.
        start: String,
        /// Last day.
        end: String,
    },
    /// A replacement session was closed: early by the replaced practitioner (`early`) or at
    /// the end of its period (`period_end`).
    ReplacementClosed {
        /// The session's local id.
        session_id: i64,
        /// The replaced situation's billing number.
        replaced: String,
        /// `early` or `period_end`.
        reason: String,
    },
}

impl EventKind {
    /// The SSE `event:` name of this kind.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::ReaderAdded { .. } => "reader_added",
            EventKind::ReaderRemoved { .. } => "reader_removed",
            EventKind::CardInserted { .. } => "card_inserted",
            EventKind::CardRemoved { .. } => "card_removed",
            EventKind::BackendUnavailable { .. } => "backend_unavailable",
            EventKind::BackendAvailable => "backend_available",
            EventKind::Resync => "resync",
            EventKind::PairingRequested { .. } => "pairing_requested",
            EventKind::LotQueued { .. } => "lot_queued",
            EventKind::LotSending { .. } => "lot_sending",
            EventKind::LotSent { .. } => "lot_sent",
            EventKind::LotSendFailed { .. } => "lot_send_failed",
            EventKind::LotDeadlineNear { .. } => "lot_deadline_near",
            EventKind::ArlReceived { .. } => "arl_received",
            EventKind::NoemieReceived { .. } => "noemie_received",
            EventKind::FsePaid { .. } => "fse_paid",
            EventKind::FseRejected { .. } => "fse_rejected",
            EventKind::PaperDuplicateNeeded { .. } => "paper_duplicate_needed",
            EventKind::Unauthorized { .. } => "unauthorized",
            EventKind::AttachmentAdded { .. } => "attachment_added",
            EventKind::PjLotQueued { .. } => "pj_lot_queued",
            EventKind::PjLotSent { .. } => "pj_lot_sent",
            EventKind::PjLotSendFailed { .. } => "pj_lot_send_failed",
            EventKind::ArlPjReceived { .. } => "arl_pj_received",
            EventKind::PjLotPaper { .. } => "pj_lot_paper",
            EventKind::AttachmentsPurged { .. } => "attachments_purged",
            EventKind::ReplacementOpened { .. } => "replacement_opened",
            EventKind::ReplacementClosed { .. } => "replacement_closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CardKind;

    #[test]
    fn event_json_is_flat_and_named() {
        let e = Event {
            id: 7,
            at_ms: 1,
            kind: EventKind::CardInserted {
                reader: "R".into(),
                card: Card {
                    kind: CardKind::Vitale,
                    atr: "3B".into(),
                },
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], "card_inserted");
        assert_eq!(v["type"], e.kind.name());
        assert_eq!(v["card"]["kind"], "vitale");
        let back: Event = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }
}
