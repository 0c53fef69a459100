//! Who is on the other end: the TCP peer, or, when the peer is one of the configured
//! `trusted_proxies`, the client it forwards for (RFC 7239 `Forwarded`, else
//! `X-Forwarded-For`). Throttles count guesses per client address, so a forwarded address is
//! believed only from a proxy the operator named: anyone else could send any header.

use crate::state::AppState;
use crate::trusted_proxies::TrustedProxies;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The client address of a request.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(client_of(
            peer,
            &parts.headers,
            &state.trusted_proxies,
        )))
    }
}

/// Walks the forwarding chain from the nearest hop: while the hop is a trusted proxy, the
/// address it names is believed; the first address that is not trusted is the client.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(peer) {
        return peer;
    }
    let chain = forwarded_for(headers);
    let mut client = peer;
    for hop in chain.iter().rev() {
        client = *hop;
        if !trusted.contains(*hop) {
            break;
        }
    }
    client
}

/// The addresses of the `for=` parameters of `Forwarded` (RFC 7239 §4), or of
/// `X-Forwarded-For`, in order (the client first); unknown or obfuscated ones end the chain's
/// trust, so they stop the list.
fn forwarded_for(headers: &HeaderMap) -> Vec<IpAddr> {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>()
    };
    let forwarded = values("forwarded");
    let hops: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        values("x-forwarded-for").into_iter().map(address).collect()
    } else {
        forwarded
            .into_iter()
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(k, _)| k.eq_ignore_ascii_case("for"))
                    .and_then(|(_, v)| address(v))
            })
            .collect()
    };
    // Only the addresses after the last one that cannot be read can be trusted.
    let start = hops.iter().rposition(Option::is_none).map_or(0, |i| i + 1);
    hops[start..].iter().flatten().copied().collect()
}

/// `192.0.2.1`, `"192.0.2.1:4711"`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn address(value: &str) -> Option<IpAddr> {
    let v = value.trim().trim_matches('"');
    if let Ok(ip) = v.parse() {
        return Some(ip);
    }
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    v.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_headers_count_only_from_a_trusted_proxy() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            client_of(ip("198.51.100.1"), &h, &trusted),
            ip("198.51.100.1")
        );
        assert_eq!(client_of(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.9"));
        let none = TrustedProxies::default();
        assert_eq!(client_of(ip("10.1.2.3"), &h, &none), ip("10.1.2.3"));
    }

    #[test]
    fn the_chain_is_walked_from_the_nearest_hop_past_trusted_proxies_only() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8".into(), "192.0.2.7".into()]).unwrap();
        // A client that forges its own X-Forwarded-For gets the forgery ignored.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 192.0.2.7")]);
        assert_eq!(client_of(ip("10.0.0.1"), &h, &trusted), ip("203.0.113.9"));
        let f = headers(&[(
            "forwarded",
            "for=1.2.3.4, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=10.9.9.9",
        )]);
        assert_eq!(
            client_of(ip("10.0.0.1"), &f, &trusted),
            ip("2001:db8:cafe::17")
        );
        let unknown = headers(&[("forwarded", "for=203.0.113.9, for=unknown")]);
        assert_eq!(
            client_of(ip("10.0.0.1"), &unknown, &trusted),
            ip("10.0.0.1")
        );
    }
}
