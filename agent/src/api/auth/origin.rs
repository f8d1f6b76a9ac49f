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

pub use passerelle_protocol::security::is_pairable_origin as is_pairable;

#[cfg(test)]
mod tests {
    use super::*;

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
