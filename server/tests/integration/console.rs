//! The console's server functions over HTTP, as the browser calls them: the policy decides
//! what each caller sees and may change (the same answers whatever the UI shows), pagination
//! and search on the server, the rules that keep wharf manageable (an owner per team, an
//! enabled admin), CSRF, and clear 4xx answers to bad input. SQLite and PostgreSQL.

use serde_json::{json, Value};
use wharf_app::backend::events::MANIFEST_MEDIA_TYPES;

use crate::helpers::{DbKind, TestWharf};
use crate::registry_events::{push, secret, Sender};

const DIGEST: &str = "sha256:3333333333333333333333333333333333333333333333333333333333333333";

/// One browser: a session cookie (after `login`) and same-origin requests.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    pub(crate) cookie: Option<String>,
}

impl Browser {
    pub(crate) fn new(w: &TestWharf) -> Browser {
        Browser {
            http: reqwest::Client::new(),
            base: w.url.clone(),
            cookie: None,
        }
    }

    pub(crate) async fn signed_in(w: &TestWharf, user: &str, password: &str) -> Browser {
        let mut b = Browser::new(w);
        let (status, body) = b.call("login", &[("username", user), ("password", password)]).await;
        assert_eq!(status, 200, "login {user}: {body}");
        assert!(b.cookie.is_some(), "login sets the session cookie");
        b
    }

    /// POSTs a server function with form fields; returns status and JSON body.
    pub(crate) async fn call(&mut self, name: &str, form: &[(&str, &str)]) -> (u16, Value) {
        self.call_from(name, form, &self.base.clone()).await
    }

    async fn call_from(&mut self, name: &str, form: &[(&str, &str)], origin: &str) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("origin", origin)
            .form(form);
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            if let Some(pair) = v.split(';').next().filter(|p| p.starts_with("wharf_session=")) {
                self.cookie = (pair != "wharf_session=").then(|| pair.to_owned());
            }
        }
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub(crate) async fn ok(&mut self, name: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.call(name, form).await;
        assert_eq!(status, 200, "{name} {form:?}: {body}");
        body
    }

    /// The call fails with `status` and a readable message in the error body.
    pub(crate) async fn fails(&mut self, name: &str, form: &[(&str, &str)], status: u16) -> String {
        let (got, body) = self.call(name, form).await;
        assert_eq!(got, status, "{name} {form:?}: {body}");
        let message = body.as_object().and_then(|o| o.values().next()).and_then(Value::as_str);
        message
            .unwrap_or_else(|| panic!("{name}: no error message in {body}"))
            .to_owned()
    }
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["full_name"].as_str().unwrap().to_owned())
        .collect()
}

async fn seed(w: &TestWharf) {
    w.add_user("admin", "admin-password-1", true).await;
    w.add_user("alice", "alice-password-1", false).await;
    w.add_user("bob", "bob-password-1", false).await;
    w.cli_ok(&["team", "add", "devs", "--owner", "admin"], None).await;
    w.cli_ok(&["team", "member", "add", "devs", "alice", "--role", "viewer"], None)
        .await;
    w.cli_ok(
        &["namespace", "add", "devs", "--team", "devs", "--visibility", "private"],
        None,
    )
    .await;
    w.cli_ok(
        &["namespace", "add", "pub", "--team", "devs", "--visibility", "public"],
        None,
    )
    .await;
    let sender = Sender {
        w,
        http: reqwest::Client::new(),
        secret: secret(w),
    };
    let mut events = Vec::new();
    for i in 0..30 {
        let at = format!("2026-11-01T10:{i:02}:00Z");
        events.push(push(
            &format!("e{i}"),
            &at,
            &format!("devs/app{i:02}"),
            "v1",
            DIGEST,
            MANIFEST_MEDIA_TYPES[2],
        ));
    }
    events.push(push(
        "p",
        "2026-11-01T11:00:00Z",
        "pub/hello",
        "1.0",
        DIGEST,
        MANIFEST_MEDIA_TYPES[2],
    ));
    events.push(push(
        "l",
        "2026-11-01T11:00:00Z",
        "devs/app00",
        "latest",
        DIGEST,
        MANIFEST_MEDIA_TYPES[2],
    ));
    // A namespace wharf does not know: kept as an orphan for an admin to adopt.
    events.push(push(
        "o",
        "2026-11-01T11:00:00Z",
        "legacy/old",
        "1",
        DIGEST,
        MANIFEST_MEDIA_TYPES[2],
    ));
    let (status, body) = sender.send(&events).await;
    assert_eq!(status, 200, "{body}");
    w.settle().await;
}

async fn browse_and_policy(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    seed(&w).await;
    let mut admin = Browser::signed_in(&w, "admin", "admin-password-1").await;
    let mut alice = Browser::signed_in(&w, "alice", "alice-password-1").await;
    let mut bob = Browser::signed_in(&w, "bob", "bob-password-1").await;
    let mut anonymous = Browser::new(&w);

    // Server-side pagination, sorting and filtering.
    let page = alice
        .ok("list_repositories", &[("per_page", "10"), ("page", "3")])
        .await;
    assert_eq!(page["total"], 31);
    assert_eq!(names(&page).len(), 10);
    assert_eq!(names(&page)[0], "devs/app20");
    let recent = alice
        .ok("list_repositories", &[("sort", "updated"), ("per_page", "2")])
        .await;
    // Same push time: by name.
    assert_eq!(names(&recent), ["devs/app00", "pub/hello"]);
    let filtered = alice.ok("list_repositories", &[("q", "app1")]).await;
    assert_eq!(filtered["total"], 10);
    let in_ns = alice.ok("list_repositories", &[("namespace", "pub")]).await;
    assert_eq!(names(&in_ns), ["pub/hello"]);

    // Visibility: bob and anonymous see the public namespace only; private names never leak.
    for b in [&mut bob, &mut anonymous] {
        let all = b.ok("list_repositories", &[]).await;
        assert_eq!(names(&all), ["pub/hello"]);
        let msg = b.fails("get_repository", &[("name", "devs/app00")], 404).await;
        assert!(msg.contains("no repository"), "{msg}");
        b.fails("get_namespace", &[("name", "devs")], 404).await;
        let found = b.ok("search", &[("q", "app")]).await;
        assert_eq!(found["repositories"], json!([]));
        assert_eq!(found["tags"], json!([]));
    }
    let found = alice.ok("search", &[("q", "lat")]).await;
    assert_eq!(found["tags"], json!([["devs/app00", "latest"]]));

    // The repository page lists images, each with the tags sharing its digest, and carries the
    // facts the UI asks the policy with.
    let repo = alice
        .ok("get_repository", &[("name", "devs/app00"), ("listing[sort]", "name")])
        .await;
    assert_eq!(repo["tag_count"], 2);
    assert_eq!(repo["images"]["total"], 1);
    assert_eq!(repo["images"]["items"][0]["tags"], json!(["latest", "v1"]));
    assert_eq!(repo["images"]["items"][0]["digest"], DIGEST);
    assert_eq!(repo["facts"]["kind"]["Team"]["member_role"], "viewer");

    // A viewer may look but not change; the server says so whatever the UI shows.
    alice
        .fails(
            "preview_tag_delete",
            &[("repository", "devs/app00"), ("tag", "v1")],
            403,
        )
        .await;
    alice
        .fails(
            "delete_tag",
            &[("repository", "devs/app00"), ("tag", "v1"), ("digest", DIGEST)],
            403,
        )
        .await;
    for f in ["preview_images_delete", "delete_images"] {
        alice
            .fails(f, &[("repository", "devs/app00"), ("digests[0]", DIGEST)], 403)
            .await;
    }
    alice
        .fails(
            "set_repository_description",
            &[("repository", "devs/app00"), ("description", "x")],
            403,
        )
        .await;
    alice
        .fails("update_namespace", &[("name", "devs"), ("visibility", "public")], 403)
        .await;
    alice
        .fails(
            "set_team_member",
            &[("team", "devs"), ("user", "bob"), ("role", "owner")],
            403,
        )
        .await;
    bob.fails("get_team", &[("name", "devs")], 404).await;
    bob.fails("list_users", &[], 403).await;
    anonymous.fails("list_users", &[], 401).await;
    anonymous.fails("registry_overview", &[], 401).await;

    // The owner's preview lists every tag on the digest; markdown is sanitized.
    let plan = admin
        .ok("preview_tag_delete", &[("repository", "devs/app00"), ("tag", "v1")])
        .await;
    assert_eq!(plan["tags"], json!(["latest", "v1"]));
    let html = admin
        .ok(
            "set_repository_description",
            &[
                ("repository", "devs/app00"),
                ("description", "# App\n<script>alert(1)</script>"),
            ],
        )
        .await;
    let html = html.as_str().unwrap();
    assert!(html.contains("<h1>App</h1>") && !html.contains("<script"), "{html}");

    // Stars show on the dashboard.
    assert_eq!(
        alice
            .ok("set_star", &[("repository", "devs/app03"), ("starred", "true")])
            .await,
        true
    );
    let dash = alice.ok("dashboard", &[]).await;
    assert_eq!(dash["starred"][0]["full_name"], "devs/app03");

    // Visibility changes take effect at once: devs made public, bob sees it.
    admin
        .ok("update_namespace", &[("name", "devs"), ("visibility", "protected")])
        .await;
    let all = bob.ok("list_repositories", &[("per_page", "100")]).await;
    assert_eq!(all["total"], 31);

    w.stop().await;
}

async fn admin_rules(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    seed(&w).await;
    let mut admin = Browser::signed_in(&w, "admin", "admin-password-1").await;

    // Orphans are listed on the registries page and adopted into a team's new namespace
    // (administrators only).
    let overview = admin.ok("registry_overview", &[]).await;
    assert_eq!(overview["orphans"][0]["name"], "legacy/old");
    let mut alice = Browser::signed_in(&w, "alice", "alice-password-1").await;
    alice
        .fails("adopt_orphans", &[("namespace", "legacy"), ("team", "devs")], 403)
        .await;
    admin.fails("adopt_orphans", &[("namespace", "legacy")], 404).await;
    assert_eq!(
        admin
            .ok("adopt_orphans", &[("namespace", "legacy"), ("team", "devs")])
            .await,
        json!({"namespace": "legacy", "created": true, "repositories": ["legacy/old"]})
    );
    assert_eq!(admin.ok("registry_overview", &[]).await["orphans"], json!([]));
    let adopted = admin.ok("list_repositories", &[("namespace", "legacy")]).await;
    assert_eq!(names(&adopted), ["legacy/old"]);

    // The last enabled admin can neither leave nor be disabled.
    let msg = admin
        .fails("set_user_admin", &[("name", "admin"), ("admin", "false")], 409)
        .await;
    assert!(msg.contains("last administrator"), "{msg}");
    admin
        .fails("set_user_disabled", &[("name", "admin"), ("disabled", "true")], 409)
        .await;
    // A team always keeps an owner.
    let msg = admin
        .fails("remove_team_member", &[("team", "devs"), ("user", "admin")], 409)
        .await;
    assert!(msg.contains("owner"), "{msg}");
    admin
        .fails(
            "set_team_member",
            &[("team", "devs"), ("user", "admin"), ("role", "viewer")],
            409,
        )
        .await;
    // Personal namespaces cannot be deleted; non-empty ones neither.
    admin.fails("delete_namespace", &[("name", "alice")], 400).await;
    let msg = admin.fails("delete_namespace", &[("name", "devs")], 409).await;
    assert!(msg.contains("still holds"), "{msg}");
    // Names follow the distribution grammar, with a message saying what is wrong.
    let msg = admin
        .fails(
            "create_namespace",
            &[
                ("team", "devs"),
                ("name", "Bad_Name"),
                ("visibility", "private"),
                ("description", ""),
            ],
            400,
        )
        .await;
    assert!(msg.contains("namespace name"), "{msg}");
    admin
        .ok(
            "create_namespace",
            &[
                ("team", "devs"),
                ("name", "empty"),
                ("visibility", "private"),
                ("description", ""),
            ],
        )
        .await;
    admin.ok("delete_namespace", &[("name", "empty")]).await;
    // A team owning namespaces is deleted only with somewhere for them to go.
    admin.ok("create_team", &[("name", "ops"), ("description", "")]).await;
    admin.fails("delete_team", &[("name", "devs")], 409).await;
    assert_eq!(
        admin
            .ok("delete_team", &[("name", "devs"), ("transfer_to", "ops")])
            .await,
        3
    );
    let ns = admin.ok("get_namespace", &[("name", "devs")]).await;
    assert_eq!(ns["summary"]["team"], "ops");

    // Making alice an admin lets the first one step down; disabling ends her sessions.
    admin
        .ok("set_user_admin", &[("name", "alice"), ("admin", "true")])
        .await;
    admin
        .ok("set_user_admin", &[("name", "admin"), ("admin", "false")])
        .await;
    let mut alice = Browser::signed_in(&w, "alice", "alice-password-1").await;
    alice
        .ok("set_user_disabled", &[("name", "admin"), ("disabled", "true")])
        .await;
    let (_, me) = admin.call("whoami", &[]).await;
    assert_eq!(me, Value::Null, "a disabled user's session is over");

    // Password change: wrong current password refused; new one works, old one not.
    alice
        .fails(
            "change_password",
            &[
                ("current", "wrong"),
                ("new_password", "new-password-2"),
                ("new_password_again", "new-password-2"),
            ],
            400,
        )
        .await;
    alice
        .ok(
            "change_password",
            &[
                ("current", "alice-password-1"),
                ("new_password", "new-password-2"),
                ("new_password_again", "new-password-2"),
            ],
        )
        .await;
    assert_eq!(alice.ok("whoami", &[]).await["name"], "alice", "this session continues");
    Browser::new(&w)
        .fails("login", &[("username", "alice"), ("password", "alice-password-1")], 401)
        .await;
    Browser::signed_in(&w, "alice", "new-password-2").await;

    // Application tokens: shown once, listed without the secret, revoked.
    let created = alice
        .ok(
            "create_app_token",
            &[("name", "ci"), ("read_only", "true"), ("expires_in_days", "30")],
        )
        .await;
    assert!(created["token"].as_str().unwrap().len() > 30);
    assert!(created["login_command"].as_str().unwrap().contains("-u alice"));
    let tokens = alice.ok("list_app_tokens", &[]).await;
    assert_eq!(tokens[0]["read_only"], true);
    assert!(!tokens.to_string().contains(created["token"].as_str().unwrap()));
    alice.ok("revoke_app_token", &[("name", "ci")]).await;
    assert_eq!(alice.ok("list_app_tokens", &[]).await, json!([]));
    alice.fails("create_app_token", &[("name", "")], 400).await;

    // Every action above is in the activity log, filterable by kind.
    let log = alice.ok("list_activities", &[("kind", "team.")]).await;
    assert!(log["total"].as_u64().unwrap() >= 2, "{log}");
    let bad = alice.fails("list_activities", &[("from", "yesterday")], 400).await;
    assert!(bad.contains("not a date"), "{bad}");

    w.stop().await;
}

async fn bad_input(kind: DbKind) {
    let w = TestWharf::start(kind).await;
    seed(&w).await;
    let mut admin = Browser::signed_in(&w, "admin", "admin-password-1").await;
    // Malformed and missing fields: 400 with a message, never a 500.
    admin.fails("list_repositories", &[("page", "abc")], 400).await;
    admin.fails("get_repository", &[], 400).await;
    admin
        .fails(
            "set_team_member",
            &[("team", "devs"), ("user", "bob"), ("role", "emperor")],
            400,
        )
        .await;
    admin.fails("search", &[("q", &"x".repeat(200))], 400).await;
    admin.fails("get_repository", &[("name", "NOT A NAME")], 404).await;
    // Cross-site form posts are refused before anything runs.
    let (status, _) = admin.call_from("list_users", &[], "http://evil.example").await;
    assert_eq!(status, 403);
    // Pages past the end are empty; pages and sizes out of range are refused.
    let page = admin.ok("list_repositories", &[("page", "999")]).await;
    assert_eq!(page["items"], json!([]));
    admin.fails("list_repositories", &[("per_page", "100000")], 400).await;
    admin
        .fails("list_activities", &[("page", "18446744073709551615")], 400)
        .await;
    admin.fails("list_users", &[("page", "0")], 400).await;
    // Exports need a session and a known format.
    let http = reqwest::Client::new();
    let anon = http
        .get(format!("{}/console/activity/export?format=csv", w.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let cookie = admin.cookie.clone().unwrap();
    let csv = http
        .get(format!("{}/console/activity/export?format=csv", w.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.text().await.unwrap().starts_with("id,at,actor,kind"));
    let xml = http
        .get(format!("{}/console/activity/export?format=xml", w.url))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(xml.status(), 400);
    w.stop().await;
}

#[tokio::test]
async fn browse_and_policy_sqlite() {
    browse_and_policy(DbKind::Sqlite).await;
}

#[tokio::test]
async fn browse_and_policy_postgres() {
    browse_and_policy(DbKind::Postgres).await;
}

#[tokio::test]
async fn admin_rules_sqlite() {
    admin_rules(DbKind::Sqlite).await;
}

#[tokio::test]
async fn admin_rules_postgres() {
    admin_rules(DbKind::Postgres).await;
}

#[tokio::test]
async fn bad_input_sqlite() {
    bad_input(DbKind::Sqlite).await;
}
