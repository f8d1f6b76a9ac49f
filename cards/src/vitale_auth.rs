//! Opening the Carte Vitale's protected zone (rights) with a CPx card: modelled on
//! standard ISO 7816 commands, see [`super::layout::vitale::CHALLENGE_LEN`]. Three steps,
//! each a job on its own reader: [`vitale_challenge`] on the Vitale card,
//! [`cpx_authenticate`] on the CPx card (its PIN verified), then [`open_protected_zone`] on
//! the Vitale card.

use sha2::{Digest, Sha256};

use super::cps::select_ias;
use super::error::CardError;
use super::io;
use super::layout::{ins, vitale, CLA};
use super::{commands, layout::cps};
use crate::apdu::{Command, StatusWord};
use crate::transport::CardTransaction;

/// DER prefix of a SHA-256 DigestInfo (PKCS#1 v1.5, RFC 8017 §9.2).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// `GET CHALLENGE` on the Vitale card: the random bytes the CPx card must sign.
pub fn vitale_challenge(tx: &mut dyn CardTransaction) -> Result<Vec<u8>, CardError> {
    let command = Command::new(CLA, ins::GET_CHALLENGE, 0, 0).le(vitale::CHALLENGE_LEN);
    let challenge = io::expect_ok(tx, &command, "GET CHALLENGE")?;
    match challenge.len() == vitale::CHALLENGE_LEN as usize {
        true => Ok(challenge),
        false => Err(CardError::Malformed { what: "défi" }),
    }
}

/// The CPx card's signature of the challenge with its authentication key (`MSE SET`, then
/// `INTERNAL AUTHENTICATE` of the SHA-256 DigestInfo). Needs the CPx PIN verified, else
/// [`CardError::PinRequired`].
pub fn cpx_authenticate(
    tx: &mut dyn CardTransaction,
    challenge: &[u8],
) -> Result<Vec<u8>, CardError> {
    select_ias(tx)?;
    io::expect_ok(
        tx,
        &commands::mse_set_authentication(),
        "MSE SET (authentification)",
    )?;
    let mut digest_info = SHA256_DIGEST_INFO.to_vec();
    digest_info.extend_from_slice(&Sha256::digest(challenge));
    let response = io::send(tx, &commands::internal_authenticate(&digest_info))?;
    match response.status() {
        StatusWord::Success if !response.data().is_empty() => Ok(response.data().to_vec()),
        StatusWord::Success => Err(CardError::Malformed {
            what: "authentification",
        }),
        StatusWord::SecurityNotSatisfied => Err(CardError::PinRequired),
        sw => Err(CardError::Status {
            command: "INTERNAL AUTHENTICATE",
            sw,
        }),
    }
}

/// Gives the Vitale card the CPx authentication certificate and the signature of its
/// challenge: the protected zone is then readable until the card is reset.
pub fn open_protected_zone(
    tx: &mut dyn CardTransaction,
    certificate_der: &[u8],
    signature: &[u8],
) -> Result<(), CardError> {
    let [p1, p2] = vitale::PSO_VERIFY_CERTIFICATE;
    send_chain(
        tx,
        Command::chain(CLA, ins::PSO, p1, p2, certificate_der),
        "PSO VERIFY CERTIFICATE",
    )?;
    send_chain(
        tx,
        Command::chain(CLA, ins::EXTERNAL_AUTHENTICATE, 0, 0, signature),
        "EXTERNAL AUTHENTICATE",
    )
}

fn send_chain(
    tx: &mut dyn CardTransaction,
    chain: Vec<Command>,
    name: &'static str,
) -> Result<(), CardError> {
    for command in &chain {
        io::expect_ok(tx, command, name)?;
    }
    Ok(())
}

/// Largest challenge INTERNAL AUTHENTICATE signs here (a DigestInfo fits easily).
const _: () = assert!(SHA256_DIGEST_INFO.len() + cps::DIGEST_LEN < 245);

#[cfg(test)]
mod tests;
