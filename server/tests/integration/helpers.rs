//! Fixture builders: databases, a running wharf, the `wharf` CLI, a running registry.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use wharf_app::backend::config::Config;
pub use wharf_app::domain::RegistryVersion;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The first column of the one row `sql` returns (a count, a flag): what the tests read back
/// from the database to check what the server wrote.
pub async fn scalar<T: sea_orm::TryGetable>(db: &sea_orm::DatabaseConnection, sql: &str) -> T {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap_or_else(|| panic!("{sql}: no row"));
    row.try_get_by_index::<T>(0).unwrap_or_else(|e| panic!("{sql}: {e:?}"))
}

/// A database made for one test, dropped at the end (PostgreSQL) or with its directory.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn fresh(kind: DbKind, dir: &Path) -> TestDb {
        match kind {
            DbKind::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("wharf.db").display()),
                pg_name: None,
            },
            DbKind::Postgres => {
                let name = format!("wharf_test_{}", unique_suffix());
                let admin = Database::connect(PG_ADMIN_URL)
                    .await
                    .expect("PostgreSQL at 127.0.0.1:5432 (see README)");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create database");
                admin.close().await.ok();
                TestDb {
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temp dir).
    pub async fn drop_db(mut self) {
        if let Some(name) = self.pg_name.take() {
            drop_pg_database(&name).await;
        }
    }
}

async fn drop_pg_database(name: &str) {
    if let Ok(admin) = Database::connect(PG_ADMIN_URL).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
}

/// A test that panics never reaches `drop_db`: its database goes here, on a thread of its own
/// (the test's runtime may be the one unwinding).
impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let dropper = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    rt.block_on(drop_pg_database(&name));
                }
            });
            let _ = dropper.join();
        }
    }
}

pub fn unique_suffix() -> String {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).expect("random");
    hex::encode(b)
}

/// A free loopback port (bound then released; good enough on a quiet machine).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A wharf server running in this process, plus what is needed to run its CLI.
pub struct TestWharf {
    pub url: String,
    pub data_dir: PathBuf,
    pub db: TestDb,
    pub config: Config,
    /// The running server's shared state: its clock, caches and database, for tests that
    /// move time or wait for the server instead of sleeping.
    pub state: wharf_app::backend::AppState,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl TestWharf {
    pub async fn start(kind: DbKind) -> TestWharf {
        Self::start_with(kind, |_| {}).await
    }

    pub async fn start_with(kind: DbKind, tweak: impl FnOnce(&mut Config)) -> TestWharf {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let db = TestDb::fresh(kind, dir.path()).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let mut config = Config {
            listen: addr,
            public_url: url.clone(),
            data_dir: data_dir.clone(),
            database_url: Some(db.url.clone().into()),
            database_max_connections: 8,
            // Changes made through the CLI reach the server's caches quickly in tests.
            auth_sync_interval_ms: 50,
            // Tests start syncs themselves unless they say otherwise.
            sync_interval_secs: 0,
            retention_interval_secs: 0,
            probe_interval_secs: 1,
            leader_lease_secs: 3,
            ..Config::default()
        };
        tweak(&mut config);
        Self::launch(config, listener, db, dir).await
    }

    /// A second wharf process sharing this one's database and data dir (several wharf
    /// replicas behind one load balancer), listening on `port` (0: any).
    pub async fn start_peer(&self, port: u16, tweak: impl FnOnce(&mut Config)) -> TestWharf {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let mut config = self.config.clone();
        config.listen = listener.local_addr().unwrap();
        tweak(&mut config);
        let db = TestDb {
            url: self.db.url.clone(),
            pg_name: None,
        };
        Self::launch(config, listener, db, tempfile::tempdir().unwrap()).await
    }

    async fn launch(
        config: Config,
        listener: tokio::net::TcpListener,
        db: TestDb,
        dir: tempfile::TempDir,
    ) -> TestWharf {
        let addr = listener.local_addr().unwrap();
        let conn = wharf_server::startup::open_database(&config).await.expect("database");
        wharf_server::startup::record_declared_registries(&config, &conn)
            .await
            .expect("declared registries");
        wharf_server::startup::first_admin_setup(&config, &conn)
            .await
            .expect("setup token");
        let opts = leptos::prelude::LeptosOptions::builder()
            .output_name("wharf")
            .site_addr(addr)
            .build();
        let state = wharf_server::startup::state(config.clone(), conn, opts).expect("state");
        let background = wharf_server::startup::spawn_background(&state).expect("background jobs");
        let app = wharf_server::router::build(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        TestWharf {
            url: format!("http://{addr}"),
            data_dir: config.data_dir.clone(),
            db,
            config,
            state,
            _dir: dir,
            task,
            background,
        }
    }

    /// Stops serving and every background job (as if the process died), keeping the database.
    pub fn kill(&self) {
        self.task.abort();
        self.background.iter().for_each(|t| t.abort());
    }

    /// Runs the real `wharf` binary against this instance's database and data dir.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.args(args)
            .env("WHARF_DATA_DIR", &self.data_dir)
            .env("WHARF_DATABASE_URL", &self.db.url)
            .env("WHARF_PUBLIC_URL", &self.url)
            // The CLI signs and configures registries as the server does.
            .env(
                "WHARF_TOKEN_HEADER",
                serde_json::to_value(self.config.token_header)
                    .unwrap()
                    .as_str()
                    .unwrap(),
            )
            .env("WHARF_LOG", "warn")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The key may live outside the data dir (`key_dir`): the CLI uses the server's.
        if let Some(dir) = &self.config.key_dir {
            cmd.env("WHARF_KEY_DIR", dir);
        }
        let mut child = cmd.spawn().expect("run wharf");
        if let Some(input) = stdin {
            use tokio::io::AsyncWriteExt;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).await.unwrap();
            drop(pipe);
        }
        child.wait_with_output().await.unwrap()
    }

    /// Runs the CLI and insists it succeeds; returns stdout.
    pub async fn cli_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.cli(args, stdin).await;
        assert!(
            out.status.success(),
            "wharf {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub async fn add_user(&self, name: &str, password: &str, admin: bool) {
        let mut args = vec!["user", "add", name, "--password-stdin"];
        if admin {
            args.push("--admin");
        }
        self.cli_ok(&args, Some(password)).await;
    }

    /// Brings the server's caches up to date with changes made through the CLI (another
    /// process, as far as the server knows) now, instead of waiting for its watcher.
    pub async fn settle(&self) {
        self.state.auth_cache.sync(&self.state.db).await;
    }

    /// Moves the server's clock forward: backoffs, cached verifications, sessions, tokens
    /// and leases run out as if `by` had passed.
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    pub async fn stop(self) {
        self.kill();
        self.db.drop_db().await;
    }

    /// A connection to this instance's database, for checks the CLI does not offer.
    pub async fn connect(&self) -> sea_orm::DatabaseConnection {
        Database::connect(&self.db.url).await.unwrap()
    }

    /// `wharf tag list REPO --json`; empty when the repository is unknown.
    /// The `/metrics` page as text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn tags(&self, repo: &str) -> Vec<serde_json::Value> {
        let out = self.cli(&["tag", "list", repo, "--json"], None).await;
        if !out.status.success() {
            return Vec::new();
        }
        serde_json::from_slice::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// Runs the CLI with `--json` appended and parses its output.
    pub async fn cli_json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.cli_ok(&all, None).await;
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("wharf {args:?} printed non-JSON ({e}):\n{out}"))
    }
}

/// How a test registry replica is set up.
#[derive(Default)]
pub struct RegistryOpts<'a> {
    /// Storage shared with other replicas (default: a private directory).
    pub storage: Option<&'a Path>,
    /// Use the Redis on 127.0.0.1:6379 as the blob-descriptor cache.
    pub redis: bool,
    /// Replica name recorded in wharf.
    pub name: Option<&'a str>,
    /// Send notifications to this wharf URL instead of the one that configured it.
    pub notify_url: Option<&'a str>,
    /// Listen on this address instead of 127.0.0.1 (a bridge other network namespaces reach).
    pub listen_ip: Option<std::net::IpAddr>,
    /// Which registry release runs (default: 3, the current one).
    pub version: Option<RegistryVersion>,
    /// `registry-config --jwks`.
    pub jwks: bool,
    /// YAML appended to the generated file (top-level keys such as `catalog:`).
    pub extra_yaml: Option<&'a str>,
    /// `registry-config --read-only` (maintenance mode, for garbage collection).
    pub read_only: bool,
}

/// The registry binary of a release: Debian's `docker-registry` (2.8.2), or 3.1.1 built from
/// the released source by `scripts/registry3.sh` (cached; `REGISTRY3_BIN` overrides).
pub fn registry_binary(version: RegistryVersion) -> PathBuf {
    static V3: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    match version {
        RegistryVersion::V2 => PathBuf::from("docker-registry"),
        RegistryVersion::V3 => V3
            .get_or_init(|| {
                if let Some(bin) = std::env::var_os("REGISTRY3_BIN") {
                    return PathBuf::from(bin);
                }
                let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/registry3.sh");
                let out = Command::new("bash")
                    .arg(&script)
                    .stderr(Stdio::inherit())
                    .output()
                    .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
                assert!(out.status.success(), "{} failed", script.display());
                PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
            })
            .clone(),
    }
}

/// A registry process (2.8 or 3) configured by `wharf registry-config`.
pub struct TestRegistry {
    pub addr: SocketAddr,
    pub host: String,
    pub version: RegistryVersion,
    child: Child,
    pub log: PathBuf,
    /// The configuration file it runs with.
    pub config: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    pub async fn start(wharf: &TestWharf) -> TestRegistry {
        Self::start_with(wharf, RegistryOpts::default()).await
    }

    /// A registry of the given release, otherwise as [`TestRegistry::start`].
    pub async fn start_version(wharf: &TestWharf, version: RegistryVersion) -> TestRegistry {
        Self::start_with(
            wharf,
            RegistryOpts {
                version: Some(version),
                ..RegistryOpts::default()
            },
        )
        .await
    }

    pub async fn start_with(wharf: &TestWharf, opts: RegistryOpts<'_>) -> TestRegistry {
        let dir = tempfile::tempdir().unwrap();
        let ip = opts.listen_ip.unwrap_or(std::net::Ipv4Addr::LOCALHOST.into());
        let port = free_port();
        let debug_port = free_port();
        let addr = SocketAddr::new(ip, port);
        let own_storage = dir.path().join("storage");
        let storage = opts.storage.unwrap_or(&own_storage);
        let listen = addr.to_string();
        let debug = SocketAddr::new(ip, debug_port).to_string();
        let mut args = vec![
            "registry-config",
            "--listen",
            &listen,
            "--storage",
            storage.to_str().unwrap(),
            "--debug-addr",
            &debug,
        ];
        if opts.redis {
            args.extend(["--redis", "127.0.0.1:6379"]);
        }
        if let Some(name) = opts.name {
            args.extend(["--name", name]);
        }
        let version = opts.version.unwrap_or(RegistryVersion::V3);
        args.extend(["--registry-version", version.as_str()]);
        if opts.jwks {
            args.push("--jwks");
        }
        if opts.read_only {
            args.push("--read-only");
        }
        let mut yaml = wharf.cli_ok(&args, None).await;
        if let Some(extra) = opts.extra_yaml {
            yaml.push_str(extra);
        }
        if let Some(other) = opts.notify_url {
            let from = format!("{}/v2/webhooks/events", wharf.url);
            assert!(yaml.contains(&from), "{yaml}");
            yaml = yaml.replace(&from, &format!("{other}/v2/webhooks/events"));
        }
        let config = dir.path().join("config.yml");
        std::fs::write(&config, yaml).unwrap();
        let log = dir.path().join("registry.log");
        let child = Command::new(registry_binary(version))
            .arg("serve")
            .arg(&config)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::options().append(true).open(&log).unwrap())
            .spawn()
            .expect("the registry (scripts/install-tools.sh --test installs both versions)");
        let reg = TestRegistry {
            addr,
            host: addr.to_string(),
            version,
            child,
            log,
            config,
            _dir: dir,
        };
        reg.wait_ready().await;
        reg
    }

    /// Kills the replica (as a crash would).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = reqwest::Client::new();
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("http://{}/v2/", self.addr)).send().await {
                // Token auth: an unauthenticated /v2/ answers 401 with a Bearer challenge.
                assert_eq!(r.status(), 401, "registry should demand a token");
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("registry did not start:\n{}", self.log_text());
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a command without blocking the runtime, returning (success, stdout+stderr).
pub async fn run(cmd: &mut tokio::process::Command) -> (bool, String) {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Polls `check` every 200 ms until it returns `Some`, or panics after `secs` seconds.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// nginx in front of the replicas, configured by `wharf lb-config --standalone`.
pub struct TestNginx {
    pub addr: SocketAddr,
    child: Child,
    pub conf: String,
    _dir: tempfile::TempDir,
}

impl TestNginx {
    pub async fn start(wharf: &TestWharf) -> TestNginx {
        let dir = tempfile::tempdir().unwrap();
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let conf = wharf
            .cli_ok(&["lb-config", "--standalone", "--listen", &addr.to_string()], None)
            .await;
        std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, &conf).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (apt-get install nginx)");
        let nginx = TestNginx {
            addr,
            child,
            conf,
            _dir: dir,
        };
        eventually("nginx to listen", 10, || async {
            std::net::TcpStream::connect(addr).ok().map(|_| ())
        })
        .await;
        nginx
    }
}

impl Drop for TestNginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
