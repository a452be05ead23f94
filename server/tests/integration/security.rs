//! The holes an outside review found, each shown closed on a real server: credentials never
//! grow into stronger or longer-lived ones, failed sign-ins slow the one who fails and not
//! the account's owner, valid cached credentials are never rate-limited, password checks are
//! bounded, the first administrator needs the setup token, the last administrator stays, and
//! cache invalidation sees changes that commit out of order.

use std::net::IpAddr;
use std::time::Duration;

use base64::Engine;
use reqwest::Method;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

use crate::console::Browser;
use crate::helpers::{scalar, DbKind, TestWharf};
use crate::rest_api::Client;

const PW: &str = "correct horse battery staple";

fn basic(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

/// `POST /v2/token` with a form; returns status and body.
async fn post_token(w: &TestWharf, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/v2/token", w.url))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// The actions a token grants on `repo`, read without checking the signature (the token
/// endpoint's tests check signatures).
fn actions(token: &str, repo: &str) -> Vec<String> {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["access"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == repo)
        .flat_map(|a| a["actions"].as_array().unwrap().iter())
        .map(|a| a.as_str().unwrap().to_owned())
        .collect()
}

/// A refresh token made with the password grant and `access_type=offline`.
async fn offline(w: &TestWharf, user: &str, secret: &str) -> String {
    let (status, body) = post_token(
        w,
        &[
            ("grant_type", "password"),
            ("username", user),
            ("password", secret),
            ("access_type", "offline"),
            ("client_id", "security-test"),
            ("service", &w.config.service),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["refresh_token"].as_str().expect("a refresh token").to_owned()
}

/// The refresh grant asking for everything on `repo`: status and the actions granted.
async fn refresh(w: &TestWharf, refresh_token: &str, repo: &str) -> (u16, Vec<String>) {
    let scope = format!("repository:{repo}:pull,push,delete");
    let (status, body) = post_token(
        w,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "security-test"),
            ("service", &w.config.service),
            ("scope", &scope),
        ],
    )
    .await;
    let granted = body["access_token"]
        .as_str()
        .map(|t| actions(t, repo))
        .unwrap_or_default();
    (status, granted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_carries_the_rights_and_life_of_its_credential() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let db = Database::connect(&w.db.url).await.unwrap();

    // From her password: everything on her own namespace.
    let from_password = offline(&w, "alice", PW).await;
    let (status, granted) = refresh(&w, &from_password, "alice/app").await;
    assert_eq!(status, 200);
    assert!(granted.contains(&"push".to_owned()), "{granted:?}");

    // From a read-only CI token: pull only, however it is asked.
    let read_only = w
        .cli_ok(&["token", "add", "alice", "ci", "--read-only"], None)
        .await
        .trim()
        .to_owned();
    let from_ci = offline(&w, "alice", &read_only).await;
    let (status, granted) = refresh(&w, &from_ci, "alice/app").await;
    assert_eq!(status, 200);
    assert_eq!(granted, vec!["pull".to_owned()], "a read-only token never becomes push");

    // Revoking the token ends every refresh token made from it.
    w.cli_ok(&["token", "revoke", "alice", "ci"], None).await;
    assert_eq!(refresh(&w, &from_ci, "alice/app").await.0, 401);
    assert_eq!(
        refresh(&w, &from_password, "alice/app").await.0,
        200,
        "others are untouched"
    );

    // From an expiring token: expires no later, and ends when the token expires.
    let expiring = w
        .cli_ok(&["token", "add", "alice", "deploy", "--expires", "2"], None)
        .await
        .trim()
        .to_owned();
    let from_expiring = offline(&w, "alice", &expiring).await;
    let no_later: bool = scalar(
        &db,
        "SELECT r.expires_at <= t.expires_at FROM refresh_tokens r JOIN app_tokens t ON t.id = r.app_token_id \
         WHERE t.name = 'deploy'",
    )
    .await;
    assert!(no_later, "expires no later than the token");
    assert_eq!(refresh(&w, &from_expiring, "alice/app").await.0, 200);
    db.execute_unprepared("UPDATE app_tokens SET expires_at = '2000-01-01T00:00:00+00:00' WHERE name = 'deploy'")
        .await
        .unwrap();
    assert_eq!(
        refresh(&w, &from_expiring, "alice/app").await.0,
        401,
        "the token expired"
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_made_with_a_token_neither_outlives_nor_exceeds_it() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("alice", PW, false).await;
    let parent = w
        .cli_ok(&["token", "add", "alice", "parent", "--expires", "5"], None)
        .await
        .trim()
        .to_owned();
    let api = Client::bearer(&w, &parent);
    let refused = api
        .fails(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "longer", "expires_in_days": 30})),
            403,
        )
        .await;
    assert!(refused.to_string().contains("no later"), "{refused}");
    let (status, child) = api
        .send(Method::POST, "/api/v1/tokens", Some(json!({"name": "forever"})))
        .await;
    assert_eq!(status, 201, "{child}");
    let tokens = api.ok(Method::GET, "/api/v1/tokens", None).await;
    let expiry = |name: &str| {
        tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["expires_at"]
            .clone()
    };
    assert!(
        expiry("forever").is_string(),
        "asked for no expiry, got the parent's: {tokens}"
    );
    assert_eq!(expiry("forever"), expiry("parent"));
    // A shorter one is fine.
    api.ok(
        Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "shorter", "expires_in_days": 1})),
    )
    .await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_changes_and_resets_end_devices_and_sessions() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    w.add_user("admin", PW, true).await;
    w.add_user("alice", PW, false).await;
    w.add_user("bob", PW, false).await;

    // alice changes her password: her other browser and her devices are signed out.
    let device = offline(&w, "alice", PW).await;
    let mut here = Browser::signed_in(&w, "alice", PW).await;
    let mut elsewhere = Browser::signed_in(&w, "alice", PW).await;
    here.ok(
        "change_password",
        &[
            ("current", PW),
            ("new_password", "a brand new password"),
            ("new_password_again", "a brand new password"),
        ],
    )
    .await;
    here.ok("list_app_tokens", &[]).await;
    elsewhere.fails("list_app_tokens", &[], 401).await;
    assert_eq!(refresh(&w, &device, "alice/app").await.0, 401, "the device ends");

    // An administrator resets it: the same.
    let device = offline(&w, "alice", "a brand new password").await;
    let mut admin = Browser::signed_in(&w, "admin", PW).await;
    admin
        .ok(
            "reset_password",
            &[("name", "alice"), ("password", "reset by the admin")],
        )
        .await;
    here.fails("list_app_tokens", &[], 401).await;
    assert_eq!(refresh(&w, &device, "alice/app").await.0, 401);

    // Disabling ends them at once, and enabling again does not bring them back.
    let device = offline(&w, "bob", PW).await;
    let mut bob = Browser::signed_in(&w, "bob", PW).await;
    w.cli_ok(&["user", "disable", "bob"], None).await;
    w.settle().await;
    assert_eq!(refresh(&w, &device, "bob/app").await.0, 401);
    bob.fails("list_app_tokens", &[], 401).await;
    w.cli_ok(&["user", "enable", "bob"], None).await;
    assert_eq!(refresh(&w, &device, "bob/app").await.0, 401, "revoked, not suspended");
    w.stop().await;
}

/// A token request as client `from` (behind the trusted proxy 127.0.0.1).
async fn token_from(w: &TestWharf, from: &str, user: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(format!("{}/v2/token?service={}", w.url, w.config.service))
        .header("authorization", basic(user, secret))
        .header("x-forwarded-for", from)
        .send()
        .await
        .unwrap()
}

async fn status_from(w: &TestWharf, from: &str, user: &str, secret: &str) -> u16 {
    token_from(w, from, user, secret).await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_slow_the_attacker_never_the_owner() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ip_failures_per_minute = 0;
        c.ip_requests_per_second = 0;
        c.login_failures_before_backoff = 3;
        c.login_backoff_max_secs = 300;
    })
    .await;
    w.add_user("admin", PW, true).await;

    // Twelve wrong passwords from the attacker's address…
    let mut known = Vec::new();
    for i in 0..12 {
        known.push(status_from(&w, "198.51.100.66", "admin", &format!("guess {i}")).await);
    }
    assert_eq!(&known[..4], &[401, 401, 401, 429], "{known:?}");
    assert_eq!(
        status_from(&w, "198.51.100.66", "admin", PW).await,
        429,
        "the attacker's address waits, right password or not"
    );
    // …and do not stop the administrator elsewhere.
    assert_eq!(status_from(&w, "203.0.113.7", "admin", PW).await, 200);
    // An IPv6 attacker cannot escape by moving inside its /64.
    for i in 0..3 {
        assert_eq!(
            status_from(&w, &format!("2001:db8:7::{i}"), "admin", "guess").await,
            401
        );
    }
    assert_eq!(status_from(&w, "2001:db8:7::ffff", "admin", "guess").await, 429);

    // An unknown account answers exactly like a known one: nobody learns who exists.
    let mut unknown = Vec::new();
    for i in 0..12 {
        unknown.push(status_from(&w, "198.51.100.67", "no-such-user", &format!("guess {i}")).await);
    }
    assert_eq!(known, unknown);
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_failures_each_count() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ip_failures_per_minute = 0;
        c.ip_requests_per_second = 0;
        c.login_failures_before_backoff = 1000;
        c.password_verification_wait_ms = 120_000;
    })
    .await;
    w.add_user("carol", PW, false).await;
    let attempts = (0..50).map(|i| {
        let w = &w;
        async move { status_from(w, "198.51.100.9", "carol", &format!("wrong {i}")).await }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let db = Database::connect(&w.db.url).await.unwrap();
    let failures: i32 = scalar(&db, "SELECT failures FROM login_failures WHERE account = 'carol'").await;
    assert_eq!(failures, 50, "no lost update");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_cached_credentials_are_never_rate_limited() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ip_requests_per_second = 2;
        c.ip_failures_per_minute = 0;
        c.login_failures_before_backoff = 1000;
    })
    .await;
    w.add_user("ci", PW, false).await;
    // A cluster behind one NAT address pulling 200 images with one credential.
    let nat = "198.51.100.200";
    assert_eq!(status_from(&w, nat, "ci", PW).await, 200);
    let mut refused = 0;
    for _ in 0..200 {
        if status_from(&w, nat, "ci", PW).await != 200 {
            refused += 1;
        }
    }
    assert_eq!(refused, 0, "answered from the credential cache: never limited");
    // Credentials that need verifying are what the limit is for.
    let mut limited = 0;
    for i in 0..12 {
        if status_from(&w, nat, "ci", &format!("uncached guess {i}")).await == 429 {
            limited += 1;
        }
    }
    assert!(limited > 0, "uncached verifications are limited per address");
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_uncached_sign_ins_gets_503_not_memory() {
    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ip_requests_per_second = 0;
        c.ip_failures_per_minute = 0;
        c.login_failures_before_backoff = 1000;
        c.password_verifications_max = 1;
        c.password_verification_wait_ms = 1;
    })
    .await;
    w.add_user("dave", PW, false).await;
    let flood = (0..24).map(|i| {
        let w = &w;
        async move {
            let r = token_from(w, &format!("198.51.100.{}", i + 1), "dave", &format!("flood {i}")).await;
            let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), retry)
        }
    });
    let answers = futures::future::join_all(flood).await;
    assert!(
        answers.iter().all(|(s, _)| *s == 401 || *s == 503),
        "only 401 or 503: {answers:?}"
    );
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert!(
        !busy.is_empty(),
        "one slot, 24 at once: some must wait out: {answers:?}"
    );
    assert!(
        busy.iter().all(|(_, r)| r.as_deref() == Some("1")),
        "503s carry Retry-After"
    );
    assert_eq!(
        status_from(&w, "198.51.100.250", "dave", PW).await,
        200,
        "then it serves again"
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_administrator_needs_the_setup_token() {
    let w = TestWharf::start(DbKind::Sqlite).await;
    let file = w.data_dir.join("setup-token");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("a setup token at first start")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let token = std::fs::read_to_string(&file).unwrap().trim().to_owned();
    let form = signup_form;
    let mut b = Browser::new(&w);
    b.fails("signup", &form("first", "")[..4], 403).await;
    b.fails("signup", &form("first", "wharf_setup_wrong"), 403).await;

    // Two sign-ups racing with the right token: one administrator.
    let leak = token.as_str();
    let (mut one, mut two) = (Browser::new(&w), Browser::new(&w));
    let (form_one, form_two) = (form("one", leak), form("two", leak));
    let (a, b2) = tokio::join!(one.call("signup", &form_one), two.call("signup", &form_two));
    let mut statuses = [a.0, b2.0];
    statuses.sort();
    assert_eq!(statuses, [200, 403], "{a:?} {b2:?}");
    let db = Database::connect(&w.db.url).await.unwrap();
    let admins: i64 = scalar(&db, "SELECT COUNT(*) FROM users WHERE admin").await;
    assert_eq!(admins, 1);
    // Used up.
    Browser::new(&w).fails("signup", &form("three", leak), 403).await;
    w.stop().await;

    // With sign-up open, accounts are ordinary ones; `wharf user add --admin` ends the token.
    let w = TestWharf::start_with(DbKind::Sqlite, |c| c.signup = true).await;
    let token = std::fs::read_to_string(w.data_dir.join("setup-token")).unwrap();
    let token = token.trim();
    let mut plain = Browser::new(&w);
    let me = plain.ok("signup", &form("plain", "")[..4]).await;
    assert_eq!(me["admin"], false, "{me}");
    w.add_user("root", PW, true).await;
    Browser::new(&w).fails("signup", &form("late", token), 403).await;
    w.stop().await;
}

fn signup_form<'a>(name: &'a str, setup: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", name),
        ("email", ""),
        ("password", PW),
        ("password_again", PW),
        ("setup_token", setup),
    ]
}

async fn two_admins_disabling_each_other_keep_one(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    w.add_user("ann", PW, true).await;
    w.add_user("ben", PW, true).await;
    let db = Database::connect(&w.db.url).await.unwrap();
    let enabled_admins = || scalar::<i64>(&db, "SELECT COUNT(*) FROM users WHERE admin AND NOT disabled");
    for round in 0..6 {
        let mut ann = Browser::signed_in(&w, "ann", PW).await;
        let mut ben = Browser::signed_in(&w, "ben", PW).await;
        let (field, on) = if round % 2 == 0 {
            ("set_user_disabled", ("disabled", "true"))
        } else {
            ("set_user_admin", ("admin", "false"))
        };
        let (to_ben, to_ann) = ([("name", "ben"), on], [("name", "ann"), on]);
        let (a, b) = tokio::join!(ann.call(field, &to_ben), ben.call(field, &to_ann));
        assert_eq!(enabled_admins().await, 1, "round {round}: {a:?} {b:?}");
        for name in ["ann", "ben"] {
            w.cli_ok(&["user", "enable", name], None).await;
        }
        db.execute_unprepared("UPDATE users SET admin = true").await.unwrap();
        w.settle().await;
    }
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_disabling_each_other_keep_one_sqlite() {
    two_admins_disabling_each_other_keep_one(DbKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_disabling_each_other_keep_one_postgres() {
    two_admins_disabling_each_other_keep_one(DbKind::Postgres).await;
}

/// PostgreSQL hands out ids when rows are inserted, not when they commit: a change with a
/// lower id can become visible after one with a higher id. The cache must still see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_committed_out_of_order_still_clears_the_caches() {
    use sea_orm::TransactionTrait;
    use wharf_app::backend::auth::cache::AuthCache;
    use wharf_app::backend::store::auth_changes;

    let w = TestWharf::start(DbKind::Postgres).await;
    let db = Database::connect(&w.db.url).await.unwrap();
    let cache = AuthCache::new(Duration::from_secs(600));
    cache.sync(&db).await;
    let key = ("ns".to_owned(), None);

    let slow = db.begin().await.unwrap();
    auth_changes::record(&slow, "slow").await.unwrap(); // id n, not committed yet
    auth_changes::record(&db, "fast").await.unwrap(); // id n+1, committed
    cache.sync(&db).await;
    cache.facts.insert(key.clone(), None).await;
    slow.commit().await.unwrap(); // id n becomes visible now
    cache.sync(&db).await;
    assert!(
        cache.facts.get(&key).await.is_none(),
        "the late change cleared what was cached before it"
    );
    w.stop().await;
}

/// Behind the shipped proxy configuration, each client is limited on its own address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_behind_the_proxy_are_limited_separately() {
    // The shipped deployments trust their proxy's network.
    let deploy = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let compose = std::fs::read_to_string(deploy.join("compose.yaml")).unwrap();
    for file in ["config/wharf.toml", "kubernetes/config/wharf.toml"] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        let table: toml::Table = text.parse().unwrap();
        let trusted = table["trusted_proxies"].as_array().map(Vec::len).unwrap_or(0);
        assert!(trusted > 0, "{file} trusts no proxy");
        if file == "config/wharf.toml" {
            let net = table["trusted_proxies"][0].as_str().unwrap();
            assert!(
                compose.contains(&format!("subnet: {net}")),
                "compose's network is {net}"
            );
        }
    }

    let w = TestWharf::start_with(DbKind::Sqlite, |c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.ip_failures_per_minute = 3;
    })
    .await;
    w.add_user("erin", PW, false).await;
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", crate::helpers::free_port());
    let wharf_addr = w.url.trim_start_matches("http://").to_owned();
    let conf = w
        .cli_ok(
            &[
                "lb-config",
                "--standalone",
                "--listen",
                &listen,
                "--wharf",
                &wharf_addr,
                "--replica",
                "127.0.0.1:9",
            ],
            None,
        )
        .await;
    std::fs::create_dir_all(dir.path().join("tmp")).unwrap();
    std::fs::write(dir.path().join("nginx.conf"), &conf).unwrap();
    let mut nginx = std::process::Command::new("nginx")
        .arg("-p")
        .arg(dir.path())
        .arg("-c")
        .arg(dir.path().join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("nginx");
    crate::helpers::eventually("nginx", 10, || async {
        std::net::TcpStream::connect(&listen).ok().map(|_| ())
    })
    .await;
    let through = |from: &'static str, secret: &'static str| {
        let listen = listen.clone();
        let service = w.config.service.clone();
        async move {
            let client = reqwest::Client::builder()
                .local_address(from.parse::<IpAddr>().unwrap())
                .build()
                .unwrap();
            client
                .get(format!("http://{listen}/v2/token?service={service}"))
                .header("authorization", basic("erin", secret))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut mallory = Vec::new();
    for _ in 0..5 {
        mallory.push(through("127.0.0.2", "not her password").await);
    }
    assert_eq!(mallory.last(), Some(&429), "{mallory:?}");
    assert_eq!(through("127.0.0.3", PW).await, 200, "another client behind the proxy");
    let _ = nginx.kill();
    let _ = nginx.wait();
    w.stop().await;
}
