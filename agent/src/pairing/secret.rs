//! Random secrets and their hashes: tokens, pairing ids, grant ids, codes.

use sha2::{Digest, Sha256};

/// Prefix of every token, so a leaked one is recognisable in a secret scanner.
pub const TOKEN_PREFIX: &str = "pst_";

/// `n` random bytes from the operating system.
fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing is not something to limp on with weaker randomness.
    getrandom::getrandom(&mut buf).expect("operating system random source");
    buf
}

/// A new bearer token: `pst_` + 256 random bits in hex. Shown once, stored hashed.
pub fn new_token() -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(random::<32>()))
}

/// A new pairing id: 128 random bits in hex (a secret of the requesting app).
pub fn new_pairing_id() -> String {
    hex::encode(random::<16>())
}

/// A new grant id: 64 random bits in hex (public: shown in lists, used to revoke).
pub fn new_grant_id() -> String {
    hex::encode(random::<8>())
}

/// A new six-digit comparison code, `123-456`.
pub fn new_code() -> String {
    let n = u32::from_le_bytes(random::<4>()) % 1_000_000;
    format!("{:03}-{:03}", n / 1000, n % 1000)
}

/// SHA-256 of a token, hex: what the grants file stores.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let t = new_token();
        assert_eq!(t.len(), 4 + 64);
        assert_ne!(t, new_token());
        assert_eq!(new_pairing_id().len(), 32);
        let c = new_code();
        assert_eq!(c.len(), 7);
        assert_eq!(&c[3..4], "-");
        assert_eq!(token_hash("a").len(), 64);
    }
}
