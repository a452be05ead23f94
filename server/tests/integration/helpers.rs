//! Fixture builders: databases, a running wharf, the `wharf` CLI, a running registry.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database};
use wharf_app::backend::config::Config;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

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
    pub async fn drop_db(self) {
        if let Some(name) = self.pg_name {
            if let Ok(admin) = Database::connect(PG_ADMIN_URL).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
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
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
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
            database_url: Some(db.url.clone()),
            database_max_connections: 8,
            // Changes made through the CLI reach the server's caches quickly in tests.
            auth_sync_interval_ms: 50,
            ..Config::default()
        };
        tweak(&mut config);
        let conn = wharf_server::startup::open_database(&config).await.expect("database");
        let opts = leptos::prelude::LeptosOptions::builder()
            .output_name("wharf")
            .site_addr(addr)
            .build();
        let state = wharf_server::startup::state(config.clone(), conn, opts).expect("state");
        let background = wharf_server::startup::spawn_background(&state);
        let app = wharf_server::router::build(state).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
            background.iter().for_each(|t| t.abort());
        });
        TestWharf {
            url,
            data_dir,
            db,
            config,
            _dir: dir,
            task,
        }
    }

    /// Runs the real `wharf` binary against this instance's database and data dir.
    pub async fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_wharf"));
        cmd.args(args)
            .env("WHARF_DATA_DIR", &self.data_dir)
            .env("WHARF_DATABASE_URL", &self.db.url)
            .env("WHARF_PUBLIC_URL", &self.url)
            .env("WHARF_LOG", "warn")
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
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

    /// Waits until changes made through the CLI have reached the server's caches
    /// (`auth_sync_interval_ms` is 50 ms in tests).
    pub async fn settle(&self) {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }

    pub async fn stop(self) {
        self.task.abort();
        self.db.drop_db().await;
    }
}

/// A `docker-registry` process configured by `wharf registry-config`.
pub struct TestRegistry {
    pub addr: SocketAddr,
    pub host: String,
    child: Child,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestRegistry {
    pub async fn start(wharf: &TestWharf) -> TestRegistry {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let debug_port = free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let storage = dir.path().join("storage");
        let yaml = wharf
            .cli_ok(
                &[
                    "registry-config",
                    "--listen",
                    &addr.to_string(),
                    "--storage",
                    storage.to_str().unwrap(),
                    "--debug-addr",
                    &format!("127.0.0.1:{debug_port}"),
                ],
                None,
            )
            .await;
        let config = dir.path().join("config.yml");
        std::fs::write(&config, yaml).unwrap();
        let log = dir.path().join("registry.log");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::options().append(true).open(&log).unwrap())
            .spawn()
            .expect("docker-registry (apt-get install docker-registry)");
        let reg = TestRegistry {
            addr,
            host: addr.to_string(),
            child,
            log,
            _dir: dir,
        };
        reg.wait_ready().await;
        reg
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
