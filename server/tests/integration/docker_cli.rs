//! The client most users have: the real `docker` CLI and engine (Debian's `docker.io`, a
//! `dockerd` of the test's own on private sockets) logging in through wharf's token service,
//! pushing, pulling and logging out, against registry 3.1.1 and 2.8.2.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::helpers::{eventually, run, DbKind, RegistryVersion, TestRegistry, TestWharf};

const PW: &str = "correct-horse-battery";

/// A Docker engine of the test's own, stopped (and its state removed) on drop.
struct Dockerd {
    child: Child,
    socket: PathBuf,
    config: PathBuf,
    _dir: tempfile::TempDir,
}

impl Dockerd {
    async fn start() -> Dockerd {
        // Short paths: the socket path must fit in sun_path.
        let dir = tempfile::Builder::new().prefix("wd").tempdir_in("/tmp").unwrap();
        let d = dir.path();
        let socket = d.join("docker.sock");
        let child = Command::new("dockerd")
            .arg("--data-root")
            .arg(d.join("root"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .args([
                "--exec-opt",
                "native.cgroupdriver=cgroupfs",
                "--default-ulimit",
                "nofile=20000:20000",
                "--default-ulimit",
                "nproc=4096:4096",
                // No containers run here: no bridge, no iptables rules on the host.
                "--bridge=none",
                "--iptables=false",
            ])
            .stdout(std::fs::File::create(d.join("dockerd.log")).unwrap())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dockerd (apt-get install docker.io)");
        let engine = Dockerd {
            child,
            socket,
            config: d.join("config"),
            _dir: dir,
        };
        eventually("dockerd to answer", 60, || async {
            let (ok, _) = run(&mut engine.docker(&["version"])).await;
            ok.then_some(())
        })
        .await;
        engine
    }

    /// The `docker` CLI talking to this engine, with a config dir of its own (credentials).
    fn docker(&self, args: &[&str]) -> Command {
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", format!("unix://{}", self.socket.display()))
            .env("DOCKER_CONFIG", &self.config)
            .args(args);
        c
    }

    async fn ok(&self, args: &[&str], registry: &TestRegistry) -> String {
        let (ok, out) = run(&mut self.docker(args)).await;
        assert!(
            ok,
            "docker {args:?} (registry {}): {out}\n--- registry log (tail) ---\n{}",
            registry.version,
            registry
                .log_text()
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .join("\n")
        );
        out
    }

    async fn login(&self, host: &str, user: &str, password: &str) -> (bool, String) {
        let mut c = self.docker(&["login", host, "-u", user, "--password-stdin"]);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        {
            use tokio::io::AsyncWriteExt;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(password.as_bytes()).await.unwrap();
        }
        let out = child.wait_with_output().await.unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A root file system tarball with one file, for `docker import` (no base image needed).
fn rootfs_tar(dir: &Path, content: &str) -> PathBuf {
    let path = dir.join("rootfs.tar");
    let file = std::fs::File::create(&path).unwrap();
    let mut builder = tar::Builder::new(file);
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_cksum();
    builder
        .append_data(&mut header, "hello.txt", content.as_bytes())
        .unwrap();
    builder.finish().unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docker_login_push_pull_logout_on_registry_3_and_2_8() {
    let engine = Dockerd::start().await;
    let work = tempfile::tempdir().unwrap();
    for version in [RegistryVersion::V3, RegistryVersion::V2] {
        let w = TestWharf::start(DbKind::Sqlite).await;
        w.add_user("alice", PW, false).await;
        w.add_user("mallory", PW, false).await;
        let reg = TestRegistry::start_version(&w, version).await;
        let host = reg.host.as_str();
        let image = format!("{host}/alice/hello:v{version}");
        let tar = rootfs_tar(work.path(), &format!("pushed by docker to registry {version}"));
        engine.ok(&["import", tar.to_str().unwrap(), &image], &reg).await;

        // A wrong password is refused at login; the right one works.
        let (refused, out) = engine.login(host, "alice", "wrong-password").await;
        assert!(!refused, "wrong password accepted: {out}");
        let (ok, out) = engine.login(host, "alice", PW).await;
        assert!(ok, "docker login on registry {version}: {out}");

        engine.ok(&["push", &image], &reg).await;
        // wharf recorded it from the registry's notification, with docker's user as pusher.
        let tags = eventually("the docker push in wharf", 30, || async {
            let tags = w.tags("alice/hello").await;
            (!tags.is_empty()).then_some(tags)
        })
        .await;
        assert_eq!(tags[0]["tag"], format!("v{version}"));
        assert_eq!(tags[0]["pushed_by"], "alice");

        engine.ok(&["rmi", &image], &reg).await;
        engine.ok(&["pull", &image], &reg).await;
        eventually("the docker pull to be counted", 30, || async {
            let tags = w.tags("alice/hello").await;
            (tags.first()?["pulls"].as_i64()? >= 1).then_some(())
        })
        .await;

        // Someone else's namespace: denied.
        engine.ok(&["logout", host], &reg).await;
        let (ok, _) = engine.login(host, "mallory", PW).await;
        assert!(ok);
        let (pushed, out) = run(&mut engine.docker(&["push", &image])).await;
        assert!(!pushed, "mallory pushed to alice/: {out}");
        assert!(out.contains("denied") || out.contains("unauthorized"), "{out}");

        // After logout, no credentials: a pull of the private image is refused.
        engine.ok(&["logout", host], &reg).await;
        engine.ok(&["rmi", &image], &reg).await;
        let (pulled, out) = run(&mut engine.docker(&["pull", &image])).await;
        assert!(!pulled, "pulled without credentials: {out}");
        drop(reg);
        w.stop().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
