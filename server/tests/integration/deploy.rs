//! The deployment files under `deploy/`: the configuration they embed is what the CLI prints
//! today (regenerate with `UPDATE_DEPLOY_FILES=1 cargo test -p wharf-server deploy::`), the
//! compose file is valid for `docker-compose`, the Kubernetes manifests match the Kubernetes
//! object schemas, and a registry replica really starts from the committed template with the
//! entrypoint script, trusting wharf and reporting to it under its declared name. Also
//! `/health/ready` and `wharf health-check`.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::process::Command;
use wharf_app::backend::config::{DeclaredRegistry, DeclaredReplica};

use crate::console::Browser;
use crate::helpers::{eventually, free_port, run, unique_suffix, DbKind, TestWharf};
use crate::oci;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy")
}

const REGISTRY_TEMPLATE: &[&str] = &[
    "registry-config",
    "--template",
    "--listen",
    "0.0.0.0:5000",
    "--debug-addr",
    "0.0.0.0:5001",
    "--storage",
    "/var/lib/registry",
    "--redis",
    "redis:6379",
    "--bundle",
    "/var/lib/wharf/token-bundle.crt",
    "--notify-url",
    "http://wharf:8080",
];

fn nginx_args<'a>(replicas: &[&'a str], resolver: Option<&'a str>) -> Vec<&'a str> {
    let mut args = vec!["lb-config", "--listen", "0.0.0.0:443", "--wharf", "wharf:8080"];
    if let Some(r) = resolver {
        args.extend(["--resolver", r]);
    }
    for r in replicas {
        args.extend(["--replica", r]);
    }
    args.extend([
        "--tls-cert",
        "/etc/nginx/tls/tls.crt",
        "--tls-key",
        "/etc/nginx/tls/tls.key",
    ]);
    args
}

/// The `wharf` binary with built-in defaults only: no WHARF_* variables, no wharf.toml.
async fn wharf_defaults(args: &[&str]) -> String {
    let cwd = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(cwd.path())
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "wharf {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn committed_configuration_is_what_the_cli_prints() {
    let compose_nginx = nginx_args(&["registry1:5000", "registry2:5000"], None);
    // Pods change addresses when they restart: nginx re-resolves them through the cluster DNS.
    let k8s_nginx = nginx_args(
        &[
            "registry-0.registry.wharf.svc.cluster.local:5000",
            "registry-1.registry.wharf.svc.cluster.local:5000",
        ],
        Some("kube-dns.kube-system.svc.cluster.local"),
    );
    let read_only: Vec<&str> = REGISTRY_TEMPLATE.iter().copied().chain(["--read-only"]).collect();
    let files: [(&str, &[&str]); 5] = [
        ("config/registry.yml", REGISTRY_TEMPLATE),
        ("config/registry-read-only.yml", &read_only),
        ("kubernetes/config/registry.yml", REGISTRY_TEMPLATE),
        ("config/nginx.conf", &compose_nginx),
        ("kubernetes/config/nginx.conf", &k8s_nginx),
    ];
    let update = std::env::var_os("UPDATE_DEPLOY_FILES").is_some();
    let mut stale = Vec::new();
    for (file, args) in files {
        let want = wharf_defaults(args).await;
        let path = deploy_dir().join(file);
        if update {
            std::fs::write(&path, &want).unwrap();
        }
        if std::fs::read_to_string(&path).unwrap_or_default() != want {
            stale.push(file);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the CLI prints; run UPDATE_DEPLOY_FILES=1 cargo test -p wharf-server deploy::"
    );
    // The template keeps every secret out of the file.
    let yml = std::fs::read_to_string(deploy_dir().join("config/registry.yml")).unwrap();
    for placeholder in [
        "__WHARF_NOTIFICATION_SECRET__",
        "__REGISTRY_HTTP_SECRET__",
        "__REPLICA_NAME__",
        "__WHARF_PUBLIC_URL__",
    ] {
        assert!(yml.contains(placeholder), "{placeholder} missing:\n{yml}");
    }
    assert!(yml.contains("url: \"http://wharf:8080/v2/webhooks/events?replica=__REPLICA_NAME__\""));
    // Kubernetes carries a copy of the entrypoint (kustomize reads only below its folder).
    assert_eq!(
        std::fs::read(deploy_dir().join("registry-entrypoint.sh")).unwrap(),
        std::fs::read(deploy_dir().join("kubernetes/config/registry-entrypoint.sh")).unwrap()
    );
}

/// nginx itself accepts what `lb-config` prints, with every option (TLS, wharf routes).
#[tokio::test]
async fn nginx_accepts_the_generated_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    let (ok, out) = run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=registry.test",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert))
    .await;
    assert!(ok, "{out}");
    let listen = format!("127.0.0.1:{}", free_port());
    let conf = wharf_defaults(&[
        "lb-config",
        "--standalone",
        "--listen",
        &listen,
        "--replica",
        "127.0.0.1:5999",
        "--wharf",
        "127.0.0.1:8999",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ])
    .await;
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    std::fs::write(dir.path().join("nginx.conf"), &conf).unwrap();
    let (ok, out) = run(Command::new("nginx")
        .arg("-t")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf")))
    .await;
    assert!(ok && out.contains("test is successful"), "nginx -t: {out}\n{conf}");
}

#[tokio::test]
async fn compose_file_is_valid() {
    let dir = deploy_dir();
    let compose = |host: Option<&str>, extra: &[&str]| {
        let mut c = Command::new("docker-compose");
        c.current_dir(&dir)
            .args(["--project-name", "wharf", "-f", "compose.yaml", "config"])
            .args(extra)
            .env_remove("WHARF_HOST");
        if let Some(h) = host {
            c.env("WHARF_HOST", h);
        }
        c
    };
    let (ok, out) = run(&mut compose(Some("registry.example.com"), &["-q"])).await;
    assert!(ok, "docker-compose config: {out}");
    let (ok, services) = run(&mut compose(Some("registry.example.com"), &["--services"])).await;
    assert!(ok, "{services}");
    let mut services: Vec<&str> = services.lines().collect();
    services.sort();
    assert_eq!(services, ["lb", "postgres", "redis", "registry1", "registry2", "wharf"]);
    let (ok, full) = run(&mut compose(Some("registry.example.com"), &[])).await;
    assert!(ok, "{full}");
    for needle in [
        "WHARF_PUBLIC_URL: https://registry.example.com",
        "REPLICA_NAME: registry1",
        "condition: service_healthy",
        "restart: unless-stopped",
        "/run/secrets/database_url",
    ] {
        assert!(
            full.contains(needle),
            "{needle} missing from the resolved compose file:\n{full}"
        );
    }
    // The public host name is required, not silently empty.
    let (ok, out) = run(&mut compose(None, &["-q"])).await;
    assert!(!ok && out.contains("set WHARF_HOST"), "{out}");
}

#[tokio::test]
async fn kubernetes_manifests_match_the_schemas() {
    let dir = deploy_dir().join("kubernetes");
    let kustomization = std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap();
    let manifests: Vec<String> = kustomization
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter(|l| l.ends_with(".yaml"))
        .map(str::to_owned)
        .collect();
    assert_eq!(manifests.len(), 6, "{kustomization}");
    for f in [
        "config/wharf.toml",
        "config/registry.yml",
        "config/registry-entrypoint.sh",
        "config/nginx.conf",
    ] {
        assert!(kustomization.contains(f) && dir.join(f).exists(), "{f}");
    }
    let (ok, out) = run(Command::new("kubernetes-validate")
        .current_dir(&dir)
        .args(["--strict", "-k", "1.31.0"])
        .args(&manifests))
    .await;
    assert!(ok && !out.contains("ERROR"), "kubernetes-validate: {out}");
    for object in [
        "deployment/wharf",
        "service/wharf",
        "statefulset/registry",
        "deployment/lb",
        "service/lb",
        "statefulset/postgres",
        "deployment/redis",
        "persistentvolumeclaim/registry-storage",
    ] {
        assert!(
            out.contains(&format!("passed for resource {object} ")),
            "{object}: {out}"
        );
    }
    // The validator does reject what is not a Kubernetes object.
    let bad = tempfile::tempdir().unwrap();
    let wharf = std::fs::read_to_string(dir.join("wharf.yaml")).unwrap();
    std::fs::write(
        bad.path().join("bad.yaml"),
        wharf.replace("  replicas: 2", "  replica: 2"),
    )
    .unwrap();
    let (_, out) = run(Command::new("kubernetes-validate")
        .current_dir(bad.path())
        .args(["--strict", "-k", "1.31.0", "bad.yaml"]))
    .await;
    assert!(out.contains("'replica' was unexpected"), "{out}");
    // wharf's probes point at its health endpoints.
    assert!(wharf.contains("path: /health/live") && wharf.contains("path: /health/ready"));
    assert!(wharf.contains("replicas: 2"));
}

/// A registry started the way compose.yaml and the StatefulSet start one: the template and
/// `registry-entrypoint.sh` with the secrets as files, named by `REPLICA_NAME`.
#[tokio::test]
async fn a_replica_starts_from_the_template_and_reports_under_its_declared_name() {
    let port = free_port();
    let debug_port = free_port();
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.registry_host = Some(format!("127.0.0.1:{port}"));
        c.registries = vec![DeclaredRegistry {
            name: "default".into(),
            public_host: None,
            replicas: vec![DeclaredReplica {
                name: Some("replica-a".into()),
                url: format!("http://127.0.0.1:{port}"),
                debug_url: Some(format!("http://127.0.0.1:{debug_port}")),
                registry_version: Some(wharf_app::domain::RegistryVersion::V3),
            }],
        }];
    })
    .await;
    w.add_user("alice", "correct-horse-battery", false).await;
    w.add_user("admin", "correct-horse-battery", true).await;
    let work = tempfile::tempdir().unwrap();

    // Not ready until a replica is healthy; anonymous callers get no detail.
    let ready = reqwest::get(format!("{}/health/ready", w.url)).await.unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap(),
        serde_json::json!({"status": "not-ready"})
    );

    // The template as deploy/ has it, but with this machine's addresses and paths.
    let storage = work.path().join("storage");
    let bundle = w.data_dir.join("token-bundle.crt");
    let template = w
        .cli_ok(
            &[
                "registry-config",
                "--template",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--debug-addr",
                &format!("127.0.0.1:{debug_port}"),
                "--storage",
                storage.to_str().unwrap(),
                "--bundle",
                bundle.to_str().unwrap(),
                "--notify-url",
                &w.url,
            ],
            None,
        )
        .await;
    assert!(!template.contains(&std::fs::read_to_string(w.data_dir.join("notification-secret")).unwrap()));
    std::fs::write(work.path().join("registry.yml"), &template).unwrap();
    let secrets = work.path().join("secrets");
    std::fs::create_dir_all(&secrets).unwrap();
    std::fs::copy(
        w.data_dir.join("notification-secret"),
        secrets.join("notification_secret"),
    )
    .unwrap();
    std::fs::write(secrets.join("registry_http_secret"), unique_suffix()).unwrap();
    let log = work.path().join("registry.log");
    let mut registry = std::process::Command::new("sh")
        .arg(deploy_dir().join("registry-entrypoint.sh"))
        .env(
            "REGISTRY_BIN",
            crate::helpers::registry_binary(crate::helpers::RegistryVersion::V3),
        )
        .env("REGISTRY_TEMPLATE", work.path().join("registry.yml"))
        .env("REGISTRY_CONFIG", work.path().join("config.yml"))
        .env("SECRETS_DIR", &secrets)
        .env("REPLICA_NAME", "replica-a")
        .env("WHARF_PUBLIC_URL", &w.url)
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .unwrap();
    let filled = eventually("the entrypoint to write the config", 10, || async {
        std::fs::read_to_string(work.path().join("config.yml"))
            .ok()
            .filter(|s| !s.is_empty())
    })
    .await;
    assert!(!filled.contains("__"), "placeholders left:\n{filled}");
    assert!(filled.contains(&format!("realm: \"{}/v2/token\"", w.url)));

    // A push through the token flow lands in wharf, credited to the declared replica.
    let image = work.path().join("image");
    oci::write_image(&image, "v1", &format!("template {}", unique_suffix()));
    let host = format!("127.0.0.1:{port}");
    let (ok, out) = eventually("a push to the templated replica", 30, || async {
        let r = run(Command::new("skopeo")
            .env("REGISTRY_AUTH_FILE", work.path().join("no-auth.json"))
            .args([
                "copy",
                "--dest-tls-verify=false",
                "--dest-creds",
                "alice:correct-horse-battery",
            ])
            .arg(format!("oci:{}:v1", image.display()))
            .arg(format!("docker://{host}/alice/app:v1")))
        .await;
        r.0.then_some(r)
    })
    .await;
    assert!(ok, "{out}\n{}", std::fs::read_to_string(&log).unwrap_or_default());
    eventually("the push recorded and credited to replica-a", 30, || async {
        let status = w.cli_json(&["registry", "status"]).await;
        let credited = status
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "replica-a" && !r["last_event_at"].is_null() && r["status"] == "up");
        (credited && w.tags("alice/app").await.len() == 1).then_some(())
    })
    .await;

    // Ready now; an administrator sees each check; `wharf health-check --ready` agrees.
    let ready = reqwest::get(format!("{}/health/ready", w.url)).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<serde_json::Value>().await.unwrap()["status"], "ready");
    let admin = Browser::signed_in(&w, "admin", "correct-horse-battery").await;
    let detail: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/health/ready", w.url))
        .header("cookie", admin.cookie.clone().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["checks"]["database"]["ok"], true, "{detail}");
    assert_eq!(detail["checks"]["migrations"]["detail"], "current", "{detail}");
    assert_eq!(detail["checks"]["replicas"]["detail"], "1 of 1 up", "{detail}");
    let health_check = |ready: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_wharf"));
        c.arg("health-check")
            .env_clear()
            .env("WHARF_LISTEN", w.url.trim_start_matches("http://"))
            .current_dir(work.path());
        if ready {
            c.arg("--ready");
        }
        c
    };
    let (ok, out) = run(&mut health_check(true)).await;
    assert!(ok, "{out}");

    // The replica dies: wharf notices at its next probe and is no longer ready.
    let _ = registry.kill();
    let _ = registry.wait();
    eventually("readiness to drop with the replica", 20, || async {
        let r = reqwest::get(format!("{}/health/ready", w.url)).await.ok()?;
        (r.status() == 503).then_some(())
    })
    .await;
    let (ok, out) = run(&mut health_check(true)).await;
    assert!(!ok && out.contains("503"), "{out}");
    let (ok, out) = run(&mut health_check(false)).await;
    assert!(ok, "still live: {out}");
}
