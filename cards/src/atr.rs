//! Card family from the Answer To Reset, after the public ATR lists.

/// What the ATR alone tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardFamily {
    /// Carte Vitale (1 or 2).
    Vitale,
    /// A CPx card (CPS, CPE, CPF: same chip; the card-type file tells them apart).
    Cpx,
    /// Anything else.
    Unknown,
}

/// CPS3 (IAS-ECC) contact ATR.
pub const CPS3_ATR: [u8; 17] = [
    0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90,
    0x00,
];
/// CPS4 contact ATR.
pub const CPS4_ATR: [u8; 17] = [
    0x3B, 0x9B, 0x18, 0x80, 0x01, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x04, 0x01, 0x00, 0x00, 0x90,
    0x44,
];
/// The Vitale 2 ATR the simulator presents (`x` = 7 in `3B 75 13 00 00 4x 09 EA 90 00`).
pub const VITALE2_ATR: [u8; 10] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x47, 0x09, 0xEA, 0x90, 0x00];

/// The family of the card with this ATR.
pub fn family(atr: &[u8]) -> CardFamily {
    if is_vitale2(atr) || atr.starts_with(&[0x3F, 0x65, 0x25, 0x00]) {
        CardFamily::Vitale
    } else if atr == CPS3_ATR || atr == CPS4_ATR {
        CardFamily::Cpx
    } else {
        CardFamily::Unknown
    }
}

/// `3B 75 13 00 00 4x 09 EA 90 00` with x in 3..=C.
fn is_vitale2(atr: &[u8]) -> bool {
    atr.len() == 10
        && atr[..5] == VITALE2_ATR[..5]
        && atr[5] >> 4 == 4
        && (0x3..=0xC).contains(&(atr[5] & 0x0F))
        && atr[6..] == VITALE2_ATR[6..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        assert_eq!(family(&VITALE2_ATR), CardFamily::Vitale);
        let mut v = VITALE2_ATR;
        v[5] = 0x4C;
        assert_eq!(family(&v), CardFamily::Vitale);
        v[5] = 0x4D;
        assert_eq!(family(&v), CardFamily::Unknown);
        v[5] = 0x42;
        assert_eq!(family(&v), CardFamily::Unknown);
        assert_eq!(family(&[0x3F, 0x65, 0x25, 0x00, 0x2C]), CardFamily::Vitale);
        assert_eq!(family(&CPS3_ATR), CardFamily::Cpx);
        assert_eq!(family(&CPS4_ATR), CardFamily::Cpx);
        assert_eq!(family(&[0x3B, 0x00]), CardFamily::Unknown);
        assert_eq!(family(&[]), CardFamily::Unknown);
    }
}
