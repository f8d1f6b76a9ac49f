//! A simulated CPS3 / CPE / CPF (IAS-ECC): files, PIN with a try counter, RSA signatures.

use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::fixtures::{CpxFixture, CpxKeys};
use super::{read_slice, SimCard};
use crate::apdu::{Command, Response, StatusWord};
use crate::cards::atr::CPS3_ATR;
use crate::cards::layout::{cps, ins, select, CLA};
use crate::cards::tlv::{self, Tlv};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Signature,
    Authentication,
}

/// The card.
pub struct SimCps {
    files: Vec<(Vec<u8>, Vec<u8>)>,
    pin: Zeroizing<Vec<u8>>,
    puk: Zeroizing<Vec<u8>>,
    tries_left: u8,
    verified: bool,
    current: Option<usize>,
    operation: Option<Operation>,
    sig_key: RsaPrivateKey,
    auth_key: RsaPrivateKey,
}

impl SimCps {
    /// A powered-on card from its fixture and test keys.
    pub fn new(fixture: CpxFixture, keys: CpxKeys) -> Result<Self, String> {
        let sig_key = RsaPrivateKey::from_pkcs8_pem(keys.sig_key_pem).map_err(|e| e.to_string())?;
        let auth_key =
            RsaPrivateKey::from_pkcs8_pem(keys.auth_key_pem).map_err(|e| e.to_string())?;
        let files = files(&fixture, &keys);
        Ok(SimCps {
            files,
            pin: Zeroizing::new(pin_block(fixture.pin.as_bytes())),
            puk: Zeroizing::new(fixture.puk.into_bytes()),
            tries_left: cps::PIN_MAX_TRIES,
            verified: false,
            current: None,
            operation: None,
            sig_key,
            auth_key,
        })
    }

    fn select(&mut self, command: &Command) -> Response {
        match (command.p1, command.data.as_slice()) {
            (select::BY_AID, aid) if aid == cps::AID_IAS => self.current = None,
            (select::BY_ID, [0x3F, 0x00]) => self.current = None,
            (select::BY_PATH, path) => match self.files.iter().position(|(p, _)| p == path) {
                Some(i) => self.current = Some(i),
                None => return Response::status_only(StatusWord::FileNotFound),
            },
            _ => return Response::status_only(StatusWord::FileNotFound),
        }
        Response::status_only(StatusWord::Success)
    }

    fn read(&self, command: &Command) -> Response {
        let Some(i) = self.current else {
            return Response::status_only(StatusWord::ConditionsNotSatisfied);
        };
        if command.p1 & 0x80 != 0 {
            return Response::status_only(StatusWord::WrongP1P2);
        }
        let offset = u16::from_be_bytes([command.p1, command.p2]) as usize;
        read_slice(&self.files[i].1, offset, command.le)
    }

    fn verify(&mut self, command: &Command) -> Response {
        if command.p1 != 0 || command.p2 != cps::PIN_REF {
            return Response::status_only(StatusWord::WrongP1P2);
        }
        if self.tries_left == 0 {
            return Response::status_only(StatusWord::Blocked);
        }
        if command.data.is_empty() {
            return Response::status_only(if self.verified {
                StatusWord::Success
            } else {
                StatusWord::WrongPin {
                    tries_left: self.tries_left,
                }
            });
        }
        if command.data.len() != cps::PIN_BLOCK_LEN {
            return Response::status_only(StatusWord::WrongLength);
        }
        if command.data == *self.pin {
            self.tries_left = cps::PIN_MAX_TRIES;
            self.verified = true;
            return Response::status_only(StatusWord::Success);
        }
        self.verified = false;
        self.tries_left -= 1;
        Response::status_only(match self.tries_left {
            0 => StatusWord::Blocked,
            n => StatusWord::WrongPin { tries_left: n },
        })
    }

    fn unblock(&mut self, command: &Command) -> Response {
        if command.p1 != 0 || command.p2 != cps::PIN_REF {
            return Response::status_only(StatusWord::WrongP1P2);
        }
        if command.data.len() != cps::PUK_LEN + cps::PIN_BLOCK_LEN {
            return Response::status_only(StatusWord::WrongLength);
        }
        if command.data[..cps::PUK_LEN] != self.puk[..] {
            return Response::status_only(StatusWord::IncorrectData);
        }
        self.pin = Zeroizing::new(command.data[cps::PUK_LEN..].to_vec());
        self.tries_left = cps::PIN_MAX_TRIES;
        self.verified = false;
        Response::status_only(StatusWord::Success)
    }

    fn manage_security_environment(&mut self, command: &Command) -> Response {
        let wanted = match [command.p1, command.p2] {
            cps::MSE_SIGNATURE => (Operation::Signature, cps::KEY_SIG),
            cps::MSE_AUTHENTICATION => (Operation::Authentication, cps::KEY_AUTH),
            _ => return Response::status_only(StatusWord::WrongP1P2),
        };
        let key_ref = tlv::parse_all(&command.data)
            .ok()
            .and_then(|e| tlv::find(&e, cps::TAG_KEY_REF).map(|t| t.value.clone()));
        if key_ref.as_deref() != Some(&[wanted.1][..]) {
            self.operation = None;
            return Response::status_only(StatusWord::IncorrectData);
        }
        self.operation = Some(wanted.0);
        Response::status_only(StatusWord::Success)
    }

    fn sign(&self, command: &Command, operation: Operation) -> Response {
        if self.operation != Some(operation) {
            return Response::status_only(StatusWord::ConditionsNotSatisfied);
        }
        if !self.verified {
            return Response::status_only(StatusWord::SecurityNotSatisfied);
        }
        let signed = match operation {
            Operation::Signature if command.data.len() == 32 => self
                .sig_key
                .sign(Pkcs1v15Sign::new::<Sha256>(), &command.data),
            Operation::Signature => return Response::status_only(StatusWord::WrongLength),
            // INTERNAL AUTHENTICATE signs the given bytes (a DigestInfo) with type-1 padding.
            Operation::Authentication => self
                .auth_key
                .sign(Pkcs1v15Sign::new_unprefixed(), &command.data),
        };
        match signed {
            Ok(signature) => Response::new(signature, StatusWord::Success),
            Err(_) => Response::status_only(StatusWord::IncorrectData),
        }
    }

    fn get_data(&self, command: &Command) -> Response {
        if [command.p1, command.p2] != cps::GET_DATA_PIN {
            return Response::status_only(StatusWord::FileNotFound);
        }
        let data = tlv::encode_all(&[
            Tlv::new(cps::TAG_TRIES_MAX, vec![cps::PIN_MAX_TRIES]),
            Tlv::new(cps::TAG_TRIES_LEFT, vec![self.tries_left]),
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
        self.current = None;
        self.operation = None;
    }

    fn process(&mut self, bytes: &[u8]) -> Vec<u8> {
        let Some(command) = Command::parse(bytes) else {
            return Response::status_only(StatusWord::WrongLength).to_bytes();
        };
        if command.cla != CLA {
            return Response::status_only(StatusWord::ClaNotSupported).to_bytes();
        }
        let response = match command.ins {
            ins::SELECT => self.select(&command),
            ins::READ_BINARY => self.read(&command),
            ins::VERIFY => self.verify(&command),
            ins::RESET_RETRY_COUNTER => self.unblock(&command),
            ins::MSE => self.manage_security_environment(&command),
            ins::PSO if [command.p1, command.p2] == cps::PSO_CDS => {
                self.sign(&command, Operation::Signature)
            }
            ins::PSO => Response::status_only(StatusWord::WrongP1P2),
            ins::INTERNAL_AUTHENTICATE => self.sign(&command, Operation::Authentication),
            ins::GET_DATA => self.get_data(&command),
            _ => Response::status_only(StatusWord::InsNotSupported),
        };
        response.to_bytes()
    }
}

/// ASCII digits padded with `FF` to the PIN block length.
pub fn pin_block(digits: &[u8]) -> Vec<u8> {
    let mut block = digits.to_vec();
    block.resize(cps::PIN_BLOCK_LEN.max(digits.len()), 0xFF);
    block
}

fn flag(b: bool) -> Vec<u8> {
    vec![b as u8]
}

fn files(f: &CpxFixture, keys: &CpxKeys) -> Vec<(Vec<u8>, Vec<u8>)> {
    let card = tlv::encode_all(&[
        Tlv::new(cps::TAG_SERIAL, f.serial.as_bytes()),
        Tlv::new(cps::TAG_CARD_TYPE, f.card_type.as_bytes()),
        Tlv::new(cps::TAG_VALID_FROM, f.valid_from.as_bytes()),
        Tlv::new(cps::TAG_VALID_UNTIL, f.valid_until.as_bytes()),
    ]);
    let h = &f.holder;
    let holder = tlv::encode_all(&[
        Tlv::new(cps::TAG_ID_TYPE, h.id_type.as_bytes()),
        Tlv::new(cps::TAG_ID, h.id.as_bytes()),
        Tlv::new(cps::TAG_CIVILITY, h.civility.as_bytes()),
        Tlv::new(cps::TAG_LAST_NAME, h.last_name.as_bytes()),
        Tlv::new(cps::TAG_FIRST_NAME, h.first_name.as_bytes()),
        Tlv::new(cps::TAG_PROFESSION, h.profession.as_bytes()),
        Tlv::new(cps::TAG_SPECIALITY, h.speciality.as_bytes()),
    ]);
    let mut files = vec![
        (cps::PATH_CARD.to_vec(), card),
        (cps::PATH_HOLDER.to_vec(), holder),
        (cps::PATH_CERT_SIG.to_vec(), keys.sig_cert.to_vec()),
        (cps::PATH_CERT_AUTH.to_vec(), keys.auth_cert.to_vec()),
    ];
    for (n, s) in f
        .situations
        .iter()
        .take(cps::SITUATIONS as usize)
        .enumerate()
    {
        let mut path = cps::PATH_SITUATION_BASE.to_vec();
        path[3] += n as u8;
        let data = tlv::encode_all(&[
            Tlv::new(cps::TAG_MODE, s.mode.as_bytes()),
            Tlv::new(cps::TAG_BILLING_NUMBER, s.billing_number.as_bytes()),
            Tlv::new(cps::TAG_BILLING_KEY, s.billing_key.as_bytes()),
            Tlv::new(cps::TAG_STRUCTURE_ID, s.structure_id.as_bytes()),
            Tlv::new(cps::TAG_STRUCTURE_NAME, s.structure_name.as_bytes()),
            Tlv::new(cps::TAG_TARIFF_ZONE, s.tariff_zone.as_bytes()),
            Tlv::new(cps::TAG_AGREEMENT, s.agreement.as_bytes()),
            Tlv::new(cps::TAG_MAY_SIGN_INVOICE, flag(s.may_sign_invoice)),
            Tlv::new(cps::TAG_MAY_SIGN_LOT, flag(s.may_sign_lot)),
            Tlv::new(cps::TAG_SPECIALITY_CODE, s.speciality.as_bytes()),
        ]);
        files.push((path, data));
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::fixtures;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::signature::Verifier;
    use sha2::Digest;

    fn card(spec: &str) -> SimCps {
        let (f, k) = fixtures::cpx(spec).unwrap();
        SimCps::new(f, k).unwrap()
    }

    fn send(card: &mut SimCps, c: Command) -> Response {
        Response::parse(&card.process(&c.to_bytes())).unwrap()
    }

    fn verify(card: &mut SimCps, pin: &[u8]) -> StatusWord {
        send(
            card,
            Command::new(0, 0x20, 0, cps::PIN_REF).data(pin_block(pin)),
        )
        .status()
    }

    #[test]
    fn pin_counter_blocks_at_zero_and_unblocks() {
        let mut c = card("cps:durand-sage-femme");
        assert_eq!(
            send(&mut c, Command::new(0, 0x20, 0, cps::PIN_REF)).status(),
            StatusWord::WrongPin { tries_left: 3 }
        );
        assert_eq!(
            verify(&mut c, b"0000"),
            StatusWord::WrongPin { tries_left: 2 }
        );
        assert_eq!(verify(&mut c, b"1234"), StatusWord::Success);
        assert_eq!(
            send(&mut c, Command::new(0, 0x20, 0, cps::PIN_REF)).status(),
            StatusWord::Success
        );
        assert_eq!(
            verify(&mut c, b"0000"),
            StatusWord::WrongPin { tries_left: 2 }
        );
        assert_eq!(
            verify(&mut c, b"0000"),
            StatusWord::WrongPin { tries_left: 1 }
        );
        assert_eq!(verify(&mut c, b"0000"), StatusWord::Blocked);
        assert_eq!(
            verify(&mut c, b"1234"),
            StatusWord::Blocked,
            "right PIN on a blocked card"
        );
        let counters = send(&mut c, Command::new(0, 0xCB, 0x00, cps::PIN_REF).le(0));
        let e = tlv::parse_all(counters.data()).unwrap();
        assert_eq!(tlv::find(&e, 0x9B).unwrap().value, vec![0]);
        let mut data = b"00000000".to_vec();
        data.extend(pin_block(b"4321"));
        assert_eq!(
            send(&mut c, Command::new(0, 0x2C, 0, cps::PIN_REF).data(data)).status(),
            StatusWord::IncorrectData
        );
        let mut data = b"12345678".to_vec();
        data.extend(pin_block(b"4321"));
        assert_eq!(
            send(&mut c, Command::new(0, 0x2C, 0, cps::PIN_REF).data(data)).status(),
            StatusWord::Success
        );
        assert_eq!(verify(&mut c, b"4321"), StatusWord::Success);
    }

    #[test]
    fn signature_needs_pin_and_mse_and_verifies_with_the_certificate_key() {
        let mut c = card("cps:durand-sage-femme");
        let digest = Sha256::digest(b"FSE 000000001").to_vec();
        let pso = Command::new(0, 0x2A, 0x9E, 0x9A).data(digest.clone()).le(0);
        assert_eq!(
            send(&mut c, pso.clone()).status(),
            StatusWord::ConditionsNotSatisfied
        );
        let mse =
            Command::new(0, 0x22, 0x41, 0xB6).data(Tlv::new(0x84, vec![cps::KEY_SIG]).encode());
        assert_eq!(send(&mut c, mse).status(), StatusWord::Success);
        assert_eq!(
            send(&mut c, pso.clone()).status(),
            StatusWord::SecurityNotSatisfied
        );
        assert_eq!(verify(&mut c, b"1234"), StatusWord::Success);
        let r = send(&mut c, pso);
        assert_eq!(r.status(), StatusWord::Success);
        assert_eq!(r.data().len(), 256);
        // Check against the public key of the certificate file the card serves.
        let cert = std::process::Command::new("openssl")
            .args(["x509", "-inform", "DER", "-pubkey", "-noout"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(fixtures::cpx("cps:durand-sage-femme").unwrap().1.sig_cert)?;
                child.wait_with_output()
            });
        let public = match cert {
            Ok(out) if out.status.success() => String::from_utf8(out.stdout).unwrap(),
            _ => return eprintln!("openssl unavailable: certificate check skipped"),
        };
        let key =
            VerifyingKey::<Sha256>::new(rsa::RsaPublicKey::from_public_key_pem(&public).unwrap());
        key.verify(b"FSE 000000001", &Signature::try_from(r.data()).unwrap())
            .unwrap();
        c.reset();
        let pso = Command::new(0, 0x2A, 0x9E, 0x9A).data(digest).le(0);
        assert_eq!(
            send(&mut c, pso).status(),
            StatusWord::ConditionsNotSatisfied,
            "reset clears the state"
        );
    }

    #[test]
    fn files_and_card_type() {
        let mut c = card("cpe:petit-secretaire");
        send(
            &mut c,
            Command::new(0, 0xA4, 4, 0x0C).data(cps::AID_IAS.to_vec()),
        );
        assert_eq!(
            send(
                &mut c,
                Command::new(0, 0xA4, 8, 0x0C).data(cps::PATH_CARD.to_vec())
            )
            .status(),
            StatusWord::Success
        );
        let r = send(&mut c, Command::new(0, 0xB0, 0, 0).le(0));
        let e = tlv::parse_all(r.data()).unwrap();
        assert_eq!(tlv::find(&e, cps::TAG_CARD_TYPE).unwrap().value, b"CPE");
        let unused = [0x00, 0x01, 0xD1, 0x25];
        assert_eq!(
            send(&mut c, Command::new(0, 0xA4, 8, 0x0C).data(unused.to_vec())).status(),
            StatusWord::FileNotFound
        );
        // A certificate longer than 256 bytes is read in chunks.
        send(
            &mut c,
            Command::new(0, 0xA4, 8, 0x0C).data(cps::PATH_CERT_SIG.to_vec()),
        );
        let first = send(&mut c, Command::new(0, 0xB0, 0, 0).le(0));
        assert_eq!(first.data().len(), 256);
        let next = send(&mut c, Command::new(0, 0xB0, 1, 0).le(0));
        assert_eq!(next.status(), StatusWord::Success);
    }

    #[test]
    fn garbage_gets_a_status_word() {
        let mut c = card("cps:lefevre-medecin");
        for bytes in [
            &[][..],
            &[0x00, 0x20],
            &[0x00, 0x20, 0x00, 0x81, 0x03, 1, 2, 3],
            &[0, 0x2A, 0x9E, 0x9A, 1, 0],
        ] {
            assert_eq!(c.process(bytes).len(), 2, "{bytes:02X?}");
        }
    }
}
