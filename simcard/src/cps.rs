//! A simulated CPS3 / CPE / CPF (IAS-ECC): files, a PIN with a try counter, RSA keys.
//!
//! Security model (references in [`passerelle_cards::layout::cps`]):
//! - VERIFY `00 20 00 81`: without data, `90 00` if verified else `63 Cx`; with the 8-byte
//!   PIN block, `90 00` (counter back to 3) or `63 Cx` (x tries left, `63 C0` on the
//!   attempt that blocks); once blocked, `69 83` for every VERIFY, even with the right PIN.
//! - RESET RETRY COUNTER `00 2C 00 81 10 <unblock code 8 digits> <new PIN block>`: new PIN,
//!   counter back to 3, not verified. The unblock code has its own counter (10, modelled).
//! - MSE SET `00 22 41 B6 03 84 01 82` (signature key) or `41 A4 ... 81` (authentication).
//! - PSO COMPUTE DIGITAL SIGNATURE `00 2A 9E 9A 20 <SHA-256> 00`: the card builds the
//!   DigestInfo, RSA-2048 PKCS#1 v1.5. INTERNAL AUTHENTICATE `00 88 00 00 Lc <data> 00`:
//!   the card pads the given bytes (the caller's DER DigestInfo, or any data up to 245
//!   bytes) with PKCS#1 v1.5 type 1 and signs them raw with the authentication key. Both
//!   need the PIN verified (else `69 82`) and the matching MSE SET (else `69 85`).
//! - GET DATA `00 CB 00 81 00`: `9A 01 03 9B 01 0x`.
//! - A reset (power cycle) loses the verified state and the MSE; counters persist.

use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::cps_files::FileSystem;
use super::fixtures::{CpxFixture, CpxKeys};
use super::SimCard;
use passerelle_cards::apdu::{Command, Response, StatusWord};
use passerelle_cards::atr::CPS3_ATR;
use passerelle_cards::layout::{cps, ins, CLA};
use passerelle_cards::tlv;

/// Tries of the unblock code. Modelled.
const PUK_MAX_TRIES: u8 = 10;
/// Largest input of INTERNAL AUTHENTICATE: 2048-bit modulus minus the PKCS#1 v1.5 overhead.
const MAX_AUTH_INPUT: usize = 256 - 11;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Signature,
    Authentication,
}

/// A simulated CPx card (CPS, CPE or CPF: same chip and ATR, the card-type field differs).
pub struct SimCps {
    files: FileSystem,
    pin: Zeroizing<Vec<u8>>,
    puk: Zeroizing<Vec<u8>>,
    tries_left: u8,
    puk_tries_left: u8,
    verified: bool,
    operation: Option<Operation>,
    sig_key: RsaPrivateKey,
    auth_key: RsaPrivateKey,
}

impl SimCps {
    /// A powered-on card from its fixture and test keys; an error if a key does not parse.
    pub fn new(fixture: CpxFixture, keys: CpxKeys) -> Result<Self, String> {
        let sig_key = RsaPrivateKey::from_pkcs8_pem(keys.sig_key_pem).map_err(|e| e.to_string())?;
        let auth_key =
            RsaPrivateKey::from_pkcs8_pem(keys.auth_key_pem).map_err(|e| e.to_string())?;
        Ok(SimCps {
            files: FileSystem::new(&fixture, &keys),
            pin: cps::pin_block(fixture.pin.as_bytes()),
            puk: Zeroizing::new(fixture.puk.into_bytes()),
            tries_left: cps::PIN_MAX_TRIES,
            puk_tries_left: PUK_MAX_TRIES,
            verified: false,
            operation: None,
            sig_key,
            auth_key,
        })
    }

    fn verify(&mut self, command: &Command) -> StatusWord {
        if command.p1 != 0 || command.p2 != cps::PIN_REF {
            return StatusWord::WrongP1P2;
        }
        if self.tries_left == 0 {
            return StatusWord::Blocked;
        }
        if command.data.is_empty() {
            return match self.verified {
                true => StatusWord::Success,
                false => StatusWord::WrongPin {
                    tries_left: self.tries_left,
                },
            };
        }
        if command.data.len() != cps::PIN_BLOCK_LEN {
            return StatusWord::WrongLength;
        }
        if command.data == *self.pin {
            self.tries_left = cps::PIN_MAX_TRIES;
            self.verified = true;
            return StatusWord::Success;
        }
        self.verified = false;
        self.tries_left -= 1;
        StatusWord::WrongPin {
            tries_left: self.tries_left,
        }
    }

    fn reset_retry_counter(&mut self, command: &Command) -> StatusWord {
        if command.p1 != 0 || command.p2 != cps::PIN_REF {
            return StatusWord::WrongP1P2;
        }
        if command.data.len() != cps::PUK_LEN + cps::PIN_BLOCK_LEN {
            return StatusWord::WrongLength;
        }
        if self.puk_tries_left == 0 {
            return StatusWord::Blocked;
        }
        let (code, new_pin) = command.data.split_at(cps::PUK_LEN);
        if code != &self.puk[..] {
            self.puk_tries_left -= 1;
            return StatusWord::WrongPin {
                tries_left: self.puk_tries_left,
            };
        }
        self.puk_tries_left = PUK_MAX_TRIES;
        let (digits, padding) = new_pin.split_at(cps::PIN_LEN);
        if !digits.iter().all(u8::is_ascii_digit) || padding.iter().any(|&b| b != 0xFF) {
            return StatusWord::IncorrectData;
        }
        self.pin = Zeroizing::new(new_pin.to_vec());
        self.tries_left = cps::PIN_MAX_TRIES;
        self.verified = false;
        StatusWord::Success
    }

    fn manage_security_environment(&mut self, command: &Command) -> StatusWord {
        let (operation, key) = match [command.p1, command.p2] {
            cps::MSE_SIGNATURE => (Operation::Signature, cps::KEY_SIG),
            cps::MSE_AUTHENTICATION => (Operation::Authentication, cps::KEY_AUTH),
            _ => return StatusWord::WrongP1P2,
        };
        self.operation = None;
        let elements = tlv::parse_all(&command.data).unwrap_or_default();
        match tlv::find(&elements, cps::TAG_KEY_REF) {
            Some(t) if t.value == [key] => {
                self.operation = Some(operation);
                StatusWord::Success
            }
            Some(_) => StatusWord::Other(0x6A88), // referenced data not found
            None => StatusWord::IncorrectData,
        }
    }

    fn sign(&self, command: &Command, operation: Operation) -> Response {
        let refuse = Response::status_only;
        if !self.verified {
            return refuse(StatusWord::SecurityNotSatisfied);
        }
        if self.operation != Some(operation) {
            return refuse(StatusWord::ConditionsNotSatisfied);
        }
        let signed = match operation {
            Operation::Signature if command.data.len() == cps::DIGEST_LEN => self
                .sig_key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &command.data),
            Operation::Authentication if (1..=MAX_AUTH_INPUT).contains(&command.data.len()) => self
                .auth_key
                .sign(Pkcs1v15Sign::new_unprefixed(), &command.data),
            _ => return refuse(StatusWord::WrongLength),
        };
        match signed {
            Ok(signature) => Response::new(signature, StatusWord::Success),
            Err(_) => refuse(StatusWord::IncorrectData),
        }
    }

    fn get_data(&self, command: &Command) -> Response {
        if [command.p1, command.p2] != cps::GET_DATA_PIN {
            return Response::status_only(StatusWord::Other(0x6A88));
        }
        let data = tlv::encode_all(&[
            tlv::Tlv::new(cps::TAG_TRIES_MAX, vec![cps::PIN_MAX_TRIES]),
            tlv::Tlv::new(cps::TAG_TRIES_LEFT, vec![self.tries_left]),
        ]);
        Response::new(data, StatusWord::Success)
    }
}

impl SimCard for SimCps {
    fn atr(&self) -> Vec<u8> {
        CPS3_ATR.to_vec()
    }

    fn reset(&mut self) {
        self.verified = false;
        self.operation = None;
        self.files.reset();
    }

    fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        let Some(command) = Command::parse(bytes) else {
            return Response::status_only(StatusWord::WrongLength).to_bytes();
        };
        if command.cla != CLA {
            return Response::status_only(StatusWord::ClaNotSupported).to_bytes();
        }
        let status = Response::status_only;
        let response = match (command.ins, [command.p1, command.p2]) {
            (ins::SELECT, _) => self.files.select(&command),
            (ins::READ_BINARY, _) => self.files.read(&command),
            (ins::VERIFY, _) => status(self.verify(&command)),
            (ins::RESET_RETRY_COUNTER, _) => status(self.reset_retry_counter(&command)),
            (ins::MSE, _) => status(self.manage_security_environment(&command)),
            (ins::PSO, cps::PSO_CDS) => self.sign(&command, Operation::Signature),
            (ins::INTERNAL_AUTHENTICATE, [0, 0]) => self.sign(&command, Operation::Authentication),
            (ins::PSO | ins::INTERNAL_AUTHENTICATE, _) => status(StatusWord::WrongP1P2),
            (ins::GET_DATA, _) => self.get_data(&command),
            _ => status(StatusWord::InsNotSupported),
        };
        response.to_bytes()
    }
}

#[cfg(test)]
mod tests;
