//! The guarded HTTP client for requests wharf makes to addresses users give it (outgoing
//! webhooks): short timeouts, redirects only to the same host and never from https to http,
//! no proxy from the environment, and no private, loopback, link-local or reserved targets
//! unless an administrator's allow-list says so. Names are resolved by the guard itself and
//! only the addresses it accepted are connected to, so a name that resolves to an internal
//! address (or changes to one: DNS rebinding) gets nowhere.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;

/// Addresses no outbound request may reach unless allowed.
fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            // Translated or tunnelled to an IPv4 address: as internal as that address.
            Some(v4) => internal_v4(v4),
            None => {
                let first = v6.segments()[0];
                v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                    || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                    || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated, still routed in places)
                    || v6.segments()[..3] == [0x64, 0xff9b, 1] // local-use NAT64 64:ff9b:1::/48
            }
        },
    }
}

fn internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_multicast()
        || a == 0
        // Carrier-grade NAT (100.64.0.0/10) and benchmarking (198.18.0.0/15).
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (18..20).contains(&b))
        // IETF protocol assignments (192.0.0.0/24), reserved 240.0.0.0/4 with the broadcast address.
        || (a == 192 && b == 0 && c == 0)
        || a >= 240
}

/// The IPv4 address inside an IPv6 one that reaches it: IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d` (`::` and `::1` give 0.0.0.0 and 0.0.0.1, internal too),
/// NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::`.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| Some(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    match s {
        [0, 0, 0, 0, 0, 0 | 0xffff, hi, lo] => v4(hi, lo),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => v4(hi, lo),
        [0x2002, hi, lo, ..] => v4(hi, lo),
        _ => None,
    }
}

/// Which targets outbound requests may reach.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    /// Internal ranges an administrator allows anyway (tests allow 127.0.0.0/8).
    pub allow: Vec<IpNet>,
}

impl OutboundPolicy {
    pub fn permits(&self, ip: IpAddr) -> bool {
        !internal(ip) || self.allow.iter().any(|n| n.contains(&ip))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0} is an internal address; an administrator must allow it first")]
    Refused(IpAddr),
    #[error("{0} does not resolve to any address wharf may reach")]
    NothingAllowed(String),
    #[error("the URL has no host")]
    NoHost,
    #[error("{0}")]
    Client(String),
}

struct GuardedResolver(Arc<OutboundPolicy>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.permits(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(OutboundError::NothingAllowed(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether a redirect from `from` to `to` may be followed: only to the same host, and never
/// from https to http (that would send the body and headers, a credential among them, in
/// the clear).
pub fn redirect_allowed(from: &url::Url, to: &url::Url) -> bool {
    let same_host = from.host_str().is_some() && from.host_str() == to.host_str();
    let downgrade = from.scheme() == "https" && to.scheme() != "https";
    same_host && !downgrade
}

/// A client that only reaches what `policy` permits: 3 s to connect, 10 s in all, at most
/// three redirects (see [`redirect_allowed`]), and no proxy.
pub fn client(policy: OutboundPolicy) -> Result<reqwest::Client, OutboundError> {
    let policy = Arc::new(policy);
    let redirects = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 3 {
            attempt.error("too many redirects")
        } else if attempt
            .previous()
            .iter()
            .all(|from| redirect_allowed(from, attempt.url()))
        {
            // Checked against every earlier hop: one https hop forbids http after it.
            attempt.follow()
        } else {
            attempt.error("redirect refused: only to the same host, and never from https to http")
        }
    });
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .redirect(redirects)
        // A proxy from HTTP(S)_PROXY/ALL_PROXY would be connected to instead of the target, past
        // the guarded resolver, and would see every delivery.
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver(policy)))
        .user_agent(concat!("wharf/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| OutboundError::Client(e.to_string()))
}

/// Checks a URL before it is used: the resolver guards names, this guards IP literals
/// (which are connected to without resolution).
pub fn check_url(url: &url::Url, policy: &OutboundPolicy) -> Result<(), OutboundError> {
    match url.host() {
        Some(url::Host::Ipv4(ip)) if !policy.permits(ip.into()) => Err(OutboundError::Refused(ip.into())),
        Some(url::Host::Ipv6(ip)) if !policy.permits(ip.into()) => Err(OutboundError::Refused(ip.into())),
        Some(_) => Ok(()),
        None => Err(OutboundError::NoHost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_targets_are_refused_unless_allowed() {
        let none = OutboundPolicy::default();
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!none.permits(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(none.permits(ip.parse().unwrap()), "{ip}");
        }
        let loopback = OutboundPolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap()],
        };
        assert!(loopback.permits("127.0.0.1".parse().unwrap()));
        assert!(!loopback.permits("10.0.0.1".parse().unwrap()));
        let u = url::Url::parse("http://169.254.169.254/latest/meta-data").unwrap();
        assert!(matches!(check_url(&u, &none), Err(OutboundError::Refused(_))));
        assert!(check_url(&url::Url::parse("https://hooks.example.com/x").unwrap(), &none).is_ok());
    }

    /// Ranges that reach internal IPv4 addresses through IPv6, and reserved IPv4 ranges.
    #[test]
    fn embedded_and_reserved_addresses() {
        let none = OutboundPolicy::default();
        for (ip, internal) in [
            // NAT64 (64:ff9b::/96) judged by the IPv4 address inside.
            ("64:ff9b::7f00:1", true),    // 127.0.0.1
            ("64:ff9b::a9fe:a9fe", true), // 169.254.169.254
            ("64:ff9b::10.0.0.1", true),  // 10.0.0.1
            ("64:ff9b::808:808", false),  // 8.8.8.8
            ("64:ff9b:1::1", true),       // local-use NAT64
            // 6to4 (2002::/16): the IPv4 address is bits 16..48.
            ("2002:7f00:1::", true),     // 127.0.0.1
            ("2002:a9fe:a9fe::1", true), // 169.254.169.254
            ("2002:c0a8:101::1", true),  // 192.168.1.1
            ("2002:808:808::1", false),  // 8.8.8.8
            // IPv4-compatible ::a.b.c.d.
            ("::127.0.0.1", true),
            ("::10.1.2.3", true),
            ("::169.254.169.254", true),
            ("::8.8.8.8", false),
            ("::1", true),
            ("::", true),
            ("::ffff:8.8.8.8", false),
            // Site-local fec0::/10.
            ("fec0::1", true),
            ("feff:ffff::1", true),
            // Reserved 240.0.0.0/4 with the broadcast address; IETF 192.0.0.0/24.
            ("240.0.0.1", true),
            ("250.1.2.3", true),
            ("255.255.255.255", true),
            ("239.255.255.255", true), // multicast
            ("192.0.0.8", true),
            ("192.0.0.170", true),
            ("192.0.1.1", false),
            ("193.0.0.1", false),
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(!none.permits(ip), internal, "{ip}");
        }
    }

    #[test]
    fn redirects_stay_on_the_host_and_never_downgrade() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        for (from, to, allowed) in [
            ("https://h.example/a", "https://h.example/b", true),
            ("http://h.example/a", "http://h.example:8080/b", true),
            ("http://h.example/a", "https://h.example/b", true),
            ("https://h.example/a", "http://h.example/b", false),
            ("https://h.example:8443/a", "http://h.example:8443/a", false),
            ("https://h.example/a", "https://other.example/a", false),
            ("http://h.example/a", "http://127.0.0.1/a", false),
        ] {
            assert_eq!(redirect_allowed(&u(from), &u(to)), allowed, "{from} -> {to}");
        }
    }

    /// A tiny loopback server: answers `/ok` with 200 and `/away` with a redirect elsewhere.
    async fn server() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new()
            .route("/ok", axum::routing::get(|| async { "ok" }))
            .route(
                "/away",
                axum::routing::get(|| async { axum::response::Redirect::temporary("http://localhost:1/elsewhere") }),
            );
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        addr
    }

    #[tokio::test]
    async fn names_resolving_to_internal_addresses_get_nowhere() {
        let addr = server().await;
        let url = format!("http://localhost:{}/ok", addr.port());
        let refused = client(OutboundPolicy::default()).unwrap().get(&url).send().await;
        assert!(refused.is_err(), "localhost is internal");
        let allowed = OutboundPolicy {
            allow: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        };
        let c = client(allowed).unwrap();
        let ok = c.get(&url).send().await.unwrap();
        assert_eq!(ok.status(), 200);
        let away = c.get(format!("http://127.0.0.1:{}/away", addr.port())).send().await;
        assert!(away.is_err(), "a redirect to another host is not followed");
    }
}
