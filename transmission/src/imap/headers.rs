//! Reading headers of a raw message.

/// The Message-ID header of a raw message (angle brackets kept), if any. Folded header
/// lines are unfolded; the name is matched without regard to case.
pub fn message_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("");
    let mut current: Option<String> = None;
    let mut found = None;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some(c) = current.as_mut() {
                c.push_str(line.trim_start());
            }
            continue;
        }
        if let Some(c) = current.take() {
            found = found.or(Some(c));
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("message-id") {
                current = Some(value.trim().to_owned());
            }
        }
    }
    found.or(current).filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_message_id() {
        let raw = b"From: a@b\r\nMessage-ID:\r\n <x.1@host>\r\nSubject: s\r\n\r\nMessage-ID: <body@no>\r\n";
        assert_eq!(message_id(raw).as_deref(), Some("<x.1@host>"));
        assert_eq!(
            message_id(b"message-id: <y@z>\n\nbody").as_deref(),
            Some("<y@z>")
        );
        assert_eq!(message_id(b"Subject: none\r\n\r\n"), None);
    }
}
