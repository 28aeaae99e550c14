//! The client's address, one implementation for the rate limiter's key and the session row's
//! `ipAddress`.
//!
//! A forwarded address is believed only from a trusted proxy: when the TCP peer (axum's
//! `ConnectInfo<SocketAddr>`, which `auth-cli serve` provides) is outside `[advanced]
//! trusted-proxies` (default loopback), the peer address is the client's and the headers are
//! ignored, so a client talking to the server directly cannot pick its own rate-limit bucket.
//! From a trusted peer, the headers listed in `ip-address-headers` (default `x-forwarded-for`)
//! are read as better-auth 1.7.25 does with `trustedProxies`: the chain `client, proxy1, proxy2`
//! is walked from the right (the entry our own proxy appended; everything left of it may be
//! forged) and the first address that is not a trusted proxy is the client.
//!
//! Without `ConnectInfo` (the router embedded in an application that serves it without
//! `into_make_service_with_connect_info`), the headers are read as from a trusted proxy: the
//! application's own front is then responsible for what reaches them.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use auth_core::config::{Advanced, unmapped};
use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap, HeaderValue};

/// The client address of a request, normalized as better-auth does it (an IPv4-mapped IPv6
/// address as IPv4, other IPv6 addresses reduced to their /64 network, fully written out), or
/// `None` when IP tracking is disabled or nothing trustworthy names it.
pub(crate) fn client_ip(
    advanced: &Advanced,
    headers: &HeaderMap,
    extensions: &Extensions,
) -> Option<String> {
    if advanced.disable_ip_tracking {
        return None;
    }
    let trusted = |ip: IpAddr| advanced.trusted_proxies.iter().any(|r| r.contains(ip));
    let peer = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| unmapped(address.ip()));
    let ip = match peer {
        Some(peer) if !trusted(peer) => Some(peer),
        _ => advanced
            .ip_address_headers
            .iter()
            .find_map(|name| forwarded(headers.get(name.as_str())?, &trusted))
            .or(peer),
    };
    ip.map(normalize)
}

/// The client in a forwarded chain: from the right, the first address that is not a trusted
/// proxy (the left-most when all are); `None` when an entry on the way is not an address.
fn forwarded(value: &HeaderValue, trusted: &impl Fn(IpAddr) -> bool) -> Option<IpAddr> {
    let mut client = None;
    for entry in value.to_str().ok()?.rsplit(',').map(str::trim) {
        if entry.is_empty() {
            continue;
        }
        let ip = unmapped(entry.parse::<IpAddr>().ok()?);
        client = Some(ip);
        if !trusted(ip) {
            break;
        }
    }
    client
}

fn normalize(ip: IpAddr) -> String {
    match unmapped(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let network = Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64));
            network
                .segments()
                .iter()
                .map(|group| format!("{group:04x}"))
                .collect::<Vec<_>>()
                .join(":")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(advanced: &Advanced, headers: &[(&str, &str)], peer: Option<&str>) -> Option<String> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap_or_else(|e| panic!("{e}")),
                value.parse().unwrap_or_else(|e| panic!("{e}")),
            );
        }
        let mut extensions = Extensions::new();
        if let Some(peer) = peer {
            extensions.insert(ConnectInfo(
                peer.parse::<SocketAddr>().unwrap_or_else(|e| panic!("{e}")),
            ));
        }
        client_ip(advanced, &map, &extensions)
    }

    #[test]
    fn header_from_a_trusted_peer_right_most_then_peer() {
        let advanced = Advanced::default();
        let xff = "x-forwarded-for";
        let proxy = Some("127.0.0.1:5");
        assert_eq!(
            ip(&advanced, &[(xff, "1.2.3.4")], None).as_deref(),
            Some("1.2.3.4")
        );
        // The client wrote 6.6.6.6; our proxy appended 1.2.3.4.
        assert_eq!(
            ip(&advanced, &[(xff, "6.6.6.6, 1.2.3.4")], proxy).as_deref(),
            Some("1.2.3.4")
        );
        // A header that is not configured is ignored.
        assert_eq!(
            ip(&advanced, &[("x-real-ip", "6.6.6.6")], proxy).as_deref(),
            Some("127.0.0.1")
        );
        // A garbled header falls back to the peer, never to a forged entry.
        assert_eq!(
            ip(&advanced, &[(xff, "6.6.6.6, garbage")], proxy).as_deref(),
            Some("127.0.0.1")
        );
        assert_eq!(ip(&advanced, &[], None), None);
        assert_eq!(
            ip(&advanced, &[(xff, "::ffff:192.0.2.1")], None).as_deref(),
            Some("192.0.2.1")
        );
        assert_eq!(
            ip(&advanced, &[], Some("[2001:DB8::1:2:3:4]:443")).as_deref(),
            Some("2001:0db8:0000:0000:0000:0000:0000:0000")
        );
        let off = Advanced {
            disable_ip_tracking: true,
            ..Advanced::default()
        };
        assert_eq!(ip(&off, &[(xff, "1.2.3.4")], proxy), None);
    }

    /// A client that reaches the server directly cannot name itself: its forwarded header is
    /// ignored unless its address is a trusted proxy; hops of trusted proxies are skipped.
    #[test]
    fn header_from_an_untrusted_peer_is_ignored() {
        let xff = "x-forwarded-for";
        let advanced = Advanced::default();
        assert_eq!(
            ip(&advanced, &[(xff, "6.6.6.6")], Some("203.0.113.7:40000")).as_deref(),
            Some("203.0.113.7")
        );
        // A dual-stack socket reports an IPv4 proxy as a mapped IPv6 address.
        assert_eq!(
            ip(&advanced, &[(xff, "6.6.6.6")], Some("[::ffff:127.0.0.1]:1")).as_deref(),
            Some("6.6.6.6")
        );
        let chain = Advanced {
            trusted_proxies: ["10.0.0.0/8", "127.0.0.1"]
                .iter()
                .map(|r| r.parse().unwrap_or_else(|e| panic!("{e}")))
                .collect(),
            ..Advanced::default()
        };
        assert_eq!(
            ip(
                &chain,
                &[(xff, "6.6.6.6, 198.51.100.2, 10.1.1.1")],
                Some("10.0.0.9:1")
            )
            .as_deref(),
            Some("198.51.100.2")
        );
        assert_eq!(
            ip(&chain, &[(xff, "10.2.2.2, 10.1.1.1")], Some("10.0.0.9:1")).as_deref(),
            Some("10.2.2.2")
        );
        let none = Advanced {
            trusted_proxies: Vec::new(),
            ..Advanced::default()
        };
        assert_eq!(
            ip(&none, &[(xff, "6.6.6.6")], Some("127.0.0.1:1")).as_deref(),
            Some("127.0.0.1")
        );
    }
}
