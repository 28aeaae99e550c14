//! `[advanced] trusted-proxies`: IP addresses and CIDR ranges (better-auth's
//! `advanced.ipAddress.trustedProxies`).

use std::net::IpAddr;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::Deserialize;

/// An address (`10.0.0.1`, `::1`) or a network (`10.0.0.0/8`, `fd00::/8`). An IPv4-mapped IPv6
/// address is compared as the IPv4 address it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(try_from = "String")]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// Loopback, the default of `trusted-proxies`: a proxy on the same machine.
    pub fn loopback() -> Vec<Self> {
        ["127.0.0.0/8", "::1"]
            .iter()
            .filter_map(|range| range.parse().ok())
            .collect()
    }

    /// Is `ip` inside this range?
    pub fn contains(&self, ip: IpAddr) -> bool {
        let shift = |bits: u32| u32::from(self.prefix).min(bits);
        match (self.network, unmapped(ip)) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - shift(32)).unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - shift(128)).unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) as IPv4.
pub fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

impl FromStr for IpRange {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "invalid value `{value}`: trusted-proxies takes IP addresses and CIDR ranges such as \"10.0.0.0/8\" or \"::1\""
            )
        };
        let (address, prefix) = match value.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (value, None),
        };
        let network = unmapped(address.parse::<IpAddr>().map_err(|_| bad())?);
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(bad)?,
            Some(_) => return Err(bad()),
        };
        Ok(Self { network, prefix })
    }
}

impl TryFrom<String> for IpRange {
    type Error = String;

    fn try_from(value: String) -> Result<Self, String> {
        value.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str) -> IpRange {
        value.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn ip(value: &str) -> IpAddr {
        value.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn addresses_and_ranges() {
        assert!(range("10.0.0.0/8").contains(ip("10.255.0.1")));
        assert!(!range("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(range("192.0.2.10").contains(ip("192.0.2.10")));
        assert!(!range("192.0.2.10").contains(ip("192.0.2.11")));
        assert!(range("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!range("0.0.0.0/0").contains(ip("::2")));
        assert!(range("fd00::/8").contains(ip("fd12::1")));
        assert!(range("::1").contains(ip("::1")));
        // A dual-stack socket reports IPv4 peers as mapped IPv6 addresses.
        assert!(range("127.0.0.0/8").contains(ip("::ffff:127.0.0.1")));
        assert!(
            IpRange::loopback()
                .iter()
                .any(|r| r.contains(ip("127.0.0.2")))
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "localhost",
            "10.0.0/8",
        ] {
            assert!(bad.parse::<IpRange>().is_err(), "{bad}");
        }
    }
}
