//! `trusted_proxies`: the networks whose forwarding headers name the client (see
//! `client_address`), as the configuration lists them.

use std::net::IpAddr;

/// Networks whose forwarding headers are believed, from `trusted_proxies`.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`, `::1`; the message names the entry.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let parse_one = |entry: &str| -> Option<(IpAddr, u8)> {
            let (addr, bits) = match entry.split_once('/') {
                Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
                None => {
                    let a = entry.parse::<IpAddr>().ok()?;
                    (a, if a.is_ipv4() { 32 } else { 128 })
                }
            };
            let max = if addr.is_ipv4() { 32 } else { 128 };
            (bits <= max).then_some((addr, bits))
        };
        entries
            .iter()
            .map(|e| {
                parse_one(e.trim()).ok_or_else(|| {
                    format!(
                        "trusted_proxies: {e:?} is not an IP address or a network like 10.0.0.0/8"
                    )
                })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|(net, bits)| in_network(ip, *net, *bits))
    }
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V4(_)) => ip
            .to_ipv4_mapped()
            .is_some_and(|v4| in_network(IpAddr::V4(v4), net, bits)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let t = TrustedProxies::parse(&["::1".into(), "2001:db8::/32".into()]).unwrap();
        assert!(t.contains(ip("::1")) && t.contains(ip("2001:db8:ffff::1")));
        assert!(!t.contains(ip("2001:db9::1")));
        let mapped = TrustedProxies::parse(&["127.0.0.0/8".into()]).unwrap();
        assert!(mapped.contains(ip("::ffff:127.0.0.1")));
        for bad in ["10.0.0.0/33", "localhost", "10.0.0/8"] {
            assert!(TrustedProxies::parse(&[bad.into()]).is_err(), "{bad}");
        }
    }
}
