//! Builders of the command APDUs the card profiles send, over the constants of
//! [`super::layout`]. The simulator answers exactly these.

use zeroize::Zeroizing;

use super::layout::{cps, ins, select, CLA, MF};
use super::tlv::Tlv;
use crate::apdu::Command;

/// `00 A4 00 00 02 3F 00`: SELECT MF.
pub fn select_mf() -> Command {
    Command::new(CLA, ins::SELECT, select::BY_ID, select::FCI).data(MF.to_vec())
}

/// `00 A4 04 00 Lc AID`: SELECT an application by AID.
pub fn select_aid(aid: &[u8]) -> Command {
    Command::new(CLA, ins::SELECT, select::BY_AID, select::FCI).data(aid.to_vec())
}

/// `00 A4 08 0C Lc path`: SELECT by path from the MF (the path without `3F00`).
pub fn select_path(path: &[u8]) -> Command {
    Command::new(CLA, ins::SELECT, select::BY_PATH, select::NO_FCI).data(path.to_vec())
}

/// `00 B0 (80|sfi) offset 00`: READ BINARY of the EF with short id `sfi` (1..=30).
pub fn read_binary_sfi(sfi: u8, offset: u8) -> Command {
    Command::new(CLA, ins::READ_BINARY, 0x80 | (sfi & 0x1F), offset).le(0)
}

/// `00 B0 hi lo 00`: READ BINARY of the current EF from `offset` (< 0x8000), up to 256
/// bytes.
pub fn read_binary(offset: u16) -> Command {
    let [hi, lo] = (offset & 0x7FFF).to_be_bytes();
    Command::new(CLA, ins::READ_BINARY, hi, lo).le(0)
}

/// `00 20 00 ref`: asks the PIN status without presenting it (`63 Cx`, or `90 00` when
/// already verified).
pub fn verify_status() -> Command {
    Command::new(CLA, ins::VERIFY, 0x00, cps::PIN_REF)
}

/// `00 20 00 ref 08 <PIN block>`: presents the PIN (ASCII digits). The command holds the
/// PIN: never log its data ([`Command`]'s `Debug` does not show it).
pub fn verify(pin_digits: &[u8]) -> Command {
    Command::new(CLA, ins::VERIFY, 0x00, cps::PIN_REF).data(cps::pin_block(pin_digits).to_vec())
}

/// `00 2C 00 ref 10 <unblock code> <new PIN block>`: RESET RETRY COUNTER with the 8-digit
/// unblock code and a new PIN.
pub fn reset_retry_counter(unblock_code: &[u8], new_pin_digits: &[u8]) -> Command {
    let mut data = Zeroizing::new(unblock_code.to_vec());
    data.extend_from_slice(&cps::pin_block(new_pin_digits));
    Command::new(CLA, ins::RESET_RETRY_COUNTER, 0x00, cps::PIN_REF).data(data.to_vec())
}

/// `00 CB 00 81 00`: GET DATA of the PIN counters (tags `9A` max, `9B` left).
pub fn get_pin_counters() -> Command {
    let [p1, p2] = cps::GET_DATA_PIN;
    Command::new(CLA, ins::GET_DATA, p1, p2).le(0)
}

/// `00 22 41 B6 03 84 01 <sig key>`: MSE SET for a signature with `CPS_PRIV_SIG`.
pub fn mse_set_signature() -> Command {
    let [p1, p2] = cps::MSE_SIGNATURE;
    Command::new(CLA, ins::MSE, p1, p2)
        .data(Tlv::new(cps::TAG_KEY_REF, vec![cps::KEY_SIG]).encode())
}

/// `00 22 41 A4 03 84 01 <auth key>`: MSE SET for an authentication with `CPS_PRIV_AUT`.
pub fn mse_set_authentication() -> Command {
    let [p1, p2] = cps::MSE_AUTHENTICATION;
    Command::new(CLA, ins::MSE, p1, p2)
        .data(Tlv::new(cps::TAG_KEY_REF, vec![cps::KEY_AUTH]).encode())
}

/// `00 2A 9E 9A 20 <SHA-256 digest> 00`: PSO COMPUTE DIGITAL SIGNATURE; the card builds
/// the DigestInfo and answers the RSA PKCS#1 v1.5 signature.
pub fn pso_compute_signature(digest: &[u8]) -> Command {
    let [p1, p2] = cps::PSO_CDS;
    Command::new(CLA, ins::PSO, p1, p2)
        .data(digest.to_vec())
        .le(0)
}

/// `00 88 00 00 Lc <data> 00`: INTERNAL AUTHENTICATE; the card pads `data` (a DER
/// DigestInfo, at most 245 bytes) with PKCS#1 v1.5 type 1 and signs it with `CPS_PRIV_AUT`.
pub fn internal_authenticate(data: &[u8]) -> Command {
    Command::new(CLA, ins::INTERNAL_AUTHENTICATE, 0x00, 0x00)
        .data(data.to_vec())
        .le(0)
}

/// `00 C0 00 00 le`: GET RESPONSE, the `le` bytes a T=0 card announced with `61 le`
/// (`00`: 256).
pub fn get_response(le: u8) -> Command {
    Command::new(CLA, ins::GET_RESPONSE, 0x00, 0x00).le(le)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(c: &Command) -> String {
        crate::transport::hex_spaced(&c.to_bytes())
    }

    #[test]
    fn commands_match_the_public_byte_strings() {
        assert_eq!(hex(&select_mf()), "00 A4 00 00 02 3F 00");
        assert_eq!(
            hex(&select_aid(&super::super::layout::vitale::AID_VITALE)),
            "00 A4 04 00 0B D2 50 00 00 02 56 49 54 41 4C 45"
        );
        assert_eq!(hex(&read_binary_sfi(2, 0)), "00 B0 82 00 00");
        assert_eq!(hex(&read_binary(0x0123)), "00 B0 01 23 00");
        assert_eq!(hex(&select_path(&cps::PATH_CARD)), "00 A4 08 0C 02 D0 03");
        assert_eq!(hex(&verify_status()), "00 20 00 81");
        assert_eq!(
            hex(&verify(b"1234")),
            "00 20 00 81 08 31 32 33 34 FF FF FF FF"
        );
        assert_eq!(hex(&mse_set_signature()), "00 22 41 B6 03 84 01 82");
        assert_eq!(hex(&mse_set_authentication()), "00 22 41 A4 03 84 01 81");
        assert_eq!(hex(&get_pin_counters()), "00 CB 00 81 00");
        assert_eq!(hex(&get_response(0x80)), "00 C0 00 00 80");
        let pso = pso_compute_signature(&[0xAB; 32]).to_bytes();
        assert_eq!(
            (&pso[..5], pso.len()),
            (&[0x00, 0x2A, 0x9E, 0x9A, 0x20][..], 38)
        );
        let rrc = reset_retry_counter(b"12345678", b"4321").to_bytes();
        assert_eq!(&rrc[..5], &[0x00, 0x2C, 0x00, 0x81, 0x10]);
        assert_eq!(&rrc[5..], b"123456784321\xFF\xFF\xFF\xFF");
    }
}
