//! Registry commands: replicas, the load balancer configuration, sync, and reading back what
//! wharf knows (repositories, tags, replica health, activity). `--json` output is stable: the
//! field names are those of the DTOs in `wharf_app::domain::dto`.

use std::net::SocketAddr;

use clap::{Args, Subcommand};
use serde::Serialize;
use wharf_app::backend::config::Config;
use wharf_app::backend::services::{
    activity as activity_service, registries as registry_service, repositories as repository_service,
    tags as tag_service, Caller,
};
use wharf_app::backend::store::registries;
use wharf_app::backend::sync::Progress;
use wharf_app::backend::AppState;
use wharf_app::domain::{AppError, RegistryVersion, RepositoryName, SyncStrategy, TagName};

use super::CliError;
use crate::startup;
use wharf_app::backend::deploy::keepalived::{self, KeepalivedOptions, Node};
use wharf_app::backend::deploy::nginx::{self, LbOptions};

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Add a registry (or change its public endpoint).
    Add {
        name: String,
        /// `host:port` users give to docker login (the load balancer).
        #[arg(long = "public")]
        public_host: String,
    },
    /// Manage the replicas behind a registry's load balancer.
    #[command(subcommand)]
    Replica(ReplicaCommand),
    /// Each replica: up/down, last probe, last notification received.
    Status {
        #[arg(long)]
        json: bool,
        /// Probe every replica now instead of showing the last stored result.
        #[arg(long)]
        probe: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReplicaCommand {
    /// Add a replica (or update the one with this URL).
    Add {
        /// The registry's name.
        registry: String,
        /// `http://host:port` of the replica.
        url: String,
        /// `http://host:port` of the replica's debug server (`/debug/health`).
        #[arg(long)]
        debug_url: Option<String>,
        /// Replica name (default: host:port).
        #[arg(long)]
        name: Option<String>,
        /// The registry release it runs: 2 (distribution 2.8) or 3 (default for a new replica).
        #[arg(long)]
        registry_version: Option<RegistryVersion>,
    },
    /// Remove a replica.
    Remove { registry: String, url: String },
}

#[derive(Debug, Args)]
pub struct LbConfigArgs {
    /// Address nginx listens on (the registry's public endpoint).
    #[arg(long)]
    pub listen: SocketAddr,
    /// Registry whose replicas to balance.
    #[arg(long, default_value = registries::DEFAULT_REGISTRY)]
    pub registry: String,
    /// Replica `host:port` (repeatable); default: the registry's replicas in wharf's database.
    #[arg(long = "replica")]
    pub replicas: Vec<String>,
    /// Print a complete nginx.conf to run with `nginx -p DIR -c FILE`.
    #[arg(long)]
    pub standalone: bool,
    /// Terminate TLS with this certificate (PEM, full chain); needs --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// wharf's `host:port`: serve its token endpoint and console under the registry's public
    /// name too (one name for `docker login` and the browser).
    #[arg(long)]
    pub wharf: Option<String>,
    /// DNS server nginx re-resolves replica names with while running (Kubernetes pods change
    /// addresses), e.g. `kube-dns.kube-system.svc.cluster.local`; needs nginx ≥ 1.27.3.
    #[arg(long)]
    pub resolver: Option<String>,
}

#[derive(Debug, Args)]
pub struct KeepalivedConfigArgs {
    /// This node's role in the pair: primary or backup.
    #[arg(long)]
    pub node: Node,
    /// The virtual IP users reach the registry at, with its prefix (10.0.0.100/24).
    #[arg(long)]
    pub vip: String,
    /// Network interface that carries the virtual IP.
    #[arg(long)]
    pub interface: String,
    /// VRRP router id (1-255), the same on both nodes.
    #[arg(long, default_value_t = 51)]
    pub router_id: u8,
    /// File holding the VRRP password (at most 8 characters), the same on both nodes.
    #[arg(long)]
    pub password_file: std::path::PathBuf,
    /// The URL of this node's nginx health path (`/lb-health` of `wharf lb-config`).
    #[arg(long)]
    pub check_url: String,
    /// Use unicast VRRP to this peer (where multicast is filtered); needs --unicast-src.
    #[arg(long, requires = "unicast_src")]
    pub unicast_peer: Option<std::net::IpAddr>,
    /// This node's own address for unicast VRRP.
    #[arg(long, requires = "unicast_peer")]
    pub unicast_src: Option<std::net::IpAddr>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Print the run's summary as JSON (and no progress bar).
    #[arg(long)]
    pub json: bool,
    /// Override `sync_strategy`.
    #[arg(long)]
    pub strategy: Option<SyncStrategy>,
    /// Remove what the registry no longer has even beyond `sync_max_delete_share`.
    #[arg(long)]
    pub confirm_deletions: bool,
    /// Only read the registry as a sync would (same requests, same concurrency) and print the
    /// counts; nothing is written or recorded. The baseline for the sync benchmark.
    #[arg(long)]
    pub read_only: bool,
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Repositories, with tag and pull counts; orphans show namespace "-".
    List {
        #[arg(long)]
        namespace: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Forget an empty repository (the registry keeps its directory; a push brings it back).
    Remove { name: String },
    /// Adopt the orphan repositories NAMESPACE/… into the namespace NAMESPACE (`_`: those
    /// without a slash, into the global namespace). Nothing else ever adopts orphans.
    Adopt {
        namespace: String,
        /// Create the namespace (private) in this team when it does not exist; when it does,
        /// it must belong to this team.
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TagCommand {
    /// Tags of NS/REPO.
    List {
        repository: String,
        #[arg(long)]
        json: bool,
    },
    /// Delete NS/REPO:TAG from the registry (with every tag sharing its digest).
    Delete {
        reference: String,
        /// Delete without asking (scripts); otherwise the tags that go are listed first.
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// The newest entries of the audit log.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u64,
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn print_json(value: &impl Serialize) -> Result<(), CliError> {
    let s = serde_json::to_string_pretty(value).map_err(|e| CliError::Usage(e.to_string()))?;
    println!("{s}");
    Ok(())
}

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// `2026-11-28T01:02:03.123+00:00` → `2026-11-28 01:02:03`
fn short_time(s: Option<&str>) -> String {
    s.map_or("-".into(), |s| s.get(..19).unwrap_or(s).replace('T', " "))
}

pub async fn registry(config: &Config, cmd: RegistryCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    match cmd {
        RegistryCommand::Add { name, public_host } => {
            let r = registry_service::add_registry(&state, &operator, &name, &public_host).await?;
            println!("registry {} at {}", r.name, r.public_host);
        }
        RegistryCommand::Replica(ReplicaCommand::Add {
            registry,
            url,
            debug_url,
            name,
            registry_version,
        }) => {
            let new = registry_service::NewReplica {
                registry: &registry,
                url: &url,
                debug_url: debug_url.as_deref(),
                name: name.as_deref(),
                registry_version,
            };
            let r = registry_service::add_replica(&state, &operator, &new).await?;
            println!(
                "replica {} ({}, registry {}) added to {registry}",
                r.name, r.url, r.registry_version
            );
        }
        RegistryCommand::Replica(ReplicaCommand::Remove { registry, url }) => {
            registry_service::remove_replica(&state, &operator, &registry, &url).await?;
            println!("replica {url} removed from {registry}");
        }
        RegistryCommand::Status { json, probe } => {
            let status = registry_service::replica_status(&state, &operator, probe).await?;
            if json {
                return print_json(&status);
            }
            println!(
                "{:<12} {:<22} {:<28} {:<8} {:<20} {:<20} ERROR",
                "REGISTRY", "REPLICA", "URL", "STATUS", "LAST PROBE", "LAST EVENT"
            );
            for r in status {
                println!(
                    "{:<12} {:<22} {:<28} {:<8} {:<20} {:<20} {}",
                    r.registry,
                    r.name,
                    r.url,
                    r.status,
                    short_time(r.last_probe_at.as_deref()),
                    short_time(r.last_event_at.as_deref()),
                    or_dash(r.last_error.as_deref())
                );
            }
        }
    }
    Ok(())
}

pub async fn lb_config(config: &Config, args: LbConfigArgs) -> Result<(), CliError> {
    let replicas = if args.replicas.is_empty() {
        let db = startup::open_database(config).await?;
        let reg = registries::require(&db, &args.registry).await?;
        let mut urls: Vec<String> = registries::replicas(&db, Some(reg.id))
            .await?
            .into_iter()
            .map(|r| registries::name_from_url(&r.url))
            .collect();
        urls.sort();
        urls
    } else {
        args.replicas
    };
    if replicas.is_empty() {
        return Err(CliError::Usage(format!(
            "registry {} has no replicas: add them with `wharf registry replica add` or pass --replica",
            args.registry
        )));
    }
    if let Some(r) = replicas.iter().find(|r| !nginx::valid_replica(r)) {
        return Err(CliError::Usage(format!("replica {r:?}: give host:port")));
    }
    if let Some(w) = args.wharf.as_deref().filter(|w| !nginx::valid_replica(w)) {
        return Err(CliError::Usage(format!("--wharf {w:?}: give host:port")));
    }
    if let Some(r) = args.resolver.as_deref().filter(|r| !nginx::valid_replica(r)) {
        return Err(CliError::Usage(format!(
            "--resolver {r:?}: give a host name or address"
        )));
    }
    let tls = args.tls_cert.as_deref().zip(args.tls_key.as_deref());
    print!(
        "{}",
        nginx::render(&LbOptions {
            listen: args.listen,
            replicas: &replicas,
            standalone: args.standalone,
            tls,
            wharf: args.wharf.as_deref(),
            resolver: args.resolver.as_deref(),
        })
    );
    Ok(())
}

pub fn keepalived_config(args: KeepalivedConfigArgs) -> Result<(), CliError> {
    let password = std::fs::read_to_string(&args.password_file)
        .map_err(|e| CliError::Usage(format!("reading {}: {e}", args.password_file.display())))?;
    let conf = keepalived::render(&KeepalivedOptions {
        node: args.node,
        vip: &args.vip,
        interface: &args.interface,
        router_id: args.router_id,
        password: password.trim_end_matches(['\n', '\r']),
        check_url: &args.check_url,
        unicast_peer: args.unicast_peer,
        unicast_src: args.unicast_src,
    })
    .map_err(|e| CliError::Usage(e.to_string()))?;
    print!("{conf}");
    Ok(())
}

pub async fn sync(config: &Config, args: SyncArgs) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    if args.read_only {
        let (repos, tags, failures) = registry_service::read_catalog(&state, &operator).await?;
        if args.json {
            return print_json(&serde_json::json!({"repositories": repos, "tags": tags, "failures": failures}));
        }
        println!("read {repos} repositories and {tags} tags ({failures} failures); nothing written");
        return Ok(());
    }
    let request = registry_service::SyncRequest {
        confirm_deletions: args.confirm_deletions,
        strategy: args.strategy,
    };
    let bar = if args.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(0)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} syncing [{bar:40}] {pos}/{len} repositories ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let progress = {
        let bar = bar.clone();
        move |p: Progress| {
            bar.set_length(p.repositories_total);
            bar.set_position(p.repositories_done);
        }
    };
    let summary = registry_service::sync(&state, &operator, &request, &progress).await?;
    bar.finish_and_clear();
    if args.json {
        print_json(&summary)?;
    } else {
        println!(
            "sync {} {} via {}: {} repositories, {} tags seen; {} added, {} updated, {} removed{}",
            summary.id,
            summary.status,
            or_dash(summary.replica_url.as_deref()),
            summary.repositories_seen,
            summary.tags_seen,
            summary.tags_added,
            summary.tags_updated,
            summary.tags_removed,
            if summary.removals_held > 0 {
                format!(", {} removals held for confirmation", summary.removals_held)
            } else {
                String::new()
            }
        );
        for e in &summary.errors {
            eprintln!("  {e}");
        }
    }
    match summary.status.as_str() {
        "failed" => Err(CliError::Usage("sync failed".into())),
        _ => Ok(()),
    }
}

pub async fn repo(config: &Config, cmd: RepoCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    let (namespace, json) = match cmd {
        RepoCommand::List { namespace, json } => (namespace, json),
        RepoCommand::Remove { name } => {
            repository_service::remove(&state, &operator, &name).await?;
            println!("repository {name} removed");
            return Ok(());
        }
        RepoCommand::Adopt { namespace, team, json } => {
            return adopt(&state, &operator, &namespace, team.as_deref(), json).await
        }
    };
    let rows = repository_service::list(&state, &operator, namespace.as_deref()).await?;
    if json {
        return print_json(&rows);
    }
    println!(
        "{:<40} {:<16} {:>5} {:>7} {:<20}",
        "REPOSITORY", "NAMESPACE", "TAGS", "PULLS", "UPDATED"
    );
    for r in rows {
        let ns = match &r.namespace {
            Some(n) if n.is_empty() => "(global)".to_owned(),
            Some(n) => n.clone(),
            None => "- (orphan)".to_owned(),
        };
        println!(
            "{:<40} {:<16} {:>5} {:>7} {:<20}",
            r.name,
            ns,
            r.tags,
            r.pulls,
            short_time(Some(&r.updated_at))
        );
    }
    Ok(())
}

async fn adopt(
    state: &AppState,
    operator: &Caller,
    namespace: &str,
    team: Option<&str>,
    json: bool,
) -> Result<(), CliError> {
    // `_` names the global namespace on the command line.
    let namespace = if namespace == "_" { "" } else { namespace };
    let done = registry_service::adopt_orphans(state, operator, namespace, team).await?;
    if json {
        return print_json(&done);
    }
    let into = if done.namespace.is_empty() {
        "(global)"
    } else {
        &done.namespace
    };
    if done.created {
        println!("namespace {into} created");
    }
    println!("{} orphan repositories adopted into {into}", done.repositories.len());
    for r in &done.repositories {
        println!("  {r}");
    }
    Ok(())
}

fn parse_reference(reference: &str) -> Result<(RepositoryName, TagName), AppError> {
    let (repo, tag) = reference
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .ok_or_else(|| AppError::BadRequest(format!("{reference:?}: give NAMESPACE/REPOSITORY:TAG")))?;
    Ok((RepositoryName::try_from(repo)?, TagName::try_from(tag.to_owned())?))
}

pub async fn tag(config: &Config, cmd: TagCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    match cmd {
        TagCommand::List { repository, json } => {
            let rows = tag_service::list(&state, &operator, &repository).await?;
            if json {
                return print_json(&rows);
            }
            println!(
                "{:<20} {:<19} {:>10} {:<12} {:<20} {:>6} {:<20} MEDIA TYPE",
                "TAG", "DIGEST", "SIZE", "PUSHED BY", "PUSHED AT", "PULLS", "LAST PULLED"
            );
            for t in rows {
                println!(
                    "{:<20} {:<19} {:>10} {:<12} {:<20} {:>6} {:<20} {}",
                    t.tag,
                    t.digest.get(..19).unwrap_or(&t.digest),
                    t.size,
                    or_dash(t.pushed_by.as_deref()),
                    short_time(Some(&t.pushed_at)),
                    t.pulls,
                    short_time(t.last_pulled_at.as_deref()),
                    t.media_type
                );
            }
        }
        TagCommand::Delete { reference, yes, json } => {
            let (repo, tag) = parse_reference(&reference)?;
            let plan = tag_service::preview_delete(&state, &operator, repo.as_str(), tag.as_str()).await?;
            if !yes {
                eprintln!(
                    "deleting {reference} deletes manifest {} and with it the tags: {}",
                    plan.digest,
                    plan.tags.join(", ")
                );
                return Err(CliError::Usage("add --yes to delete them".into()));
            }
            let confirmed = Some(plan.digest.as_str());
            let done = tag_service::delete(&state, &operator, repo.as_str(), tag.as_str(), confirmed).await?;
            if json {
                return print_json(&done);
            }
            println!(
                "deleted {} ({}): tags {}",
                done.repository,
                done.digest,
                done.tags.join(", ")
            );
        }
    }
    Ok(())
}

pub async fn activity_list(config: &Config, cmd: ActivityCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let ActivityCommand::List { limit, json } = cmd;
    let filter = wharf_app::domain::dto::ActivityFilter::default();
    let rows = activity_service::newest(&state, &Caller::operator(), &filter, limit.clamp(1, 10_000)).await?;
    if json {
        return print_json(&rows);
    }
    println!("{:<20} {:<14} {:<16} {:<40} DETAILS", "AT", "ACTOR", "KIND", "TARGET");
    for a in rows {
        println!(
            "{:<20} {:<14} {:<16} {:<40} {}",
            short_time(Some(&a.at)),
            a.actor,
            a.kind,
            a.target,
            a.details
        );
    }
    Ok(())
}
