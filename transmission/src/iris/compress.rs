//! Compression of the B2 file ("Z" in `IRIS/B2/Z`).
//!
//! Modelled: the norm's compression is not public. The `Z` suggests Unix `compress` (LZW,
//! `.Z` files), but no maintained Rust crate writes that format; gzip (RFC 1952, `flate2`)
//! stands in for it, and only these two functions know it.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use super::IrisError;

/// Largest B2 file [`decompress_b2`] will produce (a guard against compression bombs).
pub const MAX_B2_LEN: usize = 64 * 1024 * 1024;

/// Compresses a B2 file for the `IRIS/B2/Z` part.
pub fn compress_b2(b2: &[u8]) -> Result<Vec<u8>, IrisError> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(b2.len() / 4 + 64), Compression::best());
    encoder
        .write_all(b2)
        .and_then(|()| encoder.finish())
        .map_err(|e| IrisError::Compression(e.to_string()))
}

/// Decompresses what [`compress_b2`] made; refuses more than [`MAX_B2_LEN`] bytes of output.
pub fn decompress_b2(compressed: &[u8]) -> Result<Vec<u8>, IrisError> {
    let mut out = Vec::new();
    GzDecoder::new(compressed)
        .take(MAX_B2_LEN as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IrisError::Decompression(e.to_string()))?;
    if out.len() > MAX_B2_LEN {
        return Err(IrisError::Decompression(format!(
            "plus de {MAX_B2_LEN} octets une fois décompressé"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_garbage() {
        let b2 = "000".repeat(1000).into_bytes();
        let z = compress_b2(&b2).expect("compress");
        assert!(z.len() < b2.len());
        assert_eq!(decompress_b2(&z).expect("decompress"), b2);
        assert!(matches!(
            decompress_b2(b"not gzip"),
            Err(IrisError::Decompression(_))
        ));
    }
}
