//! The NIR (social security number) key: pure arithmetic, public rule (DOMAIN.md). Here, beside
//! the wire types, so the card layer, the billing layer and front ends check NIRs alike.

/// The 2-digit key of a 13-character NIR: 97 − (NIR mod 97). Corsica: the letter of
/// `2A`/`2B` is replaced by 0 and 1,000,000 (2A) or 2,000,000 (2B) subtracted before the
/// modulo (so 2A counts as 19 and 2B as 18). `None` if the NIR is malformed.
pub fn nir_key(nir13: &str) -> Option<u8> {
    if nir13.len() != 13 || !nir13.is_ascii() {
        return None;
    }
    let (head, dept, tail) = (&nir13[..5], &nir13[5..7], &nir13[7..]);
    let (dept, minus) = match dept {
        "2A" | "2a" => ("20", 1_000_000),
        "2B" | "2b" => ("20", 2_000_000),
        d => (d, 0),
    };
    let digits = format!("{head}{dept}{tail}");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse::<u64>().ok()?.checked_sub(minus)?;
    Some((97 - value % 97) as u8)
}

/// True when `nir` is 15 characters, the last two digits being the key of the first 13.
pub fn nir_valid(nir: &str) -> bool {
    if nir.len() != 15 || !nir.is_ascii() {
        return false;
    }
    let (body, key) = nir.split_at(13);
    let key_digits = key.bytes().all(|b| b.is_ascii_digit());
    key_digits && nir_key(body).map(|k| format!("{k:02}")).as_deref() == Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nir_keys() {
        // 1 78 06 75 112 233: 1780675112233 mod 97 = 82, key 15.
        assert_eq!(1_780_675_112_233u64 % 97, 82);
        assert_eq!(nir_key("1780675112233"), Some(15));
        // Corsica: 2A counts as 19, 2B as 18.
        assert_eq!(
            nir_key("165022A004019"),
            Some((97 - 1_650_219_004_019u64 % 97) as u8)
        );
        assert_eq!(nir_key("165022A004019"), Some(25));
        assert_eq!(
            nir_key("165022B004019"),
            Some((97 - 1_650_218_004_019u64 % 97) as u8)
        );
        assert_eq!(nir_key("16502"), None);
        assert_eq!(nir_key("165022C004019"), None);
        assert_eq!(nir_key("1650é2A00401"), None);
    }

    #[test]
    fn whole_nirs() {
        assert!(nir_valid("178067511223315"));
        assert!(nir_valid("165022A00401925"));
        assert!(!nir_valid("178067511223316"));
        assert!(!nir_valid("17806751122331"));
        assert!(!nir_valid("1780675112233+5"));
        assert!(!nir_valid("17806751122331é"));
    }
}
