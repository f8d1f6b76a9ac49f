//! The CPx card's PIN: its status, verifying it, unblocking it, and signing with the card.
//!
//! A PIN crosses the API only inside [`PinCode`], whose memory is wiped when dropped and
//! whose `Debug` shows nothing. Where the reader has a PIN pad (PC/SC part 10 secure PIN
//! entry), the PIN is typed on the reader and never crosses the API at all.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;
use zeroize::Zeroizing;

/// A PIN (4 digits) or unblock code (8 digits) as received from a client: wiped from
/// memory when dropped, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, ToSchema)]
#[schema(value_type = String, example = "1234", pattern = "^[0-9]{4}([0-9]{4})?$")]
pub struct PinCode(Zeroizing<String>);

impl PinCode {
    /// Wraps the digits.
    pub fn new(digits: impl Into<String>) -> Self {
        PinCode(Zeroizing::new(digits.into()))
    }

    /// The digits, to build the card command (itself wiped after use).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it has the documented shape: 4 digits (a PIN) or 8 (an unblock code).
    pub fn is_well_formed(&self) -> bool {
        matches!(self.0.len(), 4 | 8) && self.0.bytes().all(|b| b.is_ascii_digit())
    }
}

impl std::fmt::Debug for PinCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinCode(***)")
    }
}

impl Serialize for PinCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PinCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let digits = Zeroizing::new(String::deserialize(deserializer)?);
        Ok(PinCode(digits))
    }
}

/// The PIN state of a CPx card: `GET /v1/readers/{reader}/pin`. Asking it never costs a try.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PinStatus {
    /// Tries left before the card blocks.
    pub tries_left: u8,
    /// Tries a fresh PIN has.
    pub tries_max: u8,
    /// True while the PIN verified on this insertion holds (the card stays in the reader).
    pub verified: bool,
    /// True once the card is blocked: only the unblock code (or a new card) helps.
    pub blocked: bool,
    /// True when the reader has a PIN pad: verify with `secure_pin_entry: true` and the
    /// practitioner types the PIN on the reader.
    pub secure_pin_entry: bool,
}

/// Body of `POST /v1/readers/{reader}/pin/verify`: the PIN, or a request to type it on the
/// reader's pad.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinVerifyRequest {
    /// The 4 digits. Absent with `secure_pin_entry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<PinCode>,
    /// Type the PIN on the reader's pad (PC/SC part 10 `FEATURE_VERIFY_PIN_DIRECT`).
    #[serde(default)]
    pub secure_pin_entry: bool,
}

/// Answer of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PinVerified {
    /// Tries left before this verification.
    pub tries_before: u8,
    /// Tries left now (back to the maximum).
    pub tries_left: u8,
    /// True when the PIN was typed on the reader's pad.
    pub secure_pin_entry: bool,
}

/// Body of `POST /v1/readers/{reader}/pin/unblock`: the 8-digit unblock code (PUK) given
/// with the card, and the new 4-digit PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PinUnblockRequest {
    /// The unblock code, 8 digits.
    pub unblock_code: PinCode,
    /// The new PIN, 4 digits.
    pub new_pin: PinCode,
}

/// Body of `POST /v1/readers/{reader}/signature`: what to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
    /// SHA-256 digest of the data to sign, 64 hexadecimal characters.
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub digest_sha256: String,
}

/// A signature made by the CPS signature key, already checked against the card's
/// signature certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CardSignature {
    /// Always `RSASSA-PKCS1-v1_5-SHA256`.
    pub algorithm: String,
    /// The signature, standard base64.
    pub signature: String,
    /// The card's signature certificate (DER), standard base64.
    pub certificate: String,
    /// Serial number of the card that signed.
    pub card_serial: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_well_formed_with_4_or_8_digits() {
        for good in ["4729", "20462913"] {
            assert!(PinCode::new(good).is_well_formed(), "{good}");
        }
        for bad in ["", "472", "47290", "472a", "２４６８", "4729 ", "204629130"] {
            assert!(!PinCode::new(bad).is_well_formed(), "{bad:?}");
        }
    }
}
