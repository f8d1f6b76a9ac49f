//! The simulated Carte Vitale's lock on its protected zone (modelled, see
//! [`passerelle_cards::layout::vitale::CHALLENGE_LEN`]): a challenge, the CPx authentication
//! certificate checked against the trusted CA, the CPx signature of the challenge.

use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest, Sha256};
use x509_cert::der::{Decode, DecodePem, Encode};
use x509_cert::Certificate;

use passerelle_cards::apdu::{Command, Response, StatusWord};
use passerelle_cards::layout::{ins, vitale, CLA};

/// Largest chained data accepted (a certificate of a few KiB).
const MAX_CHAIN: usize = 8 * 1024;

/// State of the protected zone's lock. Everything but the trusted CA is lost on reset.
pub(super) struct ProtectedZoneLock {
    trusted_ca: Option<RsaPublicKey>,
    challenge: Option<[u8; vitale::CHALLENGE_LEN as usize]>,
    presented: Option<RsaPublicKey>,
    chain: Vec<u8>,
    chain_ins: Option<u8>,
    unlocked: bool,
    counter: u64,
}

impl ProtectedZoneLock {
    /// A locked zone that trusts certificates issued by the CA in `ca_pem` (a CA that does
    /// not parse trusts nothing: the zone never opens over APDUs).
    pub(super) fn new(ca_pem: &str) -> Self {
        ProtectedZoneLock {
            trusted_ca: Certificate::from_pem(ca_pem).ok().and_then(|c| key_of(&c)),
            challenge: None,
            presented: None,
            chain: Vec::new(),
            chain_ins: None,
            unlocked: false,
            counter: 0,
        }
    }

    /// True once a CPx card authenticated (until reset).
    pub(super) fn is_open(&self) -> bool {
        self.unlocked
    }

    /// Opens the zone without authentication (tests of the reader only).
    pub(super) fn force_open(&mut self) {
        self.unlocked = true;
    }

    /// Power cycle: locked again.
    pub(super) fn reset(&mut self) {
        let (ca, counter) = (self.trusted_ca.take(), self.counter);
        *self = ProtectedZoneLock {
            trusted_ca: ca,
            counter,
            ..ProtectedZoneLock::new("")
        };
    }

    /// Answers the lock's commands (GET CHALLENGE, PSO VERIFY CERTIFICATE, EXTERNAL
    /// AUTHENTICATE, chained or not); `None` for any other command.
    pub(super) fn process(&mut self, command: &Command) -> Option<Response> {
        let status = |sw| Some(Response::status_only(sw));
        let plain_cla = command.cla & !0x10;
        let ours = matches!(
            (command.ins, [command.p1, command.p2]),
            (ins::GET_CHALLENGE, [0, 0])
                | (ins::PSO, vitale::PSO_VERIFY_CERTIFICATE)
                | (ins::EXTERNAL_AUTHENTICATE, [0, 0])
        );
        if !ours || plain_cla != CLA {
            self.chain.clear();
            self.chain_ins = None;
            return None;
        }
        if self.chain_ins.is_some_and(|i| i != command.ins) {
            self.chain.clear();
        }
        if self.chain.len() + command.data.len() > MAX_CHAIN {
            self.chain.clear();
            return status(StatusWord::WrongLength);
        }
        self.chain.extend_from_slice(&command.data);
        if command.is_chained() {
            self.chain_ins = Some(command.ins);
            return status(StatusWord::Success);
        }
        self.chain_ins = None;
        let data = std::mem::take(&mut self.chain);
        Some(match command.ins {
            ins::GET_CHALLENGE => self.get_challenge(),
            ins::PSO => Response::status_only(self.verify_certificate(&data)),
            _ => Response::status_only(self.external_authenticate(&data)),
        })
    }

    fn get_challenge(&mut self) -> Response {
        self.counter += 1;
        let seed = format!("{:?}{}", std::time::SystemTime::now(), self.counter);
        let digest = Sha256::digest(seed.as_bytes());
        let mut challenge = [0u8; vitale::CHALLENGE_LEN as usize];
        let len = challenge.len();
        challenge.copy_from_slice(&digest[..len]);
        self.challenge = Some(challenge);
        Response::new(challenge.to_vec(), StatusWord::Success)
    }

    /// Keeps the public key of a certificate the trusted CA signed.
    fn verify_certificate(&mut self, der: &[u8]) -> StatusWord {
        self.presented = None;
        let (Some(ca), Ok(certificate)) = (&self.trusted_ca, Certificate::from_der(der)) else {
            return StatusWord::IncorrectData;
        };
        let Ok(tbs) = certificate.tbs_certificate.to_der() else {
            return StatusWord::IncorrectData;
        };
        let signature = certificate.signature.raw_bytes();
        let signed_by_ca = ca
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(&tbs),
                signature,
            )
            .is_ok();
        match (signed_by_ca, key_of(&certificate)) {
            (true, Some(key)) => {
                self.presented = Some(key);
                StatusWord::Success
            }
            _ => StatusWord::SecurityNotSatisfied,
        }
    }

    /// Opens the zone if `signature` is the presented key's signature of the challenge.
    /// The challenge is used once, whatever the outcome.
    fn external_authenticate(&mut self, signature: &[u8]) -> StatusWord {
        let (Some(challenge), Some(key)) = (self.challenge.take(), &self.presented) else {
            return StatusWord::ConditionsNotSatisfied;
        };
        let digest = Sha256::digest(challenge);
        match key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature) {
            Ok(()) => {
                self.unlocked = true;
                StatusWord::Success
            }
            Err(_) => StatusWord::SecurityNotSatisfied,
        }
    }
}

fn key_of(certificate: &Certificate) -> Option<RsaPublicKey> {
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok()?;
    RsaPublicKey::from_public_key_der(&spki).ok()
}
