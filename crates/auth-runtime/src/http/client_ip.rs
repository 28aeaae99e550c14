//! The client's address, one implementation for the rate limiter's key and the session row's
//! `ipAddress`.
//!
//! Only the headers listed in `[advanced] ip-address-headers` (default `x-forwarded-for`) are
//! read. A proxy appends the address it saw to `X-Forwarded-For`, so in `a, b, c` only the
//! right-most entry was written by our own proxy; everything left of it came from the client and
//! can be forged. We take the right-most entry (better-auth 1.7.25 refuses a list unless
//! `trustedProxies` is set, which sends every such client into one shared bucket). Without a
//! usable trusted header, the TCP peer address (axum's `ConnectInfo<SocketAddr>`) is used.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use auth_core::config::Advanced;
use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};

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
    let from_header = advanced.ip_address_headers.iter().find_map(|name| {
        let value = headers.get(name.as_str())?.to_str().ok()?;
        let last = value.rsplit(',').map(str::trim).find(|v| !v.is_empty())?;
        last.parse::<IpAddr>().ok()
    });
    let peer = || {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip())
    };
    from_header.or_else(peer).map(normalize)
}

fn normalize(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64));
                network
                    .segments()
                    .iter()
                    .map(|group| format!("{group:04x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            }
        },
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
    fn trusted_header_right_most_then_peer() {
        let advanced = Advanced::default();
        let xff = "x-forwarded-for";
        assert_eq!(
            ip(&advanced, &[(xff, "1.2.3.4")], None).as_deref(),
            Some("1.2.3.4")
        );
        // The client wrote 6.6.6.6; our proxy appended 1.2.3.4.
        assert_eq!(
            ip(&advanced, &[(xff, "6.6.6.6, 1.2.3.4")], Some("10.0.0.1:5")).as_deref(),
            Some("1.2.3.4")
        );
        // A header that is not configured is ignored.
        assert_eq!(
            ip(&advanced, &[("x-real-ip", "6.6.6.6")], Some("10.0.0.1:5")).as_deref(),
            Some("10.0.0.1")
        );
        // A garbled trusted header falls back to the peer, never to a forged entry.
        assert_eq!(
            ip(&advanced, &[(xff, "6.6.6.6, garbage")], Some("10.0.0.1:5")).as_deref(),
            Some("10.0.0.1")
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
        assert_eq!(ip(&off, &[(xff, "1.2.3.4")], Some("10.0.0.1:5")), None);
    }
}
