//! The one error type of the billing layer: each refusal has its stable API code, a French
//! message for the practitioner and details naming the field.

use passerelle_protocol::{ErrorBody, ErrorCode};
use serde_json::json;

/// Why billing refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// An act code unknown to the tariff table.
    #[error("{field} : code d'acte inconnu « {code} ».")]
    UnknownAct {
        /// Field path (`acts[0].key`).
        field: String,
        /// The code.
        code: String,
    },
    /// A known act without a tariff at its date.
    #[error("{field} : l'acte « {code} » n'a pas de tarif au {date}.")]
    TariffNotApplicable {
        /// Field path.
        field: String,
        /// The code.
        code: String,
        /// The act's date.
        date: String,
    },
    /// An impossible NGAP coefficient.
    #[error("{field} : coefficient « {value} » impossible pour cet acte{reason}.")]
    InvalidCoefficient {
        /// Field path.
        field: String,
        /// As received.
        value: String,
        /// Why, when more can be said (` : réservé aux patientes C2S`), else empty.
        reason: String,
    },
    /// No tariff for the practice's zone at the act's date (no fallback to the métropole).
    #[error("{field} : aucun tarif connu de « {code} » en {zone} au {date} ; Passerelle ne reprend jamais le tarif de la métropole pour un DROM.")]
    TariffUnknownForZone {
        /// Field path.
        field: String,
        /// The code.
        code: String,
        /// The zone, in French.
        zone: String,
        /// The act's date.
        date: String,
    },
    /// A refusal of a billing rule, with its own code and a French message.
    #[error("{field} : {message}")]
    Rule {
        /// The stable code (`surcharge_not_sunday_or_holiday`...).
        code: ErrorCode,
        /// Field path.
        field: String,
        /// What is wrong, in French.
        message: String,
    },
    /// The stated AMO rate differs from the computed one.
    #[error("{field} : taux demandé ({requested} %) ≠ taux calculé ({computed} %) d'après la nature et les droits du patient.")]
    CoverageRateMismatch {
        /// Field path (`coverage_rate`, or the act whose rate differs).
        field: String,
        /// The client's rate.
        requested: u8,
        /// Passerelle's rate.
        computed: u8,
    },
    /// An unknown modifier.
    #[error("{field} : majoration ou modificateur inconnu « {modifier} ».")]
    UnknownModifier {
        /// Field path.
        field: String,
        /// As received.
        modifier: String,
    },
    /// Amounts that differ from the priced ones.
    #[error("{field} : montant incohérent ({received} centimes reçus, {expected} calculés).")]
    IncoherentAmount {
        /// Field path.
        field: String,
        /// What Passerelle computed.
        expected: i64,
        /// What the client sent.
        received: i64,
    },
    /// An act or care dated after today.
    #[error("{field} : la date {date} est dans le futur.")]
    ActInFuture {
        /// Field path.
        field: String,
        /// The date.
        date: String,
    },
    /// A malformed field.
    #[error("{field} : {reason}")]
    InvalidField {
        /// Field path.
        field: String,
        /// What is wrong, in French.
        reason: String,
    },
    /// No FSE with this id.
    #[error("Aucune feuille de soins n'a l'identifiant {0}.")]
    FseNotFound(i64),
    /// Deleting an FSE already in a lot.
    #[error("La feuille de soins {0} est déjà dans un lot : elle ne peut plus être supprimée. Contactez la caisse pour la corriger.")]
    FseInLot(String),
    /// A move the state machine forbids.
    #[error("Opération impossible : passage de l'état « {from} » à « {to} » interdit.")]
    InvalidTransition {
        /// Current state.
        from: String,
        /// Requested state.
        to: String,
    },
    /// An idempotency key reused for another request.
    #[error("Cette clé d'idempotence a déjà servi pour une autre demande.")]
    IdempotencyKeyReused,
    /// No basket with this name.
    #[error("Aucun panier d'actes ne s'appelle « {0} ».")]
    BasketNotFound(String),
    /// No lot with this id.
    #[error("Aucun lot n'a l'identifiant {0}.")]
    LotNotFound(i64),
    /// The card or situation may not sign this.
    #[error("{0}")]
    SignerNotAllowed(String),
    /// The card could not sign.
    #[error("La carte n'a pas pu signer : {0}")]
    SigningFailed(String),
    /// The store failed.
    #[error("Erreur de la base de facturation locale : {0}")]
    Storage(String),
    /// The lot cannot be sent in its state.
    #[error("Le lot {number} ne peut pas être envoyé : il est {status}.")]
    LotNotSendable {
        /// The lot number.
        number: String,
        /// Its state, in French.
        status: String,
    },
    /// No outbox attempt with this id.
    #[error("Aucun envoi n'a l'identifiant {0}.")]
    AttemptNotFound(i64),
    /// Only a queued attempt can be cancelled.
    #[error("Cet envoi ne peut plus être annulé : il est {0}.")]
    AttemptNotCancellable(String),
    /// A return (ARL, NOEMIE) that cannot be applied; the message says why.
    #[error("{0}")]
    ReturnRefused(String),
    /// An attachment refused (type, size, page size, resolution, date, FSE state); `code`
    /// says which, `message` what is wrong, in French.
    #[error("{message}")]
    Attachment {
        /// The stable code.
        code: ErrorCode,
        /// What is wrong, in French.
        message: String,
        /// The values (page, size, dpi...).
        details: serde_json::Value,
    },
    /// A paper duplicate asked for a lot that does not need one.
    #[error("Le lot {number} n'a pas besoin de duplicata papier : il est {status}.")]
    PaperNotNeeded {
        /// The lot number.
        number: String,
        /// Its state, in French.
        status: String,
    },
}

impl BillingError {
    /// A refusal of billing rule `code` about `field`.
    pub fn rule(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        BillingError::Rule {
            code,
            field: field.into(),
            message: message.into(),
        }
    }

    /// A malformed-field refusal.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        BillingError::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The stable API code.
    pub fn code(&self) -> ErrorCode {
        match self {
            BillingError::UnknownAct { .. } => ErrorCode::UnknownActCode,
            BillingError::TariffNotApplicable { .. } => ErrorCode::TariffNotApplicable,
            BillingError::InvalidCoefficient { .. } => ErrorCode::InvalidCoefficient,
            BillingError::TariffUnknownForZone { .. } => ErrorCode::TariffUnknownForZone,
            BillingError::Rule { code, .. } => *code,
            BillingError::CoverageRateMismatch { .. } => ErrorCode::CoverageRateMismatch,
            BillingError::UnknownModifier { .. } => ErrorCode::UnknownModifier,
            BillingError::IncoherentAmount { .. } => ErrorCode::IncoherentAmount,
            BillingError::ActInFuture { .. } => ErrorCode::ActInFuture,
            BillingError::InvalidField { .. } => ErrorCode::InvalidFseField,
            BillingError::FseNotFound(_) => ErrorCode::FseNotFound,
            BillingError::FseInLot(_) => ErrorCode::FseInLot,
            BillingError::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            BillingError::IdempotencyKeyReused => ErrorCode::IdempotencyKeyReused,
            BillingError::BasketNotFound(_) => ErrorCode::BasketNotFound,
            BillingError::LotNotFound(_) => ErrorCode::LotNotFound,
            BillingError::SignerNotAllowed(_) => ErrorCode::SignerNotAllowed,
            BillingError::SigningFailed(_) => ErrorCode::SigningFailed,
            BillingError::Storage(_) => ErrorCode::StorageError,
            BillingError::LotNotSendable { .. } => ErrorCode::LotNotSendable,
            BillingError::AttemptNotFound(_) => ErrorCode::AttemptNotFound,
            BillingError::AttemptNotCancellable(_) => ErrorCode::AttemptNotCancellable,
            BillingError::ReturnRefused(_) => ErrorCode::ReturnRefused,
            BillingError::PaperNotNeeded { .. } => ErrorCode::PaperNotNeeded,
            BillingError::Attachment { code, .. } => *code,
        }
    }

    /// Structured details (the field, the values), never patient data.
    pub fn details(&self) -> Option<serde_json::Value> {
        Some(match self {
            BillingError::UnknownAct { field, code } => json!({ "field": field, "code": code }),
            BillingError::TariffNotApplicable { field, code, date } => {
                json!({ "field": field, "code": code, "date": date })
            }
            BillingError::InvalidCoefficient { field, value, .. } => {
                json!({ "field": field, "value": value })
            }
            BillingError::TariffUnknownForZone {
                field,
                code,
                zone,
                date,
            } => json!({ "field": field, "code": code, "zone": zone, "date": date }),
            BillingError::Rule { field, .. } => json!({ "field": field }),
            BillingError::CoverageRateMismatch {
                field,
                requested,
                computed,
            } => json!({ "field": field, "requested": requested, "computed": computed }),
            BillingError::UnknownModifier { field, modifier } => {
                json!({ "field": field, "modifier": modifier })
            }
            BillingError::IncoherentAmount {
                field,
                expected,
                received,
            } => json!({ "field": field, "expected": expected, "received": received }),
            BillingError::ActInFuture { field, date } => json!({ "field": field, "date": date }),
            BillingError::InvalidField { field, .. } => json!({ "field": field }),
            BillingError::InvalidTransition { from, to } => json!({ "from": from, "to": to }),
            BillingError::LotNotSendable { number, status } => {
                json!({ "lot": number, "status": status })
            }
            BillingError::AttemptNotCancellable(state) => json!({ "state": state }),
            BillingError::Attachment { details, .. } => details.clone(),
            _ => return None,
        })
    }

    /// The error as the API renders it. Storage failures keep their cause out of the
    /// message (it is logged by the caller).
    pub fn to_body(&self) -> ErrorBody {
        let message = match self {
            BillingError::Storage(_) => {
                "La base de facturation locale est indisponible (disque plein, fichier verrouillé ou \
                 abîmé) : rien n'a été enregistré. Réessayez ; si cela continue, lancez \
                 `passerelle doctor`. L'incident a été journalisé."
                    .to_owned()
            }
            other => other.to_string(),
        };
        ErrorBody {
            code: self.code(),
            message,
            details: self.details(),
        }
    }
}

impl From<rusqlite::Error> for BillingError {
    fn from(e: rusqlite::Error) -> Self {
        BillingError::Storage(e.to_string())
    }
}
