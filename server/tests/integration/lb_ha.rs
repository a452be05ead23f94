//! No single load balancer: two load-balancer "hosts" (network namespaces on one bridge), each
//! running real nginx (`wharf lb-config`) and real keepalived (`wharf keepalived-config`),
//! share a virtual IP in front of two registry replicas. Pushes and pulls go through the VIP;
//! killing the primary's nginx moves the VIP to the backup and pushes keep working; bringing
//! it back returns the VIP. Needs root (network namespaces); everything stays on the bridge
//! and loopback, and is removed afterwards.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use tokio::process::Command;

use crate::helpers::{eventually, free_port, run, unique_suffix, DbKind, RegistryOpts, TestRegistry, TestWharf};
use crate::oci;
use crate::registry_replicas::pull;

const PW: &str = "correct-horse-battery";

/// Runs `ip ARGS`, panicking with its output when it fails.
fn ip(args: &[&str]) {
    let out = StdCommand::new("ip")
        .args(args)
        .output()
        .expect("ip (apt-get install iproute2)");
    assert!(
        out.status.success(),
        "ip {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A bridge in this namespace and two namespaces plugged into it, each with `eth0`.
struct Lab {
    bridge: String,
    namespaces: [String; 2],
    /// The /24 the bridge and the namespaces share: `10.213.N`.
    net: String,
}

impl Lab {
    fn create() -> Lab {
        let id = &unique_suffix()[..4];
        let third = u8::from_str_radix(&id[..2], 16).unwrap_or(7);
        let lab = Lab {
            bridge: format!("whbr{id}"),
            namespaces: [format!("wharf-lb-a-{id}"), format!("wharf-lb-b-{id}")],
            net: format!("10.213.{third}"),
        };
        ip(&["link", "add", &lab.bridge, "type", "bridge"]);
        ip(&["addr", "add", &format!("{}.1/24", lab.net), "dev", &lab.bridge]);
        ip(&["link", "set", &lab.bridge, "up"]);
        // Where a Docker engine has run, bridged frames pass the FORWARD chain
        // (br_netfilter) and its policy is DROP: let the lab's own traffic through.
        let _ = StdCommand::new("iptables").args(lab.forward_rule("-I")).status();
        for (i, ns) in lab.namespaces.iter().enumerate() {
            let host_end = format!("wh{}{id}", ["a", "b"][i]);
            ip(&["netns", "add", ns]);
            ip(&[
                "link", "add", &host_end, "type", "veth", "peer", "name", "eth0", "netns", ns,
            ]);
            ip(&["link", "set", &host_end, "master", &lab.bridge, "up"]);
            ip(&[
                "-n",
                ns,
                "addr",
                "add",
                &format!("{}/24", lab.node_ip(i)),
                "dev",
                "eth0",
            ]);
            ip(&["-n", ns, "link", "set", "eth0", "up"]);
            ip(&["-n", ns, "link", "set", "lo", "up"]);
        }
        lab
    }

    /// `iptables ACTION FORWARD …` accepting frames from the bridge to itself.
    fn forward_rule<'a>(&'a self, action: &'a str) -> [&'a str; 9] {
        [
            "-w",
            action,
            "FORWARD",
            "-i",
            &self.bridge,
            "-o",
            &self.bridge,
            "-j",
            "ACCEPT",
        ]
    }

    fn gateway(&self) -> IpAddr {
        format!("{}.1", self.net).parse().unwrap()
    }

    fn node_ip(&self, i: usize) -> String {
        format!("{}.{}", self.net, 11 + i)
    }

    fn vip(&self) -> String {
        format!("{}.100", self.net)
    }

    /// Which node holds the VIP now (None: neither, Some(2): both, which must not last).
    fn vip_holder(&self) -> Option<usize> {
        let holders: Vec<usize> = (0..2)
            .filter(|&i| {
                let out = StdCommand::new("ip")
                    .args(["-n", &self.namespaces[i], "-4", "addr", "show", "dev", "eth0"])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&out.stdout).contains(&format!("inet {}/", self.vip()))
            })
            .collect();
        match holders.as_slice() {
            [one] => Some(*one),
            [] => None,
            _ => Some(2),
        }
    }

    /// Starts `cmd` inside namespace `i`; stdout and stderr go to `log`.
    fn spawn_in(&self, i: usize, cmd: &[&str], log: &Path) -> Child {
        let file = std::fs::File::create(log).unwrap();
        StdCommand::new("ip")
            .args(["netns", "exec", &self.namespaces[i]])
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"))
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            // Anything still running in the namespace goes first, or it would keep it alive.
            if let Ok(out) = StdCommand::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = StdCommand::new("kill").args(["-9", pid]).status();
                }
            }
            let _ = StdCommand::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = StdCommand::new("ip").args(["link", "del", &self.bridge]).status();
        let _ = StdCommand::new("iptables").args(self.forward_rule("-D")).status();
    }
}

/// A process that should end with SIGTERM (keepalived stops its VRRP child on it).
struct Proc(Child);

impl Proc {
    fn stop(&mut self) {
        if let Ok(Some(_)) = self.0.try_wait() {
            return;
        }
        let _ = StdCommand::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One load-balancer node's files and processes.
struct Node {
    dir: PathBuf,
    nginx: Option<Proc>,
    _keepalived: Proc,
}

fn start_nginx(lab: &Lab, i: usize, dir: &Path) -> Proc {
    Proc(lab.spawn_in(
        i,
        &[
            "nginx",
            "-p",
            dir.to_str().unwrap(),
            "-c",
            dir.join("nginx.conf").to_str().unwrap(),
            "-g",
            "daemon off;",
        ],
        &dir.join("nginx.out"),
    ))
}

async fn push(work: &Path, image: &Path, host: &str, tag: &str) -> (bool, String) {
    run(Command::new("skopeo")
        .env("REGISTRY_AUTH_FILE", work.join("no-auth.json"))
        .args([
            "copy",
            "--dest-tls-verify=false",
            "--dest-creds",
            &format!("alice:{PW}"),
        ])
        .arg(format!("oci:{}:v1", image.display()))
        .arg(format!("docker://{host}/alice/app:{tag}")))
    .await
}

/// Waits for the VIP to settle on `want` and returns how long that took.
async fn vip_settles_on(lab: &Lab, want: usize, secs: u64) -> Duration {
    let start = Instant::now();
    eventually(&format!("the VIP on node {want}"), secs, || async {
        (lab.vip_holder() == Some(want)).then_some(())
    })
    .await;
    start.elapsed()
}

#[tokio::test]
async fn virtual_ip_survives_the_primary_load_balancer() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let lab = Lab::create();
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    oci::write_image(&image, "v1", &format!("ha {}", unique_suffix()));

    // Two replicas on the bridge, sharing storage and the Redis cache, recorded in wharf.
    let storage = work.path().join("storage");
    let mut replicas = Vec::new();
    for name in ["r1", "r2"] {
        replicas.push(
            TestRegistry::start_with(
                &w,
                RegistryOpts {
                    storage: Some(&storage),
                    redis: true,
                    name: Some(name),
                    listen_ip: Some(lab.gateway()),
                    ..Default::default()
                },
            )
            .await,
        );
    }

    // Both nodes get the same nginx.conf and keepalived configs differing only in role.
    let lb_port = free_port();
    let nginx_conf = w
        .cli_ok(
            &["lb-config", "--standalone", "--listen", &format!("0.0.0.0:{lb_port}")],
            None,
        )
        .await;
    for r in &replicas {
        assert!(nginx_conf.contains(&format!("server {} ", r.addr)), "{nginx_conf}");
    }
    let password_file = work.path().join("vrrp-password");
    std::fs::write(&password_file, "wh4rf-ha\n").unwrap();
    let mut nodes = Vec::new();
    for (i, role) in ["primary", "backup"].iter().enumerate() {
        let dir = work.path().join(format!("lb-{role}"));
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        std::fs::write(dir.join("nginx.conf"), &nginx_conf).unwrap();
        let keepalived_conf = w
            .cli_ok(
                &[
                    "keepalived-config",
                    "--node",
                    role,
                    "--vip",
                    &format!("{}/24", lab.vip()),
                    "--interface",
                    "eth0",
                    "--router-id",
                    "73",
                    "--password-file",
                    password_file.to_str().unwrap(),
                    "--check-url",
                    &format!("http://127.0.0.1:{lb_port}/lb-health"),
                ],
                None,
            )
            .await;
        let conf = dir.join("keepalived.conf");
        std::fs::write(&conf, &keepalived_conf).unwrap();
        let nginx = start_nginx(&lab, i, &dir);
        let pid = |f: &str| dir.join(f).to_str().unwrap().to_owned();
        let keepalived = Proc(lab.spawn_in(
            i,
            &[
                "keepalived",
                "--dont-fork",
                "--log-console",
                "--log-detail",
                "--vrrp",
                "--use-file",
                conf.to_str().unwrap(),
                "--pid",
                &pid("keepalived.pid"),
                "--vrrp_pid",
                &pid("vrrp.pid"),
                "--checkers_pid",
                &pid("checkers.pid"),
            ],
            &dir.join("keepalived.out"),
        ));
        nodes.push(Node {
            dir,
            nginx: Some(nginx),
            _keepalived: keepalived,
        });
    }
    let logs = |nodes: &[Node]| -> String {
        nodes
            .iter()
            .map(|n| {
                format!(
                    "== {}\n{}\n{}",
                    n.dir.display(),
                    std::fs::read_to_string(n.dir.join("keepalived.out")).unwrap_or_default(),
                    std::fs::read_to_string(n.dir.join("nginx.out")).unwrap_or_default()
                )
            })
            .collect()
    };

    // The primary takes the VIP; docker traffic through it works both ways.
    let vip_host = format!("{}:{lb_port}", lab.vip());
    if lab.vip_holder() != Some(0) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while lab.vip_holder() != Some(0) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            lab.vip_holder(),
            Some(0),
            "the primary never took the VIP\n{}",
            logs(&nodes)
        );
    }
    let (ok, out) = push(work.path(), &image, &vip_host, "v1").await;
    assert!(ok, "push through the VIP: {out}\n{}", logs(&nodes));
    let (ok, out) = pull(work.path(), &vip_host, "alice/app:v1").await;
    assert!(ok, "pull through the VIP: {out}");

    // The primary's nginx dies: its health check fails, it gives up the VIP, the backup takes it.
    if let Some(mut p) = nodes[0].nginx.take() {
        p.stop();
    }
    let failover = vip_settles_on(&lab, 1, 15).await;
    eprintln!(
        "VIP moved to the backup {:.1} s after the primary's nginx died",
        failover.as_secs_f64()
    );
    let (ok, out) = push(work.path(), &image, &vip_host, "v2").await;
    assert!(ok, "push through the VIP after failover: {out}\n{}", logs(&nodes));
    let (ok, out) = pull(work.path(), &vip_host, "alice/app:v1").await;
    assert!(ok, "pull through the VIP after failover: {out}");

    // nginx comes back on the primary: it wins the VIP back (higher priority) and serves.
    nodes[0].nginx = Some(start_nginx(&lab, 0, &nodes[0].dir));
    let failback = vip_settles_on(&lab, 0, 15).await;
    eprintln!(
        "VIP back on the primary {:.1} s after its nginx restarted",
        failback.as_secs_f64()
    );
    let (ok, out) = push(work.path(), &image, &vip_host, "v3").await;
    assert!(ok, "push through the VIP after failback: {out}\n{}", logs(&nodes));

    // wharf saw every push, whichever load balancer carried it.
    eventually("wharf to record v1, v2, v3", 30, || async {
        let mut tags: Vec<String> = w
            .tags("alice/app")
            .await
            .iter()
            .map(|t| t["tag"].as_str().unwrap_or_default().to_owned())
            .collect();
        tags.sort();
        (tags == ["v1", "v2", "v3"]).then_some(())
    })
    .await;
    drop(nodes);
    drop(lab);
}
