//! Every type that crosses the Passerelle API.
//!
//! Front ends, tests and the daemon all depend on this crate; it depends on nothing of
//! ours. The OpenAPI document is generated from these types ([`openapi`]), never written
//! by hand.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod billing;
pub mod cards;
pub mod error;
pub mod event;
pub mod nir;
pub mod openapi;
pub mod pin;
pub mod reader;
pub mod rights;
pub mod secret;
pub mod security;
pub mod status;

pub use billing::{
    ActInput, AmcRecord, Amounts, Basket, BasketList, Exoneration, Fse, FseBatchRequest,
    FseBatchResponse, FseDraft, FseList, FseMode, FseOutcome, FseSignRequest, FseSignResponse,
    FseStatus, InsuranceNature, Lot, LotBuildRequest, LotList, LotSignature, LotStatus, Organism,
    Patient, PractitionerRef, Pregnancy, Prescriber, PricedAct, RateBasis, RightsOrigin,
    RightsRecord, RightsRef, WorkAccident,
};
pub use billing::{
    Assistant, AssistantGrant, AssistantGrantList, AssistantGrantRequest, AssistantInput,
    ReplacedSituation, ReplacementCardRequest, ReplacementList, ReplacementOpenRequest,
    ReplacementPart, ReplacementSession, ReplacementState, Substitute, SubstituteInput,
};
pub use billing::{
    Attachment, AttachmentKind, AttachmentList, AttachmentState, AttachmentUpload,
    MissingAttachment, MissingAttachmentList,
};
pub use billing::{
    AttemptReason, AttemptState, DailySchedule, LotDetail, MailSecurity, MailServer, MailSettings,
    MailSettingsInput, MailSettingsList, OctSettings, OutboxAttempt, OutboxList, ScheduleRequest,
    SendLotsRequest, SendLotsResponse,
};
pub use billing::{
    GroupTally, ReasonCount, ReconciledFse, Reconciliation, ReturnKind, ReturnMail, ReturnMailList,
    ReturnState, Settlement, Tally,
};
pub use billing::{LotKind, PjLot, PjLotDetail, PjLotItem, PjLotList, PjLotStatus};
pub use cards::{
    Ald, Amc, AmcKind, Beneficiary, CpxCard, DataSource, Holder, Nir, PracticeMode, Rights,
    RightsPeriod, Situation, VitaleCard,
};
pub use error::{ApiError, ErrorBody, ErrorCode};
pub use event::{Event, EventKind};
pub use pin::{
    CardSignature, PinCode, PinStatus, PinUnblockRequest, PinVerified, PinVerifyRequest,
    SignatureRequest,
};
pub use reader::{
    Card, CardJob, CardKind, Reader, ReaderList, ReaderQueue, ReaderState, SimulatedCardInsertion,
    SimulatedClockAdvance, SimulatedPinPadKeys,
};
pub use rights::{RightsAnswer, RightsRequest};
pub use secret::Secret;
pub use security::{
    AuditActor, AuditEntry, AuditPage, ClientIdentity, Grant, GrantList, OsUser, PairingCreated,
    PairingRequest, PairingState, PairingStatus, PendingPairing, PendingPairingList, Scope,
};
pub use status::{BackendKind, BackendState, ServiceStatus};

/// Version of the HTTP API described by this crate. Routes live under `/v1/`.
pub const API_VERSION: &str = "1.0";

/// Path prefix of every route of this API version.
pub const API_PREFIX: &str = "/v1";
