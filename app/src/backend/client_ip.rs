//! The client's address: the peer, or, when the peer is a trusted proxy (the load balancer),
//! the last address in `X-Forwarded-For` that is not one. Rate limits and the audit log use it.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpNet]) -> IpAddr {
    let trusted = |ip: &IpAddr| trusted_proxies.iter().any(|n| n.contains(ip));
    if !trusted(&peer) {
        return peer;
    }
    // Each proxy appends the address it saw, so walk from the right past our own proxies.
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .rev()
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .find(|ip| !trusted(ip))
        .unwrap_or(peer)
}

/// The unit rate limits and sign-in backoff count by: an IPv4 address, or an IPv6 client's /64
/// (one subscriber usually holds a whole /64, so counting single addresses would let one
/// client rotate through 2^64 of them).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(std::net::Ipv6Addr::from(bits))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limit_key(a), limit_key(b));
        assert_eq!(limit_key(a).to_string(), "2001:db8:1:2::");
        assert_ne!(limit_key(a), limit_key(other));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(limit_key(v4), v4);
        assert_eq!(
            limit_key("::ffff:192.0.2.7".parse().unwrap()),
            v4,
            "v4-mapped counts as the v4 address"
        );
    }

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn only_trusted_proxies_may_speak_for_clients() {
        let lb: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted: Vec<IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let h = headers("198.51.100.9, 10.0.0.7");
        assert_eq!(resolve(lb, &h, &trusted), "198.51.100.9".parse::<IpAddr>().unwrap());
        // A forged left-most entry is skipped: only what our proxies appended counts.
        let h = headers("1.2.3.4, 198.51.100.9");
        assert_eq!(resolve(lb, &h, &trusted), "198.51.100.9".parse::<IpAddr>().unwrap());
        // Anyone else's header is ignored.
        let stranger: IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(resolve(stranger, &h, &trusted), stranger);
        assert_eq!(resolve(lb, &HeaderMap::new(), &trusted), lb);
        assert_eq!(resolve(lb, &headers("garbage"), &trusted), lb);
    }
}
