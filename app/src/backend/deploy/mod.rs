//! Configuration wharf generates for the pieces around it: a registry replica's `config.yml`,
//! the nginx load balancer in front of the replicas, and keepalived for a pair of load-balancer
//! nodes sharing a virtual IP. The CLI, the console and the committed deployment files
//! (`deploy/`) all come from these functions, so they cannot drift apart.

pub mod keepalived;
pub mod nginx;
pub mod registry_yaml;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use super::config::Config;
use super::entity::replica;
use crate::domain::dto::GeneratedFile;
use crate::domain::AppError;

/// What the console's configuration form asks for; wharf knows the rest.
pub struct ConsoleRequest<'a> {
    /// Registry storage directory (shared by the replicas).
    pub storage: &'a str,
    /// Redis `host:port` for the blob-descriptor cache, if any.
    pub redis: Option<&'a str>,
    /// Where nginx listens.
    pub lb_listen: &'a str,
    /// The registry release to write for; `None`: each replica's recorded version.
    pub version: Option<crate::domain::RegistryVersion>,
    /// VIP and interface for keepalived; no keepalived files without them.
    pub vip: Option<&'a str>,
    pub interface: Option<&'a str>,
    pub vrrp_password: &'a str,
}

/// `http://host:port` → the address a replica listens on: the IP itself, or every address for
/// a host name (the name resolves to the machine it runs on).
fn listen_addr(url: &str) -> Option<SocketAddr> {
    let hostport = url.split("://").nth(1).unwrap_or(url).trim_end_matches('/');
    if let Ok(a) = hostport.parse::<SocketAddr>() {
        return Some(a);
    }
    let (_, port) = hostport.rsplit_once(':')?;
    Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port.parse().ok()?))
}

/// Every configuration file for the replicas wharf knows, with wharf's own values filled in:
/// one registry `config.yml` per replica, the nginx configuration, and the keepalived pair.
pub fn for_console(
    config: &Config,
    notification_secret: &str,
    http_secret: &str,
    replicas: &[replica::Model],
    req: &ConsoleRequest<'_>,
) -> Result<Vec<GeneratedFile>, AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    if req.storage.trim().is_empty() || !req.storage.starts_with('/') {
        return Err(bad("storage: give an absolute directory".into()));
    }
    if let Some(r) = req.redis.filter(|r| !nginx::valid_replica(r) || !r.contains(':')) {
        return Err(bad(format!("redis {r:?}: give host:port")));
    }
    let lb_listen: SocketAddr = req.lb_listen.trim().parse().map_err(|_| {
        bad(format!(
            "load balancer address {:?}: give ip:port, like 0.0.0.0:443",
            req.lb_listen
        ))
    })?;
    let mut files = Vec::new();
    for r in replicas {
        let Some(listen) = listen_addr(&r.url) else { continue };
        let debug_addr = r.debug_url.as_deref().and_then(listen_addr);
        let yaml = registry_yaml::render(
            config,
            &registry_yaml::ReplicaOptions {
                version: match req.version {
                    Some(v) => v,
                    None => r.registry_version,
                },
                jwks: false,
                listen,
                storage: Path::new(req.storage.trim()),
                debug_addr,
                redis: req.redis,
                http_secret,
                notification_secret,
                replica_name: Some(&r.name),
                bundle: None,
                notify_base: None,
                read_only: false,
            },
        );
        files.push(GeneratedFile {
            title: format!("Registry replica {}", r.name),
            filename: format!("config-{}.yml", r.name),
            content: yaml,
        });
    }
    let mut upstreams: Vec<String> = replicas
        .iter()
        .map(|r| super::store::registries::name_from_url(&r.url))
        .collect();
    upstreams.sort();
    upstreams.dedup();
    if !upstreams.is_empty() {
        files.push(GeneratedFile {
            title: "nginx load balancer".into(),
            filename: "registry.conf".into(),
            content: nginx::render(&nginx::LbOptions {
                listen: lb_listen,
                replicas: &upstreams,
                standalone: false,
                tls: None,
                wharf: None,
                resolver: None,
            }),
        });
    }
    if let (Some(vip), Some(interface)) = (req.vip, req.interface) {
        let check_url = format!("http://127.0.0.1:{}{}", lb_listen.port(), nginx::HEALTH_PATH);
        for node in [keepalived::Node::Primary, keepalived::Node::Backup] {
            let content = keepalived::render(&keepalived::KeepalivedOptions {
                node,
                vip: vip.trim(),
                interface: interface.trim(),
                router_id: 51,
                password: req.vrrp_password,
                check_url: &check_url,
                unicast_peer: None,
                unicast_src: None,
            })
            .map_err(|e| bad(e.to_string().replace("--", "")))?;
            files.push(GeneratedFile {
                title: format!("keepalived, {node} node"),
                filename: format!("keepalived-{node}.conf"),
                content,
            });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_urls_become_listen_addresses() {
        assert_eq!(
            listen_addr("http://127.0.0.1:5001"),
            Some("127.0.0.1:5001".parse().unwrap())
        );
        assert_eq!(
            listen_addr("http://registry1:5000/"),
            Some("0.0.0.0:5000".parse().unwrap())
        );
        assert_eq!(listen_addr("http://registry1"), None);
    }
}
