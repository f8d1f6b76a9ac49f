//! The `Host` check (DNS rebinding): only a loopback name or address with our port.

use axum::http::{header, HeaderMap, Uri};

/// Whether every authority the request names (`Host`, and the URI's authority under
/// HTTP/2) is exactly `localhost`, `127.0.0.1` or `[::1]` with `port`. A missing `Host`
/// is refused. The port may be left out only when it is 443.
pub fn allowed(uri: &Uri, headers: &HeaderMap, port: u16) -> bool {
    let mut seen = false;
    if let Some(authority) = uri.authority() {
        seen = true;
        if !authority_ok(authority.as_str(), port) {
            return false;
        }
    }
    let mut hosts = headers.get_all(header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (Some(_), Some(_)) => false,
        (Some(host), None) => host.to_str().is_ok_and(|h| authority_ok(h, port)),
        (None, _) => seen,
    }
}

fn authority_ok(authority: &str, port: u16) -> bool {
    let (name, given_port) = match authority.rsplit_once(':') {
        // `[::1]` alone has a colon inside the brackets.
        Some((name, p)) if !p.ends_with(']') => (name, Some(p)),
        _ => (authority, None),
    };
    let name_ok = name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "[::1]";
    let port_ok = match given_port {
        Some(p) => p.parse::<u16>().is_ok_and(|p| p == port) && !p.starts_with('0'),
        None => port == 443,
    };
    name_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(host: &str) -> bool {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, host.parse().unwrap());
        allowed(&Uri::from_static("/v1/status"), &h, 39443)
    }

    #[test]
    fn auth_host_rules() {
        for ok in [
            "localhost:39443",
            "LocalHost:39443",
            "127.0.0.1:39443",
            "[::1]:39443",
        ] {
            assert!(check(ok), "{ok}");
        }
        for bad in [
            "evil.example:39443",
            "localhost:39444",
            "localhost",
            "127.0.0.1",
            "localhost.:39443",
            "127.0.0.2:39443",
            "[::1]",
            "localhost:039443",
            "sub.localhost:39443",
            "0x7f.1:39443",
        ] {
            assert!(!check(bad), "{bad}");
        }
        assert!(!allowed(
            &Uri::from_static("/v1/status"),
            &HeaderMap::new(),
            39443
        ));
        // HTTP/2: the authority of the URI counts too.
        let h2 = Uri::from_static("https://evil.example:39443/v1/status");
        assert!(!allowed(&h2, &HeaderMap::new(), 39443));
        let h2 = Uri::from_static("https://localhost:39443/v1/status");
        assert!(allowed(&h2, &HeaderMap::new(), 39443));
    }
}
