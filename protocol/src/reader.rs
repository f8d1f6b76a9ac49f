//! Card readers and the cards in them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What kind of card sits in a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CardKind {
    /// A patient's Carte Vitale.
    Vitale,
    /// Carte de Professionnel de Santé (practitioner).
    Cps,
    /// Carte de Personnel d'Établissement (employee: may prepare, never sign).
    Cpe,
    /// Carte de Professionnel en Formation (doctor in training with a replacement licence).
    Cpf,
    /// A card this service does not recognise.
    Unknown,
}

/// A card present in a reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Card {
    /// Kind recognised from the ATR (and, for CPx cards, the card type file).
    pub kind: CardKind,
    /// Answer To Reset, upper-case hex with spaces (`3B 75 13 ...`).
    pub atr: String,
}

/// Where a reader stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReaderState {
    /// No card.
    Empty,
    /// A card was inserted and is being identified (`card` is still `null`).
    Identifying,
    /// The card is identified; operations run in turn (see `queue`).
    Ready,
    /// The card holds the reader without answering: an operation overran its deadline
    /// (`readers.apdu_timeout_ms` for one command, `readers.job_timeout_ms` for the whole
    /// operation). Operations on this reader answer `card_timeout` at once until the card
    /// answers or is pulled out.
    Unresponsive,
}

/// One card reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reader {
    /// Reader name as the system reports it (PC/SC name, or the simulated reader's name).
    pub name: String,
    /// Where the reader stands: empty, identifying a card, ready, or held by a card that
    /// does not answer.
    pub state: ReaderState,
    /// The card in the reader, if any.
    pub card: Option<Card>,
    /// Card operations running or waiting on this reader (they run one at a time).
    pub queue: ReaderQueue,
}

/// The arbitration queue of one reader: the operation holding the card and those waiting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReaderQueue {
    /// The operation using the card now, if any.
    pub holder: Option<CardJob>,
    /// Operations waiting, oldest first. Cancel one (or the holder) with
    /// `DELETE /v1/readers/{reader}/jobs/{id}`.
    pub waiting: Vec<CardJob>,
}

/// One card operation in a reader's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CardJob {
    /// Identifier, unique for the daemon's lifetime.
    pub id: u64,
    /// What it does (`read_vitale`, `verify_pin`, `sign`...).
    pub operation: String,
    /// Who asked: the client's origin or name, when known.
    pub client: Option<String>,
    /// Milliseconds since the Unix epoch when it was queued.
    pub queued_at_ms: u64,
}

/// The answer of `GET /v1/readers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReaderList {
    /// Every reader currently known, in a stable order (by name).
    pub readers: Vec<Reader>,
}

/// The body of `POST /v1/simulator/cards` (simulated backend only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedCardInsertion {
    /// Reader name.
    pub reader: String,
    /// Simulated card, `KIND:ID` (for example `vitale:nguyen`).
    pub card: String,
}

/// The body of `POST /v1/simulator/pin-pad/{reader}` (simulated backend only): the keys
/// "typed" on a simulated reader's PIN pad, the stand-in for the practitioner's fingers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedPinPadKeys {
    /// The digits typed, then OK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<crate::PinCode>,
    /// The cancel key instead.
    #[serde(default)]
    pub cancel: bool,
}

/// `POST /v1/simulator/clock` (builds with the simulator, `simulator.movable_clock = true`):
/// moves the billing clock forward, for the demonstration and the tests (deadlines, the
/// daily emission). Answers the clock's new time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SimulatedClockAdvance {
    /// Seconds to move forward (0 to 400 days).
    #[schema(minimum = 0, maximum = 34560000)]
    pub seconds: u64,
    /// The clock's time after the move (RFC 3339; in answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<String>,
}
