//! BER-TLV as the cards use it: one- and two-byte tags, short and long (81, 82) lengths.
//! Parsing never panics on truncated or hostile input.

/// One TLV element. Constructed elements keep their children encoded in `value`; see
/// [`Tlv::children`] and [`find_nested`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tlv {
    /// Tag (one or two bytes, as a number: `0x65`, `0x5F20`).
    pub tag: u16,
    /// Value bytes.
    pub value: Vec<u8>,
}

/// Malformed TLV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLV mal formé à l'octet {offset}")]
pub struct TlvError {
    /// Where parsing stopped.
    pub offset: usize,
}

impl Tlv {
    /// An element.
    pub fn new(tag: u16, value: impl Into<Vec<u8>>) -> Self {
        Tlv {
            tag,
            value: value.into(),
        }
    }

    /// A constructed element holding `children`.
    pub fn constructed(tag: u16, children: &[Tlv]) -> Self {
        Tlv {
            tag,
            value: encode_all(children),
        }
    }

    /// The encoded bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.value.len() + 4);
        if self.tag > 0xFF {
            out.extend_from_slice(&self.tag.to_be_bytes());
        } else {
            out.push(self.tag as u8);
        }
        let len = self.value.len();
        match len {
            0..=0x7F => out.push(len as u8),
            0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
            _ => {
                let len = len.min(0xFFFF) as u16;
                out.push(0x82);
                out.extend_from_slice(&len.to_be_bytes());
            }
        }
        out.extend_from_slice(&self.value[..self.value.len().min(0xFFFF)]);
        out
    }

    /// The value as UTF-8 text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.value).into_owned()
    }

    /// The value parsed as a sequence of elements (for a constructed element).
    pub fn children(&self) -> Result<Vec<Tlv>, TlvError> {
        parse_all(&self.value)
    }
}

/// Encodes a sequence of elements.
pub fn encode_all(elements: &[Tlv]) -> Vec<u8> {
    elements.iter().flat_map(Tlv::encode).collect()
}

/// Parses a sequence of elements (trailing `00`/`FF` padding is ignored).
pub fn parse_all(bytes: &[u8]) -> Result<Vec<Tlv>, TlvError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x00 || bytes[i] == 0xFF {
            if bytes[i..].iter().all(|&b| b == 0x00 || b == 0xFF) {
                break;
            }
            return Err(TlvError { offset: i });
        }
        let err = TlvError { offset: i };
        let first = bytes[i];
        let tag = if first & 0x1F == 0x1F {
            let second = *bytes.get(i + 1).ok_or(err.clone())?;
            if second & 0x80 != 0 {
                // A tag of three bytes or more: not used by these cards.
                return Err(err);
            }
            i += 2;
            u16::from_be_bytes([first, second])
        } else {
            i += 1;
            first as u16
        };
        let len_byte = *bytes.get(i).ok_or(err.clone())?;
        i += 1;
        let len = match len_byte {
            0..=0x7F => len_byte as usize,
            0x81 => {
                i += 1;
                *bytes.get(i - 1).ok_or(err.clone())? as usize
            }
            0x82 => {
                i += 2;
                let b = bytes.get(i - 2..i).ok_or(err.clone())?;
                u16::from_be_bytes([b[0], b[1]]) as usize
            }
            _ => return Err(err),
        };
        let value = bytes
            .get(i..i.checked_add(len).ok_or(err.clone())?)
            .ok_or(err)?;
        out.push(Tlv::new(tag, value.to_vec()));
        i += len;
    }
    Ok(out)
}

/// The first element with `tag` in `elements`.
pub fn find(elements: &[Tlv], tag: u16) -> Option<&Tlv> {
    elements.iter().find(|e| e.tag == tag)
}

/// Follows `path` through nested elements of `bytes`: `find_nested(b, &[0x65, 0x93])` is the
/// first `93` inside the first `65`. `None` if a step is missing or malformed.
pub fn find_nested(bytes: &[u8], path: &[u16]) -> Option<Tlv> {
    let (last, parents) = path.split_last()?;
    let mut level = parse_all(bytes).ok()?;
    for tag in parents {
        level = find(&level, *tag)?.children().ok()?;
    }
    find(&level, *last).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_nested_and_long() {
        let inner = vec![
            Tlv::new(0x80, b"MARTIN".to_vec()),
            Tlv::new(0x5F20, vec![7; 200]),
        ];
        let outer = Tlv::constructed(0x65, &inner);
        let bytes = encode_all(&[outer.clone(), Tlv::new(0x93, vec![1; 300])]);
        let parsed = parse_all(&bytes).unwrap();
        assert_eq!(parsed[0], outer);
        assert_eq!(parse_all(&parsed[0].value).unwrap(), inner);
        assert_eq!(parsed[1].value.len(), 300);
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let bytes = Tlv::new(0x80, vec![1; 10]).encode();
        for cut in 1..bytes.len() {
            assert!(parse_all(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse_all(&[0x5F]).is_err());
        assert!(parse_all(&[0x80, 0x83, 1, 2, 3]).is_err());
    }

    #[test]
    fn nested_lookup() {
        let card = Tlv::constructed(0x90, &[Tlv::new(0x91, b"SERIAL".to_vec())]);
        let holder = Tlv::constructed(0x65, &[Tlv::new(0x93, b"NIR".to_vec()), card]);
        let bytes = holder.encode();
        assert_eq!(
            find_nested(&bytes, &[0x65, 0x90, 0x91]).unwrap().text(),
            "SERIAL"
        );
        assert_eq!(find_nested(&bytes, &[0x65, 0x93]).unwrap().value, b"NIR");
        assert!(find_nested(&bytes, &[0x65, 0x94]).is_none());
        assert!(find_nested(&bytes, &[]).is_none());
        // A primitive value that is not TLV is not a panic either.
        assert!(find_nested(&bytes, &[0x65, 0x93, 0x01]).is_none());
    }

    #[test]
    fn two_byte_tags_and_length_forms() {
        assert_eq!(Tlv::new(0x5F20, vec![1]).encode(), vec![0x5F, 0x20, 1, 1]);
        assert_eq!(
            &Tlv::new(0x80, vec![0; 0x80]).encode()[..3],
            &[0x80, 0x81, 0x80]
        );
        assert_eq!(
            &Tlv::new(0x80, vec![0; 0x100]).encode()[..4],
            &[0x80, 0x82, 0x01, 0x00]
        );
        // Three-byte tags and indefinite or 3-byte lengths are refused.
        assert!(parse_all(&[0x5F, 0x81, 0x01, 0x00]).is_err());
        assert!(parse_all(&[0x80, 0x80, 0x00, 0x00]).is_err());
        assert!(parse_all(&[0x80, 0x83, 0, 0, 1, 0]).is_err());
    }

    #[test]
    fn padding_is_ignored() {
        let mut bytes = Tlv::new(0x80, vec![1]).encode();
        bytes.extend_from_slice(&[0xFF, 0xFF, 0]);
        assert_eq!(parse_all(&bytes).unwrap().len(), 1);
    }
}
