//! The `wharf` command line. Scripts and tests depend on these commands; keep them stable.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use wharf_app::backend::config::{Config, LogFormat};
use wharf_app::backend::services::{namespaces, teams, tokens, users, Caller};
use wharf_app::backend::store::registries;
use wharf_app::backend::token::keys;
use wharf_app::domain::{RegistryVersion, Role, Visibility};

use wharf_app::backend::deploy::registry_yaml::{
    self, ReplicaOptions, HTTP_SECRET_PLACEHOLDER, NOTIFICATION_SECRET_PLACEHOLDER, PUBLIC_URL_PLACEHOLDER,
    REPLICA_NAME_PLACEHOLDER,
};

mod registry;
mod retention;
use crate::startup;

#[derive(Debug, Parser)]
#[command(
    name = "wharf",
    version,
    about = "Access control and a web console for Docker registries"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalFlags,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags that override the configuration file and `WHARF_*` variables.
#[derive(Debug, Args, Serialize)]
pub struct GlobalFlags {
    /// Configuration file (default: ./wharf.toml when present).
    #[arg(long, global = true)]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and the signing key.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `sqlite://…` or `postgres://…`.
    #[arg(long, global = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (token service, notifications, console).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage teams.
    #[command(subcommand)]
    Team(TeamCommand),
    /// Manage namespaces.
    #[command(subcommand)]
    Namespace(NamespaceCommand),
    /// Manage application tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the token signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Print a registry config.yml for one replica that trusts this wharf (and record the
    /// replica, so a single-registry install needs nothing else).
    RegistryConfig(RegistryConfigArgs),
    /// Registries, their replicas and their health.
    #[command(subcommand)]
    Registry(registry::RegistryCommand),
    /// Print an nginx configuration that balances the registry replicas.
    LbConfig(registry::LbConfigArgs),
    /// Print keepalived.conf for one of two load-balancer nodes sharing a virtual IP.
    KeepalivedConfig(registry::KeepalivedConfigArgs),
    /// Ask the running server on `listen` whether it is live (or ready): exit status 0 if so.
    /// For container health checks in images without curl.
    HealthCheck {
        /// Check `/health/ready` (database, migrations, a healthy replica) instead of `/health/live`.
        #[arg(long)]
        ready: bool,
    },
    /// Reconcile the database with the registry once, with a progress bar and a summary.
    Sync(registry::SyncArgs),
    /// Repositories wharf knows.
    #[command(subcommand)]
    Repo(registry::RepoCommand),
    /// Tags of a repository.
    #[command(subcommand)]
    Tag(registry::TagCommand),
    /// The audit log.
    #[command(subcommand)]
    Activity(registry::ActivityCommand),
    /// Tag retention: a namespace's policy, what it would delete, and runs.
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// Check the configuration (file, `WHARF_*` variables, flags) and list the files `serve`
    /// reads and writes as it starts, and whether each is there. Reads none of them.
    CheckConfig {
        /// One JSON array: `path`, `usage` (`reads`, `creates-if-missing`, `writes`), `what`,
        /// `exists`.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Serialize)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// URL registries and clients use to reach wharf.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user (and their personal namespace); the password is read from stdin.
    Add {
        name: String,
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        email: Option<String>,
        /// Read the password from standard input (required: never pass it as an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Disable a user: they can no longer sign in, and their tokens stop working.
    Disable { name: String },
    /// Enable a disabled user.
    Enable { name: String },
}

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Create a team with its first owner.
    Add {
        name: String,
        #[arg(long)]
        owner: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Manage team members.
    #[command(subcommand)]
    Member(MemberCommand),
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a member, or change their role.
    Add {
        team: String,
        user: String,
        #[arg(long)]
        role: Role,
    },
}

#[derive(Debug, Subcommand)]
pub enum NamespaceCommand {
    /// Create a namespace owned by a team.
    Add {
        name: String,
        #[arg(long)]
        team: String,
        #[arg(long, default_value = "private")]
        visibility: Visibility,
        #[arg(long, default_value = "")]
        description: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an application token for a user and print it (shown only once).
    Add {
        user: String,
        name: String,
        #[arg(long)]
        read_only: bool,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires: Option<u32>,
    },
    /// List a user's application tokens.
    List { user: String },
    /// Revoke (delete) an application token by name.
    Revoke { user: String, name: String },
    /// List the devices (docker logins holding a refresh token) of a user.
    Devices { user: String },
    /// Revoke a device's refresh token by id (from `token devices`).
    RevokeDevice { user: String, id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new signing key; the previous certificate stays in the bundle so tokens
    /// it signed stay valid. Restart the registries to load the new bundle, then wharf.
    Rotate,
    /// Print the key id and the bundle path.
    Show,
}

#[derive(Debug, Args)]
pub struct RegistryConfigArgs {
    /// Address the registry replica listens on.
    #[arg(long)]
    pub listen: SocketAddr,
    /// Storage directory (shared by all replicas).
    #[arg(long)]
    pub storage: PathBuf,
    /// Debug/health address (unique per replica).
    #[arg(long)]
    pub debug_addr: Option<SocketAddr>,
    /// Redis address for the shared blob-descriptor cache (host:port).
    #[arg(long)]
    pub redis: Option<String>,
    /// `http.secret` shared by all replicas (default: one kept in wharf's data dir).
    #[arg(long)]
    pub http_secret: Option<String>,
    /// URL registries use to reach wharf (overrides `public_url`).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Replica name recorded in wharf and sent with its notifications (default: host:port).
    #[arg(long)]
    pub name: Option<String>,
    /// Registry the replica belongs to; created with `registry_host` (or the replica's
    /// address) as its public endpoint when it does not exist.
    #[arg(long, default_value = "default")]
    pub registry: String,
    /// Print a template for deployment files instead: nothing is read from or written to
    /// wharf's database or data directory; the secrets become `__WHARF_NOTIFICATION_SECRET__`
    /// and `__REGISTRY_HTTP_SECRET__` (and the replica name, without --name,
    /// `__REPLICA_NAME__`), to be filled in when the replica starts.
    #[arg(long)]
    pub template: bool,
    /// Path of wharf's certificate bundle as the registry sees it (default: in wharf's data dir).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Base URL the replica sends notifications to when it reaches wharf by an internal name
    /// (e.g. `http://wharf:8080`); default: the public URL.
    #[arg(long)]
    pub notify_url: Option<String>,
    /// The registry release the file is for: 3 (distribution 3.x, `registry:3`) or 2
    /// (distribution 2.8, Debian's `docker-registry`). Remembered with the replica.
    #[arg(long, default_value = "3")]
    pub registry_version: RegistryVersion,
    /// Registry 3: trust wharf's keys from the JWKS beside the bundle (`auth.token.jwks`); with
    /// `token_header = "kid"` the bundle is then left out. With `token_header = "libtrust-kid"`
    /// a registry 3 file always trusts the JWKS alone (its bundle keys have no libtrust ids).
    #[arg(long)]
    pub jwks: bool,
    /// Maintenance mode, for garbage collection: pulls work, pushes and deletes are refused
    /// (`storage.maintenance.readonly`). See deploy/README.md, "Freeing disk space".
    #[arg(long)]
    pub read_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Config(#[from] wharf_app::backend::config::ConfigError),
    #[error("{0}")]
    Start(#[from] startup::StartError),
    #[error("{0}")]
    App(#[from] wharf_app::domain::AppError),
    #[error("{0}")]
    Key(#[from] keys::KeyError),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// How the `wharf` command ends, for scripts: 0 done, 1 an internal failure, 2 wrong usage or
/// input (clap's own code for bad arguments), 3 not found or refused (unknown name, a conflict,
/// not allowed), 4 unavailable (the database, a registry or a file cannot be reached: retry).
impl CliError {
    pub fn exit_code(&self) -> u8 {
        use wharf_app::domain::AppError;
        let of_app = |e: &AppError| match e {
            AppError::BadRequest(_)
            | AppError::PayloadTooLarge(_)
            | AppError::MethodNotAllowed(_)
            | AppError::UnsupportedMediaType(_)
            | AppError::Unprocessable(_) => 2,
            AppError::NotFound(_) | AppError::Conflict(_) | AppError::Forbidden(_) | AppError::Unauthorized(_) => 3,
            AppError::Unavailable(_) | AppError::TooManyRequests(_) | AppError::Transport(_) => 4,
            AppError::Internal { .. } => 1,
        };
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::App(e) | CliError::Start(startup::StartError::App(e)) => of_app(e),
            CliError::Start(startup::StartError::Database { .. } | startup::StartError::Io(_)) | CliError::Io(_) => 4,
            CliError::Start(startup::StartError::Key(_)) | CliError::Key(_) => 1,
        }
    }
}

#[derive(Serialize)]
struct Overrides<'a> {
    #[serde(flatten)]
    global: &'a GlobalFlags,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    serve: Option<&'a ServeArgs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<&'a str>,
}

fn init_tracing(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn read_password_stdin() -> Result<String, CliError> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let pw = s.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        return Err(CliError::Usage("no password on standard input".into()));
    }
    Ok(pw)
}

/// `wharf check-config`: the start files, for people and for the deployment checks.
fn check_config(config: &Config, json: bool) -> Result<(), CliError> {
    use wharf_app::backend::start_files::{start_files, FileUse};
    let usage = |u: FileUse| match u {
        FileUse::Reads => "reads",
        FileUse::CreatesIfMissing => "creates-if-missing",
        FileUse::Writes => "writes",
    };
    let files = start_files(config);
    if json {
        let rows: Vec<_> = files
            .iter()
            .map(|f| {
                serde_json::json!({
                    "path": f.path,
                    "usage": usage(f.usage),
                    "what": f.what,
                    "exists": f.path.exists(),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!("configuration is valid; at start wharf");
    for f in &files {
        let state = if f.path.exists() { "present" } else { "missing" };
        println!("  {:<18} {} ({}, {state})", usage(f.usage), f.path.display(), f.what);
    }
    Ok(())
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let serve_args = match &cli.command {
        Command::Serve(a) => Some(a),
        _ => None,
    };
    let rc_public_url = match &cli.command {
        Command::RegistryConfig(a) => a.public_url.as_deref(),
        _ => None,
    };
    let overrides = Overrides {
        global: &cli.global,
        serve: serve_args,
        public_url: rc_public_url,
    };
    if let Command::CheckConfig { json } = cli.command {
        let config = Config::layered(cli.global.config.as_deref(), overrides)?;
        return check_config(&config, json);
    }
    let config = Config::load(cli.global.config.as_deref(), overrides)?;
    init_tracing(&config.log, config.log_format);

    match cli.command {
        Command::Serve(_) => crate::serve::serve(config).await,
        Command::Migrate => {
            startup::open_database(&config).await?;
            println!("database is up to date");
            Ok(())
        }
        Command::User(cmd) => user_command(&config, cmd).await,
        Command::Team(cmd) => team_command(&config, cmd).await,
        Command::Namespace(NamespaceCommand::Add {
            name,
            team,
            visibility,
            description,
        }) => {
            let state = startup::cli_state(&config).await?;
            let new = namespaces::NewNamespace {
                team: team.clone(),
                name,
                visibility,
                description,
            };
            let name = namespaces::create(&state, &Caller::operator(), new).await?;
            println!("namespace {name} created for team {} ({visibility})", team.trim());
            Ok(())
        }
        Command::Token(cmd) => token_command(&config, cmd).await,
        Command::Registry(cmd) => registry::registry(&config, cmd).await,
        Command::LbConfig(args) => registry::lb_config(&config, args).await,
        Command::KeepalivedConfig(args) => registry::keepalived_config(args),
        Command::HealthCheck { ready } => health_check(&config, ready).await,
        Command::Sync(args) => registry::sync(&config, args).await,
        Command::Repo(cmd) => registry::repo(&config, cmd).await,
        Command::Tag(cmd) => registry::tag(&config, cmd).await,
        Command::Activity(cmd) => registry::activity_list(&config, cmd).await,
        Command::Retention(cmd) => retention::retention_command(&config, cmd).await,
        Command::CheckConfig { .. } => Ok(()),
        Command::Key(KeyCommand::Rotate) => {
            std::fs::create_dir_all(config.key_dir())?;
            let paths = keys::KeyPaths::in_dir(config.key_dir());
            keys::generate(&paths, config.signing_algorithm, &config.issuer)?;
            let key = keys::load(&paths, config.token_header)?;
            println!(
                "new signing key {}; bundle {}, JWKS {}",
                key.kid(),
                paths.bundle.display(),
                paths.jwks.display()
            );
            println!("restart the registries (to load the bundle or JWKS), then wharf");
            Ok(())
        }
        Command::Key(KeyCommand::Show) => {
            let key = startup::signing_key(&config)?;
            println!("kid: {}", key.kid());
            let paths = keys::KeyPaths::in_dir(config.key_dir());
            println!("bundle: {}", paths.bundle.display());
            println!("jwks: {}", paths.jwks.display());
            Ok(())
        }
        Command::RegistryConfig(args) => registry_config(&config, args).await,
    }
}

async fn health_check(config: &Config, ready: bool) -> Result<(), CliError> {
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let scheme = if config.tls_cert.is_some() { "https" } else { "http" };
    let path = if ready { "ready" } else { "live" };
    let url = format!("{scheme}://{addr}/health/{path}");
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        // The certificate names the public host, not the loopback address asked here.
        .danger_accept_invalid_certs(true)
        .build()
        .map_err(|e| CliError::Usage(format!("http client: {e}")))?;
    let resp = client
        .get(&url)
        .send()
        .await
        .map_err(|e| CliError::Usage(format!("{url}: {e}")))?;
    if !resp.status().is_success() {
        return Err(CliError::Usage(format!("{url}: {}", resp.status())));
    }
    println!("{url}: {}", resp.status());
    Ok(())
}

async fn registry_config(config: &Config, args: RegistryConfigArgs) -> Result<(), CliError> {
    if args.http_secret.as_deref() == Some("") {
        return Err(CliError::Usage("--http-secret must not be empty".into()));
    }
    if args
        .redis
        .as_deref()
        .is_some_and(|r| r.parse::<SocketAddr>().is_err() && !r.contains(':'))
    {
        return Err(CliError::Usage("--redis must be host:port".into()));
    }
    if args.debug_addr == Some(args.listen) {
        return Err(CliError::Usage("--debug-addr must differ from --listen".into()));
    }
    if let Some(u) = &args.notify_url {
        let ok = url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            return Err(CliError::Usage(format!("--notify-url {u:?}: give an http(s) URL")));
        }
    }
    let mut config = config.clone();
    registry_yaml::check(&config, args.registry_version, args.jwks).map_err(CliError::Usage)?;
    if args.template && args.public_url.is_none() {
        config.public_url = PUBLIC_URL_PLACEHOLDER.into();
    }
    let config = &config;
    let (http_secret, notification_secret, replica_name) = if args.template {
        (
            args.http_secret.unwrap_or_else(|| HTTP_SECRET_PLACEHOLDER.into()),
            NOTIFICATION_SECRET_PLACEHOLDER.to_owned(),
            args.name.clone().unwrap_or_else(|| REPLICA_NAME_PLACEHOLDER.into()),
        )
    } else {
        // Make sure the key and bundle exist before a registry is pointed at them.
        startup::signing_key(config)?;
        let http_secret = match args.http_secret {
            Some(s) => s,
            None => startup::registry_http_secret(config)?,
        };
        let notification_secret = startup::notification_secret(config)?;
        // Record the replica, so probes, sync and event attribution work without more steps.
        let db = startup::open_database(config).await?;
        let public_host = config.registry_host.clone().unwrap_or_else(|| args.listen.to_string());
        let reg = match registries::find(&db, &args.registry).await? {
            Some(r) => r,
            None => {
                let reg = registries::upsert(&db, &args.registry, &public_host).await?;
                // Said on stderr, so the YAML on stdout stays clean: the pull/push lines in the
                // console use this endpoint until it is changed.
                eprintln!(
                    "registry {:?} created with public endpoint {public_host} (what users docker login to); \
                     change it with `wharf registry add {} --public HOST:PORT`",
                    reg.name, reg.name
                );
                reg
            }
        };
        let replica = registries::upsert_replica(
            &db,
            &reg,
            args.name.as_deref(),
            &format!("http://{}", args.listen),
            args.debug_addr.map(|a| format!("http://{a}")).as_deref(),
            Some(args.registry_version),
        )
        .await?;
        (http_secret, notification_secret, replica.name)
    };
    print!(
        "{}",
        registry_yaml::render(
            config,
            &ReplicaOptions {
                version: args.registry_version,
                jwks: args.jwks,
                listen: args.listen,
                storage: &args.storage,
                debug_addr: args.debug_addr,
                redis: args.redis.as_deref(),
                http_secret: &http_secret,
                notification_secret: &notification_secret,
                replica_name: Some(&replica_name),
                bundle: args.bundle.as_deref(),
                notify_base: args.notify_url.as_deref(),
                read_only: args.read_only,
            },
        )
    );
    Ok(())
}

async fn user_command(config: &Config, cmd: UserCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    match cmd {
        UserCommand::Add {
            name,
            admin,
            email,
            password_stdin: _,
        } => {
            let new = users::NewUser {
                name,
                email: email.unwrap_or_default(),
                password: read_password_stdin()?,
                admin,
            };
            let user = users::create(&state, &operator, new).await?;
            println!("user {} created{}", user.name, if user.admin { " (admin)" } else { "" });
        }
        UserCommand::Disable { name } => {
            users::set_disabled(&state, &operator, &name, true).await?;
            println!("user {name} disabled");
        }
        UserCommand::Enable { name } => {
            users::set_disabled(&state, &operator, &name, false).await?;
            println!("user {name} enabled");
        }
    }
    Ok(())
}

async fn token_command(config: &Config, cmd: TokenCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    let fmt_time = |t: Option<&str>| {
        t.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string())
    };
    match cmd {
        TokenCommand::Add {
            user,
            name,
            read_only,
            expires,
        } => {
            let new = tokens::NewToken {
                of: Some(user),
                name,
                read_only,
                expires_in_days: expires,
            };
            let created = tokens::create(&state, &operator, new).await?;
            println!("{}", created.token);
        }
        TokenCommand::List { user } => {
            println!("{:<24} {:<10} {:<17} {:<17}", "NAME", "ACCESS", "EXPIRES", "LAST USED");
            for t in tokens::list(&state, &operator, Some(&user)).await? {
                let access = if t.read_only { "read-only" } else { "full" };
                println!(
                    "{:<24} {:<10} {:<17} {:<17}",
                    t.name,
                    access,
                    fmt_time(t.expires_at.as_deref()),
                    fmt_time(t.last_used_at.as_deref())
                );
            }
        }
        TokenCommand::Revoke { user, name } => {
            tokens::revoke(&state, &operator, Some(&user), &name).await?;
            println!("token {name} of {user} revoked");
        }
        TokenCommand::Devices { user } => {
            println!(
                "{:<6} {:<24} {:<17} {:<17} USER AGENT",
                "ID", "CLIENT", "CREATED", "LAST USED"
            );
            for d in tokens::devices(&state, &operator, Some(&user)).await? {
                println!(
                    "{:<6} {:<24} {:<17} {:<17} {}",
                    d.id,
                    d.client_id,
                    fmt_time(Some(&d.created_at)),
                    fmt_time(d.last_used_at.as_deref()),
                    d.user_agent
                );
            }
        }
        TokenCommand::RevokeDevice { user, id } => {
            tokens::revoke_device(&state, &operator, Some(&user), id).await?;
            println!("device {id} of {user} revoked");
        }
    }
    Ok(())
}

async fn team_command(config: &Config, cmd: TeamCommand) -> Result<(), CliError> {
    let state = startup::cli_state(config).await?;
    let operator = Caller::operator();
    match cmd {
        TeamCommand::Add {
            name,
            owner,
            description,
        } => {
            let new = teams::NewTeam {
                name,
                description,
                owner: Some(owner.clone()),
            };
            let name = teams::create(&state, &operator, new).await?;
            println!("team {name} created, owner {}", owner.trim());
        }
        TeamCommand::Member(MemberCommand::Add { team, user, role }) => {
            teams::set_member(&state, &operator, &team, &user, role).await?;
            println!("{} is now {role} of team {team}", user.trim());
        }
    }
    Ok(())
}
