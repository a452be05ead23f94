//! A complete `config.yml` for one distribution registry replica that trusts wharf's tokens and
//! sends it notifications (`wharf registry-config`, the console, the deployment files).

use std::net::SocketAddr;
use std::path::Path;

use crate::backend::config::{Config, TokenHeader};
use crate::backend::token::keys::KeyPaths;
use crate::domain::RegistryVersion;

/// The file in wharf's data dir holding the `http.secret` all replicas share.
pub const HTTP_SECRET_FILE: &str = "registry-http-secret";

/// Placeholders `wharf registry-config --template` leaves for the deployment to fill in
/// (`deploy/registry-entrypoint.sh`), and the console shows for a secret wharf does not have.
pub const NOTIFICATION_SECRET_PLACEHOLDER: &str = "__WHARF_NOTIFICATION_SECRET__";
pub const HTTP_SECRET_PLACEHOLDER: &str = "__REGISTRY_HTTP_SECRET__";
pub const REPLICA_NAME_PLACEHOLDER: &str = "__REPLICA_NAME__";
pub const PUBLIC_URL_PLACEHOLDER: &str = "__WHARF_PUBLIC_URL__";

/// What differs between replicas; the rest comes from wharf's configuration.
pub struct ReplicaOptions<'a> {
    /// The registry release the file is for (2.8 and 3.x name some keys differently).
    pub version: RegistryVersion,
    /// Also trust wharf's keys through `auth.token.jwks` (registry 3), from the file beside the
    /// bundle.
    pub jwks: bool,
    pub listen: SocketAddr,
    pub storage: &'a Path,
    pub debug_addr: Option<SocketAddr>,
    pub redis: Option<&'a str>,
    pub http_secret: &'a str,
    pub notification_secret: &'a str,
    /// Named in the notification URL so wharf knows which replica sent each event.
    pub replica_name: Option<&'a str>,
    /// Where the registry finds wharf's certificate bundle, when not at wharf's own path
    /// (a container that mounts wharf's data volume elsewhere).
    pub bundle: Option<&'a Path>,
    /// Base URL the replica sends notifications to, when it reaches wharf by another name
    /// than clients do (an internal service name); default: wharf's `public_url`.
    pub notify_base: Option<&'a str>,
    /// Maintenance mode for garbage collection: pulls keep working, pushes and deletes are
    /// refused (405: the registry has no upload routes then; `storage.maintenance.readonly`).
    pub read_only: bool,
}

/// YAML double-quoted string.
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Why a combination of options cannot make a working file.
pub fn check(config: &Config, version: RegistryVersion, jwks: bool) -> Result<(), String> {
    match version {
        RegistryVersion::V2 if jwks => Err("registry 2.8 has no auth.token.jwks: use --registry-version 3".into()),
        RegistryVersion::V2 if config.token_header == TokenHeader::Kid => Err(
            "registry 2.8 cannot find a key by its thumbprint: set token_header = \"libtrust-kid\" (or \"x5c\") in wharf's configuration"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// Where the registry finds the bundle and the JWKS (the JWKS always sits beside the bundle).
fn key_files(config: &Config, opts: &ReplicaOptions<'_>) -> (std::path::PathBuf, std::path::PathBuf) {
    let own = KeyPaths::in_dir(config.key_dir());
    let bundle = opts.bundle.map_or(own.bundle, Path::to_path_buf);
    let bundle = std::path::absolute(&bundle).unwrap_or(bundle);
    let jwks_name = own.jwks.file_name().map(ToOwned::to_owned).unwrap_or_default();
    let jwks = bundle.with_file_name(jwks_name);
    (bundle, jwks)
}

pub fn render(config: &Config, opts: &ReplicaOptions<'_>) -> String {
    let v3 = opts.version == RegistryVersion::V3;
    let (bundle, jwks) = key_files(config, opts);
    // x5c tokens are checked against the bundle; kid-only tokens against the JWKS, or against
    // the bundle's keys: registry 3 by thumbprint, registry 2.8 by libtrust id. Registry 3
    // finds a libtrust id only in the JWKS.
    let use_jwks = opts.jwks || (v3 && config.token_header == TokenHeader::LibtrustKid);
    let mut trust = String::new();
    if !use_jwks || config.token_header == TokenHeader::X5c {
        trust.push_str(&format!("    rootcertbundle: {}\n", q(&bundle.display().to_string())));
    }
    if use_jwks {
        trust.push_str(&format!("    jwks: {}\n", q(&jwks.display().to_string())));
    }
    let storage = std::path::absolute(opts.storage).unwrap_or_else(|_| opts.storage.to_owned());
    let timeouts = "  db: 0\n  dialtimeout: 100ms\n  readtimeout: 100ms\n  writetimeout: 100ms\n";
    let (cache, redis) = match opts.redis {
        // Registry 3 takes a list of addresses and go-redis pool keys.
        Some(addr) if v3 => (
            "redis",
            format!(
                "redis:\n  addrs: [{}]\n{timeouts}  poolsize: 32\n  maxidleconns: 16\n  connmaxidletime: 300s\n",
                q(addr)
            ),
        ),
        Some(addr) => ("redis", format!("redis:\n  addr: {}\n{timeouts}", q(addr))),
        None => ("inmemory", String::new()),
    };
    // Blob pushes and pulls (application/octet-stream) are of no use to wharf; the registry
    // (2.8 and 3) drops them before they queue. Each would cost the registry and wharf a
    // request: two of the three events of a one-layer pull.
    let ignore = "      ignore:\n        mediatypes: [\"application/octet-stream\"]\n";
    let debug = opts
        .debug_addr
        .map(|a| format!("  debug:\n    addr: {}\n", q(&a.to_string())))
        .unwrap_or_default();
    format!(
        "# Registry replica configuration (distribution {release}) generated by `wharf registry-config`.\n\
version: 0.1\n\
log:\n  level: info\n\
storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: {delete}\n  cache:\n    blobdescriptor: {cache}\n{maintenance}\
{redis}\
http:\n  addr: {listen}\n  secret: {http_secret}\n{debug}\
auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n{trust}\
notifications:\n  events:\n    includereferences: true\n  endpoints:\n    - name: wharf\n      url: {notify}\n      headers:\n        Authorization: [{auth}]\n      timeout: 2s\n      threshold: 5\n      backoff: 1s\n{ignore}",
        release = if v3 { "3.x" } else { "2.8" },
        storage = q(&storage.display().to_string()),
        delete = config.delete_enabled,
        maintenance = if opts.read_only {
            "  maintenance:\n    readonly:\n      enabled: true\n"
        } else {
            ""
        },
        listen = q(&opts.listen.to_string()),
        http_secret = q(opts.http_secret),
        realm = q(&config.token_realm()),
        service = q(&config.service),
        issuer = q(&config.issuer),
        notify = q(&{
            let url = match opts.notify_base {
                Some(base) => format!("{}/v2/webhooks/events", base.trim_end_matches('/')),
                None => config.notification_url(),
            };
            match opts.replica_name {
                Some(name) => format!("{url}?replica={name}"),
                None => url,
            }
        }),
        auth = q(&format!("Bearer {}", opts.notification_secret)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(version: RegistryVersion, jwks: bool) -> ReplicaOptions<'static> {
        ReplicaOptions {
            version,
            jwks,
            listen: "127.0.0.1:5001".parse().unwrap(),
            storage: Path::new("/srv/registry"),
            debug_addr: Some("127.0.0.1:5002".parse().unwrap()),
            redis: Some("127.0.0.1:6379"),
            http_secret: "s3cret",
            notification_secret: "n0tify",
            replica_name: Some("r1"),
            bundle: None,
            notify_base: None,
            read_only: false,
        }
    }

    fn assert_has(yaml: &str, needles: &[&str]) {
        for needle in needles {
            assert!(yaml.contains(needle), "missing {needle} in\n{yaml}");
        }
    }

    #[test]
    fn renders_every_part_the_registry_needs() {
        let config = Config::default();
        for version in RegistryVersion::ALL {
            let yaml = render(&config, &options(*version, false));
            assert_has(
                &yaml,
                &[
                    "addr: \"127.0.0.1:5001\"",
                    "rootdirectory: \"/srv/registry\"",
                    "blobdescriptor: redis",
                    "realm: \"http://127.0.0.1:8080/v2/token\"",
                    "service: \"wharf-registry\"",
                    "issuer: \"wharf\"",
                    "rootcertbundle: ",
                    "token-bundle.crt",
                    "url: \"http://127.0.0.1:8080/v2/webhooks/events?replica=r1\"",
                    "Authorization: [\"Bearer n0tify\"]",
                    "addr: \"127.0.0.1:5002\"",
                    "secret: \"s3cret\"",
                ],
            );
            assert!(!yaml.contains("jwks"), "{yaml}");
        }
    }

    /// Registry 3 refuses 2.8's `redis.addr` (and panics without a valid `redis` block when the
    /// cache is redis); 2.8 knows no `addrs`.
    #[test]
    fn read_only_is_a_storage_maintenance_setting() {
        let config = Config::default();
        for version in RegistryVersion::ALL {
            let normal = render(&config, &options(*version, false));
            assert!(!normal.contains("maintenance"), "{normal}");
            let ro = render(
                &config,
                &ReplicaOptions {
                    read_only: true,
                    ..options(*version, false)
                },
            );
            assert_has(
                &ro,
                &["blobdescriptor: redis\n  maintenance:\n    readonly:\n      enabled: true\nredis:"],
            );
        }
    }

    #[test]
    fn redis_keys_follow_the_version() {
        let config = Config::default();
        let v2 = render(&config, &options(RegistryVersion::V2, false));
        assert_has(&v2, &["  addr: \"127.0.0.1:6379\"", "distribution 2.8"]);
        assert!(!v2.contains("addrs"), "{v2}");
        assert_has(&v2, &["mediatypes: [\"application/octet-stream\"]"]);
        let v3 = render(&config, &options(RegistryVersion::V3, false));
        assert_has(
            &v3,
            &[
                "  addrs: [\"127.0.0.1:6379\"]",
                "poolsize: 32",
                "maxidleconns: 16",
                "connmaxidletime: 300s",
                "mediatypes: [\"application/octet-stream\"]",
                "distribution 3.x",
            ],
        );
        assert!(!v3.contains("  addr: \"127.0.0.1:6379\""), "{v3}");
    }

    #[test]
    fn jwks_sits_beside_the_bundle_and_replaces_it_for_kid_tokens() {
        let mut config = Config::default();
        let mut opts = options(RegistryVersion::V3, true);
        opts.bundle = Some(Path::new("/var/lib/wharf/token-bundle.crt"));
        let x5c = render(&config, &opts);
        assert_has(
            &x5c,
            &[
                "rootcertbundle: \"/var/lib/wharf/token-bundle.crt\"",
                "jwks: \"/var/lib/wharf/token-jwks.json\"",
            ],
        );
        config.token_header = TokenHeader::Kid;
        let kid = render(&config, &opts);
        assert!(kid.contains("jwks: ") && !kid.contains("rootcertbundle"), "{kid}");
        assert!(check(&config, RegistryVersion::V3, true).is_ok());
        assert!(
            check(&config, RegistryVersion::V2, false).is_err(),
            "2.8 cannot use kid"
        );
        config.token_header = TokenHeader::X5c;
        assert!(check(&config, RegistryVersion::V2, true).is_err(), "2.8 has no jwks");
        assert!(check(&config, RegistryVersion::V2, false).is_ok());
    }

    /// libtrust ids: registry 2.8 finds them among its bundle's keys, registry 3 only in the
    /// JWKS, which its file then trusts even when `--jwks` was not given.
    #[test]
    fn libtrust_kid_tokens_use_the_bundle_on_2_8_and_the_jwks_on_3() {
        let config = Config {
            token_header: TokenHeader::LibtrustKid,
            ..Config::default()
        };
        let v2 = render(&config, &options(RegistryVersion::V2, false));
        assert!(v2.contains("rootcertbundle: ") && !v2.contains("jwks: "), "{v2}");
        assert!(check(&config, RegistryVersion::V2, false).is_ok());
        for jwks in [false, true] {
            let v3 = render(&config, &options(RegistryVersion::V3, jwks));
            assert!(v3.contains("jwks: ") && !v3.contains("rootcertbundle"), "{v3}");
            assert!(check(&config, RegistryVersion::V3, jwks).is_ok());
        }
    }
}
