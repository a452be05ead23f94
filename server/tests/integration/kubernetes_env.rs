//! The Kubernetes manifests held against wharf's own configuration. Each pod's environment is
//! rendered the way the kubelet renders it (the container's `env` values, plus the
//! service-link variables of every Service in the namespace unless the pod sets
//! `enableServiceLinks: false`) and handed to the real `wharf check-config` with the
//! ConfigMap's `wharf.toml`; every file wharf then says it reads or writes at start is held
//! against the pod's mounts: what it reads is a file of a mounted Secret or ConfigMap, each
//! secret it would otherwise generate comes from a Secret (so all pods share it), and what it
//! writes is on a writable volume.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::process::Command;

use crate::helpers::run;

fn kubernetes_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/kubernetes")
}

/// YAML documents as JSON, through PyYAML (installed with kubernetes-validate).
async fn yaml_documents(files: &[PathBuf]) -> Vec<Value> {
    let (ok, out) = run(Command::new("python3")
        .args([
            "-c",
            "import sys, yaml, json; print(json.dumps([d for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d]))",
        ])
        .args(files))
    .await;
    assert!(ok, "reading {files:?}: {out}");
    serde_json::from_str(&out).unwrap()
}

/// The kustomization: its resources, and the keys of each generated Secret and ConfigMap.
struct Kustomization {
    resources: Vec<Value>,
    generated: BTreeMap<String, Vec<(String, PathBuf)>>,
}

async fn kustomization() -> Kustomization {
    let dir = kubernetes_dir();
    let k = yaml_documents(&[dir.join("kustomization.yaml")]).await.remove(0);
    let files: Vec<PathBuf> = k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| dir.join(r.as_str().unwrap()))
        .collect();
    let mut generated = BTreeMap::new();
    for generator in ["secretGenerator", "configMapGenerator"] {
        for g in k[generator].as_array().unwrap() {
            let keys = g["files"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    let f = f.as_str().unwrap();
                    // `key=path` or a path whose file name is the key.
                    let (key, path) = f.split_once('=').unwrap_or_else(|| (f.rsplit('/').next().unwrap(), f));
                    (key.to_owned(), dir.join(path))
                })
                .collect();
            generated.insert(g["name"].as_str().unwrap().to_owned(), keys);
        }
    }
    Kustomization {
        resources: yaml_documents(&files).await,
        generated,
    }
}

/// What the kubelet adds for each Service with a cluster IP when service links are on.
fn service_link_variables(services: &[&Value]) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    for s in services {
        if s["spec"]["clusterIP"].as_str() == Some("None") {
            continue; // headless: no variables
        }
        let name = s["metadata"]["name"].as_str().unwrap().to_uppercase().replace('-', "_");
        let ip = "10.96.0.10";
        for (i, p) in s["spec"]["ports"].as_array().unwrap().iter().enumerate() {
            let port = p["port"].as_u64().unwrap();
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            if i == 0 {
                vars.push((format!("{name}_SERVICE_HOST"), ip.to_owned()));
                vars.push((format!("{name}_SERVICE_PORT"), port.to_string()));
                vars.push((
                    format!("{name}_PORT"),
                    format!("{}://{ip}:{port}", proto.to_lowercase()),
                ));
            }
            if let Some(port_name) = p["name"].as_str() {
                vars.push((
                    format!("{name}_SERVICE_PORT_{}", port_name.to_uppercase().replace('-', "_")),
                    port.to_string(),
                ));
            }
            let prefix = format!("{name}_PORT_{port}_{proto}");
            vars.push((prefix.clone(), format!("{}://{ip}:{port}", proto.to_lowercase())));
            vars.push((format!("{prefix}_PROTO"), proto.to_lowercase()));
            vars.push((format!("{prefix}_PORT"), port.to_string()));
            vars.push((format!("{prefix}_ADDR"), ip.to_owned()));
        }
    }
    vars
}

/// One container's mounts: path → what is there.
#[derive(Debug)]
enum Mounted {
    /// Files of a Secret or ConfigMap (read-only in Kubernetes whatever the mount says).
    Files(BTreeSet<PathBuf>),
    /// An emptyDir or a claim.
    Volume { writable: bool },
}

fn mounts(k: &Kustomization, pod: &Value, container: &Value) -> Vec<(PathBuf, Mounted)> {
    let volumes = pod["volumes"].as_array().cloned().unwrap_or_default();
    let claims = pod["__claims"].as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for m in container["volumeMounts"].as_array().cloned().unwrap_or_default() {
        let name = m["name"].as_str().unwrap();
        let at = PathBuf::from(m["mountPath"].as_str().unwrap());
        let read_only = m["readOnly"].as_bool().unwrap_or(false);
        let volume = volumes.iter().find(|v| v["name"] == name);
        let source = volume.and_then(|v| {
            let (object, key) = if v["secret"].is_object() {
                (&v["secret"], "secretName")
            } else if v["configMap"].is_object() {
                (&v["configMap"], "name")
            } else {
                return None;
            };
            Some(object).map(|o| (o, o[key].as_str().unwrap()))
        });
        let mounted = match source {
            Some((object, generated_name)) => {
                let keys: Vec<String> = match object["items"].as_array() {
                    Some(items) => items.iter().map(|i| i["path"].as_str().unwrap().to_owned()).collect(),
                    None => k
                        .generated
                        .get(generated_name)
                        .unwrap_or_else(|| panic!("volume {name}: {generated_name} is generated by nobody"))
                        .iter()
                        .map(|(key, _)| key.clone())
                        .collect(),
                };
                if let Some(items) = object["items"].as_array() {
                    let known: Vec<&String> = k.generated[generated_name].iter().map(|(key, _)| key).collect();
                    for i in items {
                        let key = i["key"].as_str().unwrap().to_owned();
                        assert!(
                            known.contains(&&key),
                            "{generated_name} has no key {key} (it has {known:?})"
                        );
                    }
                }
                let files = match m["subPath"].as_str() {
                    Some(sub) => {
                        assert!(
                            keys.iter().any(|k| k == sub),
                            "subPath {sub} is not in {generated_name}"
                        );
                        BTreeSet::from([at.clone()])
                    }
                    None => keys.iter().map(|key| at.join(key)).collect(),
                };
                Mounted::Files(files)
            }
            None => {
                let known = volume.is_some_and(|v| v["emptyDir"].is_object() || v["persistentVolumeClaim"].is_object())
                    || claims.iter().any(|c| c == name);
                assert!(known, "volume {name}: not a Secret, ConfigMap, emptyDir or claim");
                Mounted::Volume { writable: !read_only }
            }
        };
        out.push((at, mounted));
    }
    out
}

/// The mount `path` falls under: the one with the longest mount path that contains it.
fn mount_of<'a>(mounts: &'a [(PathBuf, Mounted)], path: &Path) -> Option<&'a Mounted> {
    mounts
        .iter()
        .filter(|(at, _)| path.starts_with(at))
        .max_by_key(|(at, _)| at.components().count())
        .map(|(_, m)| m)
}

/// Pod templates with their owner's name, and the claims their StatefulSet makes.
fn pods(resources: &[Value]) -> Vec<(String, Value)> {
    resources
        .iter()
        .filter(|r| matches!(r["kind"].as_str(), Some("Deployment" | "StatefulSet")))
        .map(|r| {
            let mut pod = r["spec"]["template"]["spec"].clone();
            let claims: Vec<Value> = r["spec"]["volumeClaimTemplates"]
                .as_array()
                .map(|c| c.iter().map(|t| t["metadata"]["name"].clone()).collect())
                .unwrap_or_default();
            pod["__claims"] = Value::Array(claims);
            (r["metadata"]["name"].as_str().unwrap().to_owned(), pod)
        })
        .collect()
}

async fn check_config(env: &[(String, String)], wharf_toml: &Path) -> (bool, String) {
    let cwd = tempfile::tempdir().unwrap();
    // The image's working directory is /etc/wharf, where the ConfigMap puts wharf.toml.
    std::fs::copy(wharf_toml, cwd.path().join("wharf.toml")).unwrap();
    run(Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["check-config", "--json"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd.path()))
    .await
}

#[tokio::test]
async fn every_pods_environment_and_files_fit_what_wharf_reads_and_writes() {
    let k = kustomization().await;
    let services: Vec<&Value> = k.resources.iter().filter(|r| r["kind"] == "Service").collect();
    let links = service_link_variables(&services);
    assert!(
        links.iter().any(|(name, _)| name == "WHARF_SERVICE_HOST"),
        "the Service named wharf makes WHARF_* links: {links:?}"
    );
    let pods = pods(&k.resources);
    assert_eq!(pods.len(), 5, "{:?}", pods.iter().map(|p| &p.0).collect::<Vec<_>>());
    let mut wharf_containers = 0;
    for (owner, pod) in &pods {
        // Every pod of the namespace: a Service named wharf must not leak WHARF_* anywhere.
        assert_eq!(
            pod["enableServiceLinks"],
            Value::Bool(false),
            "{owner}: set enableServiceLinks: false"
        );
        for container in pod["containers"].as_array().unwrap() {
            if !container["image"].as_str().unwrap().starts_with("wharf") {
                continue;
            }
            wharf_containers += 1;
            let env: Vec<(String, String)> = container["env"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let value = e["value"].as_str();
                    let name = e["name"].as_str().unwrap().to_owned();
                    (
                        name.clone(),
                        value
                            .unwrap_or_else(|| panic!("{owner}: {name} has no plain value"))
                            .to_owned(),
                    )
                })
                .collect();
            let config_map = &k.generated["wharf-config"];
            let wharf_toml = &config_map.iter().find(|(key, _)| key == "wharf.toml").unwrap().1;

            // With service links on (Kubernetes' default), wharf would refuse to start, naming
            // the variables and the fix: that is why the pods turn them off.
            let mut linked = env.clone();
            linked.extend(links.iter().cloned());
            let (ok, out) = check_config(&linked, wharf_toml).await;
            assert!(
                !ok && out.contains("WHARF_SERVICE_HOST") && out.contains("enableServiceLinks: false"),
                "{out}"
            );

            let (ok, out) = check_config(&env, wharf_toml).await;
            assert!(ok, "{owner}: wharf check-config refuses the pod's environment: {out}");
            let files: Vec<Value> = serde_json::from_str(&out).unwrap();
            assert!(files.len() >= 7, "{out}");
            let mounts = mounts(&k, pod, container);
            // The image reads ./wharf.toml from its working directory.
            assert!(
                matches!(mount_of(&mounts, Path::new("/etc/wharf/wharf.toml")), Some(Mounted::Files(f)) if f.contains(Path::new("/etc/wharf/wharf.toml"))),
                "{owner}: /etc/wharf/wharf.toml is not mounted"
            );
            for f in &files {
                let path = PathBuf::from(f["path"].as_str().unwrap());
                let what = f["what"].as_str().unwrap();
                let mount = mount_of(&mounts, &path);
                let provided = matches!(mount, Some(Mounted::Files(files)) if files.contains(&path));
                let writable = matches!(mount, Some(Mounted::Volume { writable: true }));
                match f["usage"].as_str().unwrap() {
                    "reads" => assert!(provided, "{owner}: reads {what} from {path:?}, which no mount provides"),
                    // Generated per pod, two pods would not share it (and a read-only mount
                    // cannot take it): it must come from a Secret.
                    "creates-if-missing" => assert!(
                        provided,
                        "{owner}: would generate {what} at {path:?}; provide it from the secretGenerator"
                    ),
                    "writes" => assert!(
                        writable,
                        "{owner}: writes {what} to {path:?}, which is not on a writable volume"
                    ),
                    other => panic!("unknown usage {other}"),
                }
            }
            // Every generated Secret and ConfigMap file exists where kustomize will look, but
            // for those make-secrets.sh, `wharf key rotate` and the operator create.
            for (name, keys) in &k.generated {
                for (_, path) in keys {
                    let made_by_operator = ["secrets/", "keys/", "tls/"]
                        .iter()
                        .any(|d| path.starts_with(kubernetes_dir().join(d)));
                    assert!(made_by_operator || path.exists(), "{name}: {path:?} missing");
                }
            }
        }
    }
    assert_eq!(wharf_containers, 1);
}

/// What `make-secrets.sh` and `wharf key rotate` make is exactly what the secretGenerator
/// reads, and the webhook key they make is one wharf accepts.
#[tokio::test]
async fn make_secrets_and_key_rotate_provide_every_generated_secret() {
    let k = kustomization().await;
    let work = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/make-secrets.sh");
    let (ok, out) = run(Command::new("sh").arg(&script).arg(work.path())).await;
    assert!(ok, "{out}");
    let (ok, out) = run(Command::new(env!("CARGO_BIN_EXE_wharf"))
        .args(["key", "rotate", "--data-dir"])
        .arg(work.path().join("keys"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(work.path()))
    .await;
    assert!(ok, "{out}");
    for name in ["wharf-secrets", "wharf-signing-key"] {
        for (key, path) in &k.generated[name] {
            let relative = path.strip_prefix(kubernetes_dir()).unwrap();
            let made = work.path().join(relative);
            assert!(
                std::fs::metadata(&made).is_ok_and(|m| m.len() > 0),
                "{name}/{key}: {relative:?} is not made by make-secrets.sh or wharf key rotate"
            );
        }
    }
    // The webhook key is one wharf accepts (32 bytes, base64).
    let key = std::fs::read_to_string(work.path().join("secrets/webhook_key")).unwrap();
    assert!(
        wharf_app::backend::webhooks::seal::Sealer::from_base64(&key).is_ok(),
        "{key}"
    );
}
