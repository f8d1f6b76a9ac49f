//! The `Origin` header: read it strictly, and tell which origins may ask to pair.

use axum::http::{header, HeaderMap};

/// An `Origin` header that is repeated or not text.
#[derive(Debug, PartialEq, Eq)]
pub struct BadOrigin;

/// The request's `Origin`, if any. [`BadOrigin`] when it is repeated or not text: refused.
pub fn from_headers(headers: &HeaderMap) -> Result<Option<String>, BadOrigin> {
    let mut all = headers.get_all(header::ORIGIN).iter();
    match (all.next(), all.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => v
            .to_str()
            .map(|s| Some(s.to_owned()))
            .map_err(|_| BadOrigin),
        (Some(_), Some(_)) => Err(BadOrigin),
    }
}

/// Whether `origin` may pair: `https://host[:port]`, or `http://` on a loopback name (a
/// local development server). Never `null`, never a path or a trailing slash.
pub fn is_pairable(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    let host = match rest.rsplit_once(':') {
        Some((h, p)) if !p.ends_with(']') => {
            if p.is_empty() || p.parse::<u16>().is_err() {
                return false;
            }
            h
        }
        _ => rest,
    };
    let host_chars_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    host_chars_ok && (scheme == "https" || (scheme == "http" && loopback))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_pairable_origins() {
        for ok in [
            "https://app.example",
            "https://app.example:8443",
            "http://localhost:3000",
            "http://[::1]:8080",
        ] {
            assert!(is_pairable(ok), "{ok}");
        }
        for bad in [
            "null",
            "http://app.example",
            "https://app.example/",
            "https://app.example/path",
            "https://",
            "https://a b",
            "file://x",
            "https://app.example:",
        ] {
            assert!(!is_pairable(bad), "{bad}");
        }
    }

    #[test]
    fn auth_repeated_origin_is_refused() {
        let mut h = HeaderMap::new();
        assert_eq!(from_headers(&h), Ok(None));
        h.append(header::ORIGIN, "https://a.example".parse().unwrap());
        assert_eq!(from_headers(&h), Ok(Some("https://a.example".into())));
        h.append(header::ORIGIN, "https://b.example".parse().unwrap());
        assert!(from_headers(&h).is_err());
    }
}
