//! The nginx configuration that spreads docker traffic over the registry replicas, as the
//! reference deployment does: source-IP stickiness (an upload's chunks reach the replica that
//! started it), no body size limit, no request buffering (streamed layer uploads), the client's
//! `Host` passed through (so notifications and redirects name the public endpoint), and
//! failover to the next replica on connection errors. `/lb-health` answers 200 from nginx
//! itself: keepalived's check and container health checks ask it.

use std::net::SocketAddr;
use std::path::Path;

/// The path nginx answers itself, for health checks of the load balancer node.
pub const HEALTH_PATH: &str = "/lb-health";

/// What the configuration is generated from.
pub struct LbOptions<'a> {
    pub listen: SocketAddr,
    /// `host:port` of each replica.
    pub replicas: &'a [String],
    /// A complete `nginx.conf` (for `nginx -p DIR -c FILE`) rather than the `upstream` and
    /// `server` blocks to include in an existing `http {}`.
    pub standalone: bool,
    /// Certificate and key (PEM) to terminate TLS with; plain HTTP without them.
    pub tls: Option<(&'a Path, &'a Path)>,
    /// `host:port` of wharf, to serve its token endpoint and console under the same public
    /// name as the registry (`/v2/token` and `/` go to wharf, the rest of `/v2/` to the
    /// replicas). Notifications never come this way: replicas send them to wharf directly.
    pub wharf: Option<&'a str>,
    /// A DNS server to re-resolve replica names with while running (`resolver`, `resolve`;
    /// nginx ≥ 1.27.3), for replicas whose addresses change, like Kubernetes pods. Without
    /// it nginx resolves them once, at start.
    pub resolver: Option<&'a str>,
}

/// Whether `s` can go into the configuration as a replica address (`host:port`, nothing that
/// could end the directive).
pub fn valid_replica(s: &str) -> bool {
    !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || matches!(c, ';' | '{' | '}' | '/' | '#' | '"' | '\''))
}

pub fn render(opts: &LbOptions<'_>) -> String {
    let resolve = if opts.resolver.is_some() { " resolve" } else { "" };
    let servers: String = opts
        .replicas
        .iter()
        .map(|r| format!("    server {r} max_fails=1 fail_timeout=10s{resolve};\n"))
        .collect();
    let (zone, resolver) = match opts.resolver {
        Some(dns) => (
            "    zone wharf_registry_replicas 64k;\n".to_owned(),
            format!("resolver {dns} valid=10s;\n\n"),
        ),
        None => (String::new(), String::new()),
    };
    let (listen, tls) = match opts.tls {
        Some((cert, key)) => (
            format!("{} ssl", opts.listen),
            format!(
                "    ssl_certificate {};\n    ssl_certificate_key {};\n    ssl_protocols TLSv1.2 TLSv1.3;\n    ssl_session_cache shared:wharf_tls:10m;\n",
                cert.display(),
                key.display()
            ),
        ),
        None => (opts.listen.to_string(), String::new()),
    };
    let proxy_to_wharf = "        proxy_pass http://wharf_console;\n        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";\n        proxy_set_header Host $http_host;\n        proxy_set_header X-Forwarded-Proto $scheme;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_set_header X-Request-Id $request_id;\n";
    let (wharf_upstream, wharf_locations) = match opts.wharf {
        Some(w) => (
            format!("upstream wharf_console {{\n    server {w};\n    keepalive 8;\n}}\n\n"),
            format!(
                "    location = /v2/token {{\n{proxy_to_wharf}    }}\n\n    location /v2/webhooks/ {{\n        return 404;\n    }}\n\n    location = /metrics {{\n        return 404;\n    }}\n\n    location / {{\n{proxy_to_wharf}    }}\n\n"
            ),
        ),
        None => (String::new(), String::new()),
    };
    let site = format!(
        "{resolver}{wharf_upstream}upstream wharf_registry_replicas {{\n    ip_hash;\n{zone}{servers}    keepalive 16;\n}}\n\n\
server {{\n    listen {listen};\n{tls}    client_max_body_size 0;\n    chunked_transfer_encoding on;\n\n{wharf_locations}    location = {HEALTH_PATH} {{\n        access_log off;\n        default_type text/plain;\n        return 200 \"ok\\n\";\n    }}\n\n    location /v2/ {{\n        proxy_pass http://wharf_registry_replicas;\n        proxy_http_version 1.1;\n        proxy_set_header Connection \"\";\n        proxy_set_header Host $http_host;\n        proxy_set_header X-Forwarded-Proto $scheme;\n        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n        proxy_request_buffering off;\n        proxy_buffering off;\n        proxy_read_timeout 900;\n        # A replica that is gone (its container killed) may never refuse a connection:\n        # give up on it after 3 s and try the next one, well before clients time out.\n        proxy_connect_timeout 3s;\n        proxy_next_upstream error timeout http_502;\n    }}\n}}\n",
    );
    if !opts.standalone {
        return format!("# Generated by `wharf lb-config`; include inside http {{}}.\n{site}");
    }
    let indented: String = site
        .lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_owned()
            } else {
                format!("    {l}\n")
            }
        })
        .collect();
    format!(
        "# Generated by `wharf lb-config`; run with `nginx -p DIR -c FILE`.\n\
worker_processes 1;\npid nginx.pid;\nerror_log error.log warn;\n\nevents {{\n    worker_connections 1024;\n}}\n\n\
http {{\n    access_log access.log;\n    client_body_temp_path tmp/body;\n    proxy_temp_path tmp/proxy;\n    fastcgi_temp_path tmp/fastcgi;\n    uwsgi_temp_path tmp/uwsgi;\n    scgi_temp_path tmp/scgi;\n\n{indented}}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_what_a_registry_behind_nginx_needs() {
        let replicas = vec!["127.0.0.1:5001".to_owned(), "127.0.0.1:5002".to_owned()];
        for standalone in [false, true] {
            let conf = render(&LbOptions {
                listen: "127.0.0.1:8443".parse().unwrap(),
                replicas: &replicas,
                standalone,
                tls: None,
                wharf: None,
                resolver: None,
            });
            for needle in [
                "ip_hash;",
                "server 127.0.0.1:5001 max_fails=1",
                "server 127.0.0.1:5002 max_fails=1",
                "listen 127.0.0.1:8443;",
                "client_max_body_size 0;",
                "proxy_request_buffering off;",
                "proxy_set_header Host $http_host;",
                "proxy_next_upstream error timeout http_502;",
                "proxy_connect_timeout 3s;",
                "location = /lb-health {",
            ] {
                assert!(conf.contains(needle), "missing {needle} in\n{conf}");
            }
            assert!(!conf.contains("ssl") && !conf.contains("wharf_console"));
            assert_eq!(conf.contains("events {"), standalone);
            assert_eq!(conf.matches('{').count(), conf.matches('}').count());
        }
    }

    #[test]
    fn terminates_tls_and_fronts_wharf_when_asked() {
        let replicas = vec!["registry1:5000".to_owned()];
        let conf = render(&LbOptions {
            listen: "0.0.0.0:443".parse().unwrap(),
            replicas: &replicas,
            standalone: false,
            tls: Some((
                Path::new("/etc/nginx/tls/cert.pem"),
                Path::new("/etc/nginx/tls/key.pem"),
            )),
            wharf: Some("wharf:8080"),
            resolver: Some("kube-dns.kube-system.svc.cluster.local"),
        });
        assert!(conf.starts_with("# Generated by `wharf lb-config`; include inside http {}.\nresolver kube-dns.kube-system.svc.cluster.local valid=10s;\n"), "{conf}");
        assert!(conf.contains("    zone wharf_registry_replicas 64k;\n"));
        assert!(conf.contains("server registry1:5000 max_fails=1 fail_timeout=10s resolve;"));
        assert!(
            conf.contains("upstream wharf_console {\n    server wharf:8080;"),
            "{conf}"
        );
        assert!(conf.contains("location = /v2/token {\n        proxy_pass http://wharf_console;"));
        assert!(conf.contains("location /v2/webhooks/ {\n        return 404;"));
        assert!(
            conf.contains("location = /metrics {\n        return 404;"),
            "scraped directly, not through the public name"
        );
        assert_eq!(conf.matches('{').count(), conf.matches('}').count());
        assert!(conf.contains("listen 0.0.0.0:443 ssl;"), "{conf}");
        assert!(conf.contains("ssl_certificate /etc/nginx/tls/cert.pem;"));
        assert!(conf.contains("ssl_certificate_key /etc/nginx/tls/key.pem;"));
    }

    #[test]
    fn refuses_replicas_that_could_inject_directives() {
        assert!(valid_replica("registry-1.internal:5000"));
        for bad in ["", "a b", "x;y", "x}", "http://x:1", "x#1", "x\"1"] {
            assert!(!valid_replica(bad), "{bad:?}");
        }
    }
}
