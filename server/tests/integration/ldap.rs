//! LDAP sign-in against a real OpenLDAP `slapd` started on free loopback ports with a small
//! directory: search-then-bind for docker logins and the console, users created on first
//! sign-in, group → team membership sync (and removal), admins from a group, the credential
//! cache sparing the directory, and plain, StartTLS and LDAPS connections with certificate
//! checks.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use serde_json::json;
use wharf_app::backend::auth::ldap::{Directory, LdapConfig, LdapError};
use wharf_app::domain::Role;

use crate::helpers::{eventually, free_port, DbKind, TestWharf};
use crate::rest_api::Client;

const SUFFIX: &str = "dc=wharf,dc=test";
const SERVICE_DN: &str = "cn=wharf,ou=services,dc=wharf,dc=test";
const SERVICE_PW: &str = "service-account-pw";
const ALICE_PW: &str = "alice-directory-pw";
const BOB_PW: &str = "bob-directory-pw";
const CAROL_PW: &str = "carol-directory-pw";
const LOCAL_PW: &str = "local admin password";

/// A `slapd` with its own config, database and TLS certificate, on two free loopback ports.
struct Slapd {
    dir: tempfile::TempDir,
    ldap_port: u16,
    ldaps_port: u16,
    child: Option<Child>,
}

impl Slapd {
    fn ldif() -> String {
        let person = |uid: &str, pw: &str| {
            format!(
                "dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\nsn: {uid}\nmail: {uid}@wharf.test\nuserPassword: {pw}\n\n"
            )
        };
        let group = |cn: &str, members: &[&str]| {
            let mut g = format!("dn: cn={cn},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {cn}\n");
            for m in members {
                g.push_str(&format!("member: uid={m},ou=people,{SUFFIX}\n"));
            }
            g + "\n"
        };
        format!(
            "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: wharf\no: wharf\n\n\
             dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n\
             dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n\
             dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: wharf\nuserPassword: {SERVICE_PW}\n\n\
             {}{}{}{}{}",
            person("alice", ALICE_PW),
            person("bob", BOB_PW),
            person("carol", CAROL_PW),
            group("devs", &["alice", "bob"]),
            group("wharf-admins", &["carol"]),
        )
    }

    async fn start() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("db")).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        std::fs::write(d.join("server.crt"), cert.pem()).unwrap();
        std::fs::write(d.join("server.key"), key.serialize_pem()).unwrap();
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             modulepath /usr/lib/ldap\nmoduleload back_mdb\n\
             pidfile {dir}/slapd.pid\n\
             TLSCertificateFile {dir}/server.crt\nTLSCertificateKeyFile {dir}/server.key\n\
             database mdb\nmaxsize 10485760\nsuffix \"{SUFFIX}\"\nrootdn \"cn=admin,{SUFFIX}\"\nrootpw admin-pw\n\
             directory {dir}/db\n\
             access to attrs=userPassword by self read by anonymous auth by * none\n\
             access to * by dn.exact=\"{SERVICE_DN}\" read by self read by * none\n",
            dir = d.display()
        );
        std::fs::write(d.join("slapd.conf"), conf).unwrap();
        std::fs::write(d.join("data.ldif"), Self::ldif()).unwrap();
        let out = Command::new("slapadd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .arg("-l")
            .arg(d.join("data.ldif"))
            .output()
            .expect("slapadd (apt-get install slapd)");
        assert!(
            out.status.success(),
            "slapadd: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut s = Slapd {
            dir,
            ldap_port: free_port(),
            ldaps_port: free_port(),
            child: None,
        };
        s.run().await;
        s
    }

    async fn run(&mut self) {
        let d = self.dir.path();
        let urls = format!(
            "ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/",
            self.ldap_port, self.ldaps_port
        );
        let child = Command::new("/usr/sbin/slapd")
            .arg("-f")
            .arg(d.join("slapd.conf"))
            .args(["-h", &urls, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(d.join("slapd.log")).unwrap())
            .spawn()
            .expect("slapd (apt-get install slapd)");
        self.child = Some(child);
        let port = self.ldap_port;
        eventually("slapd to listen", 15, || async move {
            std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ())
        })
        .await;
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn ca(&self) -> PathBuf {
        self.dir.path().join("server.crt")
    }

    /// Runs `ldapmodify` as the directory's root.
    fn modify(&self, ldif: &str) {
        let mut child = Command::new("ldapmodify")
            .args(["-x", "-H", &format!("ldap://127.0.0.1:{}", self.ldap_port)])
            .args(["-D", &format!("cn=admin,{SUFFIX}"), "-w", "admin-pw"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ldapmodify (apt-get install ldap-utils)");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), ldif.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "ldapmodify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn config(&self, url: String) -> LdapConfig {
        LdapConfig {
            url,
            bind_dn: Some(SERVICE_DN.into()),
            bind_password: Some(SERVICE_PW.into()),
            base_dn: format!("ou=people,{SUFFIX}"),
            user_filter: "(objectClass=inetOrgPerson)".into(),
            group_base_dn: Some(format!("ou=groups,{SUFFIX}")),
            group_filter: "(&(objectClass=groupOfNames)(member={dn}))".into(),
            sync_teams: true,
            default_role: Role::Contributor,
            admin_group: Some("wharf-admins".into()),
            ca_file: Some(self.ca()),
            ..LdapConfig::default()
        }
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn basic(user: &str, pw: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
    )
}

/// `GET /v2/token` as docker login does it; returns the status.
async fn docker_login(w: &TestWharf, user: &str, pw: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{}/v2/token?service=wharf-registry&account={user}", w.url))
        .header("authorization", basic(user, pw))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn members(admin: &Client, team: &str) -> Vec<(String, String)> {
    let t = admin.ok(Method::GET, &format!("/api/v1/teams/{team}"), None).await;
    t["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_users_sign_in_and_their_groups_become_teams() {
    let mut slapd = Slapd::start().await;
    let config = slapd.config(format!("ldap://127.0.0.1:{}", slapd.ldap_port));
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.ldap = Some(config.clone());
        c.credential_cache_ttl_secs = 2;
    })
    .await;
    // A local administrator (with a password) signs in without the directory.
    w.add_user("admin", LOCAL_PW, true).await;
    let admin_token = w.cli_ok(&["token", "add", "admin", "ci"], None).await.trim().to_owned();
    w.settle().await;
    let admin = Client::bearer(&w, &admin_token);
    assert_eq!(docker_login(&w, "admin", LOCAL_PW).await, 200);
    admin
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "devs"})))
        .await;
    admin
        .ok(Method::POST, "/api/v1/teams", Some(json!({"name": "ops"})))
        .await;

    // First sign-in creates the user, with the directory's email and the teams of its groups.
    assert_eq!(admin.ok(Method::GET, "/api/v1/users?q=alice", None).await["total"], 0);
    assert_eq!(docker_login(&w, "alice", "wrong").await, 401);
    assert_eq!(docker_login(&w, "alice", ALICE_PW).await, 200);
    let users = admin.ok(Method::GET, "/api/v1/users?q=alice", None).await;
    assert_eq!(users["total"], 1, "{users}");
    assert_eq!(users["items"][0]["email"], "alice@wharf.test");
    assert_eq!(users["items"][0]["admin"], false);
    let devs = members(&admin, "devs").await;
    assert!(devs.contains(&("alice".into(), "contributor".into())), "{devs:?}");
    assert!(!members(&admin, "ops").await.iter().any(|(u, _)| u == "alice"));
    // Nobody and an empty password get nothing (an empty password would be an anonymous bind).
    assert_eq!(docker_login(&w, "nobody", "whatever").await, 401);
    assert_eq!(docker_login(&w, "alice", "").await, 401);
    assert_eq!(docker_login(&w, "alice)(uid=*", ALICE_PW).await, 401);

    // Admins come from the admin group.
    assert_eq!(docker_login(&w, "carol", CAROL_PW).await, 200);
    let carol = admin.ok(Method::GET, "/api/v1/users?q=carol", None).await;
    assert_eq!(carol["items"][0]["admin"], true);

    // The console signs directory users in too.
    let login = reqwest::Client::new()
        .post(format!("{}/api/login", w.url))
        .header("origin", &w.url)
        .form(&[("username", "bob"), ("password", BOB_PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    assert!(login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("wharf_session="));

    // Leaving a group (and joining another) changes the teams at the next sign-in; a role an
    // owner gave by hand is not the directory's to take.
    slapd.modify(&format!(
        "dn: cn=devs,ou=groups,{SUFFIX}\nchangetype: modify\ndelete: member\nmember: uid=alice,ou=people,{SUFFIX}\n\n\
         dn: cn=ops,ou=groups,{SUFFIX}\nchangetype: add\nobjectClass: groupOfNames\ncn: ops\nmember: uid=alice,ou=people,{SUFFIX}\n"
    ));
    w.advance_clock(Duration::from_secs(3)); // the cached verification expires
    assert_eq!(docker_login(&w, "alice", ALICE_PW).await, 200);
    assert!(!members(&admin, "devs").await.iter().any(|(u, _)| u == "alice"));
    assert!(members(&admin, "ops")
        .await
        .contains(&("alice".into(), "contributor".into())));

    // Verified credentials are cached: with the directory down, a repeat login still works
    // while the cache holds it, and one that needs the directory fails as unavailable (5xx).
    assert_eq!(docker_login(&w, "bob", BOB_PW).await, 200);
    slapd.stop();
    assert_eq!(docker_login(&w, "bob", BOB_PW).await, 200, "served from the cache");
    let status = docker_login(&w, "carol", "not-cached-password").await;
    assert!(status >= 500, "the directory is down: {status}");
    // Local accounts still work without the directory.
    assert_eq!(docker_login(&w, "admin", LOCAL_PW).await, 200);
    slapd.run().await;
    eventually("the directory back", 10, || async {
        (docker_login(&w, "carol", CAROL_PW).await == 200).then_some(())
    })
    .await;
    w.stop().await;
}

#[tokio::test]
async fn starttls_and_ldaps_check_the_certificate() {
    let slapd = Slapd::start().await;
    let plain = format!("ldap://127.0.0.1:{}", slapd.ldap_port);
    let ldaps = format!("ldaps://127.0.0.1:{}", slapd.ldaps_port);
    let starttls = LdapConfig {
        starttls: true,
        ..slapd.config(plain.clone())
    };
    for config in [
        slapd.config(plain.clone()),
        starttls.clone(),
        slapd.config(ldaps.clone()),
    ] {
        let url = config.url.clone();
        let dir = Directory::new(config).unwrap();
        let user = dir
            .authenticate("alice", ALICE_PW)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(user.dn, format!("uid=alice,ou=people,{SUFFIX}"));
        assert_eq!(user.email.as_deref(), Some("alice@wharf.test"));
        assert_eq!(user.groups, vec!["devs".to_owned()]);
        assert!(matches!(
            dir.authenticate("alice", "wrong").await,
            Err(LdapError::Rejected)
        ));
    }
    // A certificate from an unknown CA is refused, over StartTLS and LDAPS alike.
    let other = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let wrong_ca = other.path().join("other.crt");
    std::fs::write(&wrong_ca, cert.pem()).unwrap();
    for config in [starttls, slapd.config(ldaps)] {
        let dir = Directory::new(LdapConfig {
            ca_file: Some(wrong_ca.clone()),
            ..config
        })
        .unwrap();
        assert!(matches!(
            dir.authenticate("alice", ALICE_PW).await,
            Err(LdapError::Unavailable(_))
        ));
    }
    // A wrong service password is the directory's problem, not the user's.
    let dir = Directory::new(LdapConfig {
        bind_password: Some("wrong".into()),
        ..slapd.config(plain)
    })
    .unwrap();
    assert!(matches!(
        dir.authenticate("alice", ALICE_PW).await,
        Err(LdapError::Unavailable(_))
    ));
}

/// Lasting credentials of directory users (refresh tokens, console sessions, cached Basic
/// logins) are re-checked with the directory every `recheck_secs`: removal from the directory
/// ends access, removal from the admin group ends admin rights, without a new sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removal_from_the_directory_ends_lasting_credentials() {
    let slapd = Slapd::start().await;
    let mut config = slapd.config(format!("ldap://127.0.0.1:{}", slapd.ldap_port));
    config.recheck_secs = 1;
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.ldap = Some(config.clone());
        // Long, to show the directory's answers are not trusted for as long.
        c.credential_cache_ttl_secs = 600;
    })
    .await;
    w.add_user("admin", LOCAL_PW, true).await;
    let http = reqwest::Client::new();
    let refresh_token = |user: &'static str, pw: &'static str| {
        let http = http.clone();
        let url = w.url.clone();
        async move {
            let r = http
                .post(format!("{url}/v2/token"))
                .form(&[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", pw),
                    ("access_type", "offline"),
                    ("client_id", "test"),
                    ("service", "wharf-registry"),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<serde_json::Value>().await.unwrap()["refresh_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let refresh = |token: String| {
        let http = http.clone();
        let url = w.url.clone();
        async move {
            http.post(format!("{url}/v2/token"))
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", token.as_str()),
                    ("client_id", "test"),
                    ("service", "wharf-registry"),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let session = |user: &'static str, pw: &'static str| {
        let http = http.clone();
        let url = w.url.clone();
        async move {
            let r = http
                .post(format!("{url}/api/login"))
                .header("origin", &url)
                .form(&[("username", user), ("password", pw)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_owned()
        }
    };
    let api_with = |cookie: String, path: &'static str| {
        let http = http.clone();
        let url = w.url.clone();
        async move {
            http.get(format!("{url}{path}"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };

    let alice_device = refresh_token("alice", ALICE_PW).await;
    let alice_browser = session("alice", ALICE_PW).await;
    let carol_browser = session("carol", CAROL_PW).await;
    assert_eq!(docker_login(&w, "alice", ALICE_PW).await, 200);
    assert_eq!(refresh(alice_device.clone()).await, 200);
    assert_eq!(api_with(alice_browser.clone(), "/api/v1/user").await, 200);
    assert_eq!(
        api_with(carol_browser.clone(), "/api/v1/users").await,
        200,
        "carol is an admin"
    );

    // alice leaves the company; carol leaves the admin group.
    slapd.modify(&format!(
        "dn: uid=alice,ou=people,{SUFFIX}\nchangetype: delete\n\n\
         dn: cn=wharf-admins,ou=groups,{SUFFIX}\nchangetype: modify\nreplace: member\nmember: uid=bob,ou=people,{SUFFIX}\n"
    ));
    w.advance_clock(Duration::from_secs(2)); // the re-check is due
    assert_eq!(refresh(alice_device).await, 401, "her device ends");
    assert_eq!(api_with(alice_browser, "/api/v1/user").await, 401, "her session ends");
    assert_eq!(docker_login(&w, "alice", ALICE_PW).await, 401, "her cached login ends");
    assert_eq!(
        api_with(carol_browser.clone(), "/api/v1/users").await,
        403,
        "carol's session keeps working, without admin rights"
    );
    assert_eq!(api_with(carol_browser, "/api/v1/user").await, 200);
    w.stop().await;
}
