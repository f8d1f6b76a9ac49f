//! Transparent gzip: a file starting with the gzip magic bytes is decompressed, with a
//! cap on the decompressed size (a small hostile file must not fill the memory).

use std::borrow::Cow;
use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::NoemieError;

/// Largest decompressed file accepted: 64 MiB (a 10 000-invoice file is about 1 MiB).
pub const MAX_DECOMPRESSED: usize = 64 * 1024 * 1024;

/// gzip magic bytes (RFC 1952).
const MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The plain bytes of `input`: itself, or its gzip content.
pub(crate) fn plain(input: &[u8]) -> Result<Cow<'_, [u8]>, NoemieError> {
    if !input.starts_with(&MAGIC) {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::new();
    let limit = MAX_DECOMPRESSED as u64 + 1;
    MultiGzDecoder::new(input)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| NoemieError::Decompression(e.to_string()))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(NoemieError::TooLarge {
            limit: MAX_DECOMPRESSED,
        });
    }
    Ok(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plain_input_is_borrowed_and_gzip_is_opened() {
        assert!(matches!(plain(b"000abc").unwrap(), Cow::Borrowed(_)));
        assert_eq!(&*plain(&gz(b"000abc")).unwrap(), b"000abc");
    }

    #[test]
    fn damaged_gzip_and_bombs_are_refused() {
        let mut g = gz(b"000 some content to compress 000000000000000000000");
        g.truncate(g.len() - 6);
        assert!(matches!(plain(&g), Err(NoemieError::Decompression(_))));
        assert!(matches!(
            plain(&[0x1f, 0x8b]),
            Err(NoemieError::Decompression(_))
        ));
        let bomb = gz(&vec![b'0'; MAX_DECOMPRESSED + 1]);
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        assert_eq!(
            plain(&bomb).unwrap_err(),
            NoemieError::TooLarge {
                limit: MAX_DECOMPRESSED
            }
        );
    }
}
