//! WinAnsiEncoding (PDF 32000-1, annex D.2), the encoding of the standard Helvetica
//! fonts used by the duplicate, and the few glyph widths the layout needs.

/// The WinAnsi byte of `c`, or `None` if the encoding has no such character.
/// ASCII and Latin-1 (U+00A0..=U+00FF) map to themselves; 0x80..=0x9F hold the
/// typographic characters below (French needs `œ`, `Œ`, `’`, `€`, `…`, `Ÿ`).
pub(crate) fn byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..=0x7E).contains(&code) || (0xA0..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// `text` in WinAnsi; characters without a byte (already refused by validation) become
/// `?`.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(|c| byte(c).unwrap_or(b'?')).collect()
}

/// Width of `text` in Helvetica, in thousandths of the font size. Exact for the
/// characters of amounts and numbers (Helvetica AFM: digits, `€` 556; space, comma,
/// period, slash 278); any other character counted at 722, the width of most capitals
/// and wider than every lower-case letter but `m` and `w`, so that text wrapped with it
/// stays inside its column.
pub(crate) fn width(text: &str) -> u32 {
    text.chars()
        .map(|c| match c {
            '0'..='9' | '€' => 556,
            ' ' | ',' | '.' | '/' => 278,
            _ => 722,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_letters_have_a_byte() {
        for c in "éèêëàâäçîïôöùûüÿœŒÉÈÀÇ€’«»°…".chars() {
            assert!(byte(c).is_some(), "{c}");
        }
        assert_eq!(encode("é€"), vec![0xE9, 0x80]);
        assert_eq!(byte('ễ'), None);
        assert_eq!(byte('\n'), None);
    }
}
