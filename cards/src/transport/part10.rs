//! PC/SC part 10 secure PIN entry: the reader's features (`CM_IOCTL_GET_FEATURE_REQUEST`)
//! and the `PIN_VERIFY_STRUCTURE` of `FEATURE_VERIFY_PIN_DIRECT`, with which the reader
//! reads the PIN on its own pad and sends the VERIFY itself: the PIN never reaches the
//! computer. Pure functions over bytes; the PC/SC backend sends them with `SCardControl`.

/// `CM_IOCTL_GET_FEATURE_REQUEST` is `SCARD_CTL_CODE(3400)` (`pcsc::ctl_code`).
pub const GET_FEATURE_REQUEST: u32 = 3400;
/// Feature tag of `FEATURE_VERIFY_PIN_DIRECT`.
pub const FEATURE_VERIFY_PIN_DIRECT: u8 = 0x06;
/// Seconds the reader waits for the PIN.
const TIMEOUT_SECONDS: u8 = 30;

/// The control code of `feature` in the answer to `GET_FEATURE_REQUEST` (TLV: tag, length
/// 4, big-endian code), if the reader has it.
pub fn feature_code(features: &[u8], feature: u8) -> Option<u32> {
    features.chunks(6).find_map(|tlv| match tlv {
        [tag, 4, a, b, c, d] if *tag == feature => Some(u32::from_be_bytes([*a, *b, *c, *d])),
        _ => None,
    })
}

/// The `PIN_VERIFY_STRUCTURE` for a VERIFY `template` (header, Lc, then the PIN block of
/// ASCII digits padded with `FF`, the digits from its first byte) and a PIN of exactly
/// `pin_len` digits, validated with the reader's OK key.
pub fn pin_verify_structure(template: &[u8], pin_len: u8) -> Vec<u8> {
    let block_len = template.len().saturating_sub(5).min(0x0F) as u8;
    let mut s = vec![
        TIMEOUT_SECONDS,
        TIMEOUT_SECONDS,
        0x82,      // bmFormatString: units in bytes, PIN at offset 0, left justified, ASCII
        block_len, // bmPINBlockString: no length field, block of `block_len` bytes
        0x00,      // bmPINLengthFormat: no length field
        pin_len,   // wPINMaxExtraDigit (little endian): maximum...
        pin_len,   // ...then minimum digits
        0x02,      // bEntryValidationCondition: OK key pressed
        0x01,      // bNumberMessage
        0x0C,      // wLangId 0x040C (French), little endian
        0x04,
        0x00, // bMsgIndex
        0x00, // bTeoPrologue (T=1 only)
        0x00,
        0x00,
    ];
    s.extend_from_slice(&(template.len() as u32).to_le_bytes());
    s.extend_from_slice(template);
    s
}

/// True when the reader's answer means the entry was cancelled (`64 01`) or timed out
/// (`64 00`): nothing reached the card.
pub fn entry_cancelled(response: &[u8]) -> bool {
    matches!(response, [0x64, 0x00] | [0x64, 0x01])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_verify_pin_direct_code() {
        let features = [
            0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x12, 4, 0x42, 0x33, 0x00, 0x12,
        ];
        assert_eq!(
            feature_code(&features, FEATURE_VERIFY_PIN_DIRECT),
            Some(0x4233_0006)
        );
        assert_eq!(
            feature_code(&features[6..], FEATURE_VERIFY_PIN_DIRECT),
            None
        );
        assert_eq!(feature_code(&[0x06, 4, 1], FEATURE_VERIFY_PIN_DIRECT), None);
    }

    #[test]
    fn the_structure_carries_the_template() {
        let template = [
            0x00, 0x20, 0x00, 0x81, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        let s = pin_verify_structure(&template, 4);
        assert_eq!(s.len(), 19 + template.len());
        assert_eq!(&s[2..8], &[0x82, 0x08, 0x00, 4, 4, 0x02]);
        assert_eq!(&s[15..19], &(template.len() as u32).to_le_bytes());
        assert_eq!(&s[19..], &template);
        assert!(entry_cancelled(&[0x64, 0x01]) && !entry_cancelled(&[0x90, 0x00]));
    }
}
