//! Where the token is read: `Authorization: Bearer`, on every route, the event stream
//! included. Never from the query string: a URL ends up in browser histories, developer
//! tools and proxies' logs (an `?access_token=` is refused with a message saying so).

use axum::http::{header, HeaderMap};

/// The bearer token of a request, if it carries exactly one `Authorization: Bearer`.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let mut all = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (all.next(), all.next()) else {
        return None;
    };
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// Whether the query string carries an `access_token` (which is never accepted).
pub fn in_query(query: Option<&str>) -> bool {
    query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair == "access_token" || pair.starts_with("access_token="))
}

/// The query string for the audit trail: parameter names only, values elided (a value may
/// be a NIR, `?patient=…`), and never `access_token`.
pub fn redact_query(query: Option<&str>) -> String {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("access_token="))
        .map(|p| format!("{}=…", p.split('=').next().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_token_sources() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        assert!(in_query(Some("a=1&access_token=q")));
        assert!(!in_query(Some("my_access_token=q")));
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), Some("abc".into()));
        h.insert(header::AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h), None);
        h.append(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h), None, "two Authorization headers");
        assert_eq!(
            redact_query(Some("access_token=s&last_event_id=3")),
            "last_event_id=…"
        );
        assert_eq!(
            redact_query(Some("patient=178067511223315&access_token=s&flag")),
            "patient=…&flag=…"
        );
    }
}
