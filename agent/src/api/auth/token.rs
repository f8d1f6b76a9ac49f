//! Where the token is read: `Authorization: Bearer`, and for the event stream only,
//! `?access_token=` (EventSource cannot set headers).

use axum::http::{header, HeaderMap};

/// The bearer token of a request, if it carries exactly one. `query_allowed`: also look
/// at `access_token` in the query string (the event stream only).
pub fn bearer(headers: &HeaderMap, query: Option<&str>, query_allowed: bool) -> Option<String> {
    let mut all = headers.get_all(header::AUTHORIZATION).iter();
    let from_header = match (all.next(), all.next()) {
        (Some(v), None) => {
            let v = v.to_str().ok()?;
            let (scheme, token) = v.split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            Some(token.trim().to_owned())
        }
        (None, _) => None,
        (Some(_), Some(_)) => return None,
    };
    let from_query = if query_allowed {
        query
            .unwrap_or("")
            .split('&')
            .filter_map(|pair| pair.strip_prefix("access_token="))
            .next()
            .map(str::to_owned)
    } else {
        None
    };
    from_header.or(from_query).filter(|t| !t.is_empty())
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
        assert_eq!(bearer(&h, Some("access_token=q"), false), None);
        assert_eq!(
            bearer(&h, Some("a=1&access_token=q"), true),
            Some("q".into())
        );
        h.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&h, None, false), Some("abc".into()));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&h, None, false), None);
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
