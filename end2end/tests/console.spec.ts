// The console end to end, in Debian's Chromium, against wharf and a real docker-registry
// (serve-for-test.sh): images are pushed and pulled with skopeo through wharf's token service.
// One story, in order: each test builds on what the previous ones did.
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test, expect, type Browser, type Page } from "@playwright/test";
import fs from "node:fs";
import { listTags, pullImage, pushImage, stateDir } from "./registry";

const ADMIN = { user: "admin", password: "e2e-admin-password" };
const ALICE = { user: "alice", password: "e2e-alice-password" };
const SHOTS = path.join(__dirname, "..", "..", "docs", "screenshots");

/** What the browser refused under the Content-Security-Policy, on any page of the story. */
const cspViolations: string[] = [];
function watchCsp(page: Page) {
  page.on("console", (m) => {
    if (m.text().includes("Content Security Policy")) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(page: Page, who: { user: string; password: string }) {
  await page.goto("/login");
  await page.waitForLoadState("networkidle");
  await page.getByLabel("User name").fill(who.user);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toHaveText(who.user);
}

async function freshPage(browser: Browser, who?: { user: string; password: string }) {
  const page = watchCsp(await (await browser.newContext()).newPage());
  if (who) await signIn(page, who);
  return page;
}

/** Client-side navigation through a link, then wait for the page's data. */
async function open(page: Page, url: string) {
  await page.goto(url);
  await page.waitForLoadState("networkidle");
}

test.describe.serial("the wharf console", () => {
  let admin: Page;
  let pushedDigest = "";

  test.beforeAll(async ({ browser }) => {
    admin = watchCsp(await (await browser.newContext()).newPage());
  });

  test("the first administrator signs up with the one-time setup token", async ({ browser }) => {
    await open(admin, "/login");
    await admin.getByRole("link", { name: "Create one" }).click();
    await expect(admin).toHaveURL(/\/signup$/);
    await admin.waitForLoadState("networkidle");
    // Without the token (what an early visitor of a fresh install would try): refused.
    await admin.getByLabel("User name").fill("intruder");
    await admin.getByLabel("Setup token").fill("wharf_setup_guessed");
    await admin.getByLabel("Password (at least 8 characters)").fill(ADMIN.password);
    await admin.getByLabel("Password again").fill(ADMIN.password);
    await admin.getByRole("button", { name: "Create account" }).click();
    await expect(admin.getByRole("alert")).toContainText("setup token is not valid");
    // The token wharf wrote to its data dir at first start (serve-for-test.sh copies it).
    const setupToken = fs.readFileSync(path.join(stateDir(), "setup-token"), "utf8").trim();
    await admin.getByLabel("Setup token").fill(setupToken);
    await admin.getByLabel("User name").fill(ADMIN.user);
    await admin.getByLabel("Email").fill("admin@example.com");
    await admin.getByLabel("Password (at least 8 characters)").fill(ADMIN.password);
    await admin.getByLabel("Password again").fill(ADMIN.password);
    await admin.getByRole("button", { name: "Create account" }).click();
    await expect(admin.getByTestId("current-user")).toHaveText("admin");
    await expect(admin.getByRole("link", { name: "Users" })).toBeVisible();

    const cookie = (await admin.context().cookies()).find((c) => c.name === "wharf_session");
    expect(cookie?.httpOnly).toBe(true);
    expect(cookie?.sameSite).toBe("Strict");

    // Sign-up is off by default once someone exists.
    const other = await freshPage(browser);
    await open(other, "/signup");
    await expect(other.getByRole("alert")).toContainText("Sign-up is disabled");
  });

  test("a wrong password gets a readable error and no session", async ({ browser }) => {
    const page = await freshPage(browser);
    await open(page, "/login");
    await page.getByLabel("User name").fill("admin");
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("invalid user name or password");
    expect((await page.context().cookies()).find((c) => c.name === "wharf_session")).toBeUndefined();
  });

  test("the admin creates users, a team with alice as viewer, and namespaces", async () => {
    await admin.getByRole("link", { name: "Users" }).click();
    await expect(admin).toHaveURL(/\/admin\/users$/);
    await admin.waitForLoadState("networkidle");
    for (const name of ["alice", "bob"]) {
      await admin.getByLabel("User name").fill(name);
      await admin.getByLabel("Password").fill(`e2e-${name}-password`);
      await admin.getByRole("button", { name: "Create user" }).click();
      await expect(admin.locator(`[data-testid=user-row][data-user=${name}]`)).toBeVisible();
    }
    // A bad name gets the registry grammar's message, not a stack trace.
    await admin.getByLabel("User name").fill("Not Valid!");
    await admin.getByLabel("Password").fill("long-enough-password");
    await admin.getByRole("button", { name: "Create user" }).click();
    await expect(admin.getByRole("alert").first()).toContainText("user name");
    // The form keeps what failed, to fix it; a success clears it and the failure's toast.
    await expect(admin.getByLabel("User name")).toHaveValue("Not Valid!");
    await admin.getByLabel("User name").fill("carol");
    await admin.getByLabel("Password").fill("e2e-carol-password");
    await admin.getByRole("button", { name: "Create user" }).click();
    await expect(admin.locator("[data-testid=user-row][data-user=carol]")).toBeVisible();
    await expect(admin.getByLabel("User name")).toHaveValue("");
    await expect(admin.getByTestId("toast-error")).toHaveCount(0);
    await shot(admin, "users");

    await admin.getByRole("link", { name: "Teams" }).click();
    // Wait for the Teams page itself: until it replaces the Users page, getByLabel("Name")
    // (a substring match) finds the Users form's "User name" and the fill is lost.
    await expect(admin).toHaveURL(/\/teams$/);
    await expect(admin.getByRole("heading", { name: "Create a team" })).toBeVisible();
    await admin.waitForLoadState("networkidle");
    // A team's name is its namespace's too: refused as a team name, with one to try.
    await admin.getByLabel("Name", { exact: true }).fill("Data Science");
    await admin.getByRole("button", { name: "Create team" }).click();
    await expect(admin.getByTestId("toast-error")).toContainText('team name "Data Science" is invalid');
    await expect(admin.getByTestId("toast-error")).toContainText('try "data-science"');
    await admin.getByLabel("Name", { exact: true }).fill("devs");
    await admin.getByLabel("Description").fill("The developers");
    await admin.getByRole("button", { name: "Create team" }).click();
    await admin.getByTestId("teams").getByRole("link", { name: "devs" }).click();
    await expect(admin.getByTestId("team-name")).toHaveText("devs");
    await admin.waitForLoadState("networkidle");

    await admin.getByLabel("User", { exact: true }).fill("alice");
    await admin.getByRole("button", { name: "Add member" }).click();
    const alice = admin.locator("[data-testid=member-row][data-user=alice]");
    await expect(alice).toBeVisible();
    await expect(alice.getByRole("combobox")).toHaveValue("viewer");

    for (const [name, visibility] of [["devs", "private"], ["pub", "public"]]) {
      await admin.getByLabel("New namespace").fill(name);
      await admin.getByLabel("Visibility").selectOption(visibility);
      await admin.getByRole("button", { name: "Create namespace" }).click();
      await expect(admin.getByTestId("team-namespaces")).toContainText(name);
    }
    // Names follow the distribution grammar, with a clear message.
    await admin.getByLabel("New namespace").fill("Bad_Name");
    await admin.getByRole("button", { name: "Create namespace" }).click();
    await expect(admin.getByRole("alert").first()).toContainText("namespace name");
    await shot(admin, "team");
  });

  test("images pushed with skopeo appear with digest, size and shared tags", async () => {
    const v1 = pushImage(ADMIN.user, ADMIN.password, "devs/app", "v1");
    expect(v1.ok, v1.stderr).toBe(true);
    // Same content, so the same digest: two tags on one image.
    const latest = pushImage(ADMIN.user, ADMIN.password, "devs/app", "latest", "devs/app:v1");
    expect(latest.ok, latest.stderr).toBe(true);
    expect(latest.digest).toBe(v1.digest);
    for (const [repo, tag] of [["devs/tool", "1.0"], ["pub/hello", "1.0"]]) {
      const r = pushImage(ADMIN.user, ADMIN.password, repo, tag);
      expect(r.ok, r.stderr).toBe(true);
    }
    pushedDigest = v1.digest;

    // Notifications arrive asynchronously: reload until both tags are there, on one image row.
    const row = admin.locator(`[data-testid=image-row][data-digest="${v1.digest}"]`);
    await expect(async () => {
      await open(admin, "/r/devs/app");
      await expect(row.getByTestId("tag-link")).toHaveCount(2, { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(admin.getByTestId("image-row")).toHaveCount(1);
    await expect(row.getByTestId("tag-link")).toHaveText(["latest", "v1"]);
    await expect(row.getByTestId("digest")).toHaveText(v1.digest.slice("sha256:".length, "sha256:".length + 12));
    await expect(row.getByTestId("digest")).toHaveAttribute("title", v1.digest);
    await expect(row.getByTestId("size")).not.toHaveText("0 B");
    await expect(row).toContainText("admin");
    await expect(admin.getByText("2 tags · 0 pulls")).toBeVisible();
    await expect(admin.getByTestId("pull-command")).toContainText("docker pull 127.0.0.1:");
    await expect(admin.getByTestId("pull-command")).toContainText("devs/app:latest");
    await expect(admin.getByTestId("delete-image")).toHaveCount(1);
    await admin.getByTestId("star").click();
    await expect(admin.getByTestId("star")).toHaveText("★ Starred");
    await shot(admin, "repository");

    await open(admin, "/");
    await expect(admin.getByTestId("starred")).toContainText("devs/app");
    await expect(admin.getByTestId("recent")).toContainText("devs/tool");
    await shot(admin, "dashboard");
  });

  test("search as you type finds repositories and tags", async () => {
    await open(admin, "/");
    await admin.getByLabel("Search").fill("ap");
    const results = admin.getByTestId("search-results");
    await expect(results).toContainText("devs/app");
    await expect(results).not.toContainText("devs/tool");
    await admin.getByLabel("Search").fill("v1");
    await expect(results).toContainText("devs/app:v1");
    await admin.getByLabel("Search").press("Enter");
    await expect(admin).toHaveURL(/\/search\?q=v1$/);
    await expect(admin.getByTestId("tag-results")).toContainText("devs/app:v1");
    await shot(admin, "search");
  });

  test("a viewer sees the image, gets no delete button and may not push", async ({ browser }) => {
    const page = await freshPage(browser, ALICE);
    await open(page, "/r/devs/app");
    await expect(page.getByTestId("image-row")).toHaveCount(1);
    await expect(page.getByTestId("tag-link")).toHaveCount(2);
    await expect(page.getByTestId("delete-image")).toHaveCount(0);
    await expect(page.getByTestId("select-image")).toHaveCount(0);
    const push = pushImage(ALICE.user, ALICE.password, "devs/app", "v2", "alice");
    expect(push.ok).toBe(false);
    expect(push.stderr).toContain("denied");
    const pull = pullImage(ALICE, "devs/app", "v1");
    expect(pull.ok, pull.stderr).toBe(true);
    expect(pull.digest).toBe(pushedDigest);
  });

  test("the owner describes the repository in Markdown (the editor is fetched on first use)", async () => {
    await open(admin, "/r/devs/app");
    await admin.getByRole("button", { name: "Edit", exact: true }).click();
    await admin.getByLabel("Markdown").fill("# Build notes\n\nUse **v1** in production.");
    await admin.getByRole("button", { name: "Save description" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Description saved" })).toBeVisible();
    await expect(admin.locator(".prose-wharf h1")).toHaveText("Build notes");
    await expect(admin.locator(".prose-wharf strong")).toHaveText("v1");
    await open(admin, "/r/devs/app");
    await expect(admin.locator(".prose-wharf strong")).toHaveText("v1");
  });

  test("the owner deletes a tag after seeing every tag on its digest", async () => {
    await open(admin, "/r/devs/app");
    await admin.getByTestId("image-row").getByTestId("delete-image").click();
    const dialog = admin.getByRole("dialog");
    await expect(dialog.getByTestId("delete-tags")).toHaveText("latest, v1");
    await dialog.getByTestId("confirm-delete").click();
    await expect(admin.getByRole("status").filter({ hasText: "Deleted" })).toBeVisible();
    await expect(admin.getByTestId("image-row")).toHaveCount(0);
    // Gone from the registry too.
    expect(listTags(ADMIN, "devs/app").tags).toEqual([]);
    const pull = pullImage(ADMIN, "devs/app", "latest");
    expect(pull.ok).toBe(false);
  });

  test("an index opens its platforms; signatures hide behind a toggle; images go in bulk", async () => {
    const multi = pushImage(ADMIN.user, ADMIN.password, "devs/multi", "1.0", "multi", "linux/amd64,linux/arm64");
    expect(multi.ok, multi.stderr).toBe(true);
    const tool = pushImage(ADMIN.user, ADMIN.password, "devs/multi", "tool");
    expect(tool.ok, tool.stderr).toBe(true);
    // A signature the way cosign tags it (its contents do not matter to the console).
    const sigTag = `sha256-${tool.digest.slice("sha256:".length)}.sig`;
    const sig = pushImage(ADMIN.user, ADMIN.password, "devs/multi", sigTag, "signature");
    expect(sig.ok, sig.stderr).toBe(true);

    const toolRow = admin.locator(`[data-testid=image-row][data-digest="${tool.digest}"]`);
    await expect(async () => {
      await open(admin, "/r/devs/multi");
      await expect(toolRow.getByTestId("badge")).toHaveText("signed", { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(admin.getByTestId("image-row")).toHaveCount(2);
    await admin.getByTestId("show-accessories").check();
    await expect(admin.getByTestId("image-row")).toHaveCount(3);
    await expect(admin.locator(`[data-testid=image-row][data-digest="${sig.digest}"]`).getByTestId("accessory-of")).toContainText(
      tool.digest.slice("sha256:".length, "sha256:".length + 12),
    );
    await admin.getByTestId("show-accessories").uncheck();
    await expect(admin.getByTestId("image-row")).toHaveCount(2);

    // The index's page: its platforms, each opening its own image page.
    await admin.locator(`[data-testid=image-row][data-digest="${multi.digest}"]`).getByTestId("tag-link").click();
    await expect(admin.getByTestId("image-name")).toContainText("devs/multi:1.0");
    const platforms = admin.getByTestId("platform-row");
    await expect(platforms).toHaveCount(2);
    await expect(platforms.first()).toContainText("linux/amd64");
    await expect(platforms.nth(1)).toContainText("linux/arm64");
    await expect(admin.getByTestId("pull-by-digest")).toContainText(`devs/multi@${multi.digest}`);
    await shot(admin, "image-index");
    await platforms.nth(1).getByRole("link").click();
    await expect(admin.getByTestId("image-facts")).toContainText("linux/arm64");
    await expect(admin.getByTestId("layer-row")).toHaveCount(1);
    await expect(admin.getByTestId("layer-row")).toContainText("end2end/make-oci-image.py");
    await expect(admin.getByTestId("labels")).toContainText("wharf.test.seed");
    await shot(admin, "image");

    // The signed image's page lists its signature; both images go in one deletion, the
    // signature with its image.
    await open(admin, `/i/devs/multi:tool`);
    await expect(admin.getByTestId("badge")).toHaveText("signed");
    await expect(admin.getByTestId("accessory-row")).toHaveAttribute("data-kind", "signature");
    await open(admin, "/r/devs/multi");
    await admin.getByTestId("select-all").check();
    await expect(admin.getByTestId("select-image")).toHaveCount(2);
    await admin.getByTestId("delete-selected").click();
    const dialog = admin.getByRole("dialog");
    await expect(dialog.getByTestId("delete-tags")).toHaveCount(2);
    await expect(dialog.getByTestId("delete-plan")).toContainText("1.0");
    await expect(dialog.getByTestId("delete-plan")).toContainText("tool");
    await expect(dialog.getByTestId("delete-accessories")).toContainText("signature");
    await dialog.getByTestId("confirm-delete").click();
    await expect(admin.getByRole("status").filter({ hasText: "Deleted" })).toBeVisible();
    await expect(admin.getByTestId("image-row")).toHaveCount(0);
    expect(listTags(ADMIN, "devs/multi").tags).toEqual([]);

    // A repository where only a signature is left (its image went another way) says so.
    const orphan = pushImage(ADMIN.user, ADMIN.password, "devs/sigs", `sha256-${"ab".repeat(32)}.sig`, "orphan");
    expect(orphan.ok, orphan.stderr).toBe(true);
    await expect(async () => {
      await open(admin, "/r/devs/sigs");
      await expect(admin.getByText("Only signatures, attestations or SBOMs remain here")).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await admin.getByTestId("show-accessories").check();
    await expect(admin.getByTestId("image-row")).toHaveCount(1);

    // The longest tag the grammar allows (128 characters) wraps in its cell: the row's
    // actions stay on screen at 1,280 px.
    const longTag = `release-${"x".repeat(112)}-final01`;
    expect(longTag.length).toBe(128);
    const long = pushImage(ADMIN.user, ADMIN.password, "devs/long", longTag);
    expect(long.ok, long.stderr).toBe(true);
    await admin.setViewportSize({ width: 1280, height: 720 });
    await expect(async () => {
      await open(admin, "/r/devs/long");
      await expect(admin.getByTestId("image-row")).toHaveCount(1, { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(admin.getByTestId("delete-image")).toBeInViewport();
    await expect(admin.getByRole("button", { name: "Copy pull" })).toBeInViewport();
  });

  test("an anonymous visitor sees only public namespaces", async ({ browser }) => {
    const page = await freshPage(browser);
    await open(page, "/namespaces");
    const table = page.getByTestId("namespaces");
    await expect(table).toContainText("pub");
    await expect(table.locator("tbody tr")).toHaveCount(1);
    await expect(page.locator('a[href="/namespaces/devs"]')).toHaveCount(0);
    await open(page, "/repositories");
    await expect(page.getByTestId("repositories")).toContainText("pub/hello");
    await expect(page.getByTestId("repositories")).not.toContainText("devs/tool");
    const resp = await page.goto("/r/devs/tool");
    expect(resp?.status()).toBe(404);
    await expect(page.getByRole("alert")).toContainText("no repository named");
    // Signing in might show it: the way there comes back to this page.
    await expect(page.getByTestId("sign-in-to-see")).toHaveAttribute("href", "/login?next=%2Fr%2Fdevs%2Ftool");
    await open(page, "/admin/users");
    await expect(page.getByTestId("admin-only")).toBeVisible();
    await expect(page.getByTestId("sign-in-to-see")).toHaveAttribute("href", "/login?next=%2Fadmin%2Fusers");
  });

  test("an application token works with skopeo until it is revoked", async ({ browser }) => {
    const page = await freshPage(browser, ALICE);
    await open(page, "/account");
    await page.getByLabel("Name").fill("ci");
    await page.getByLabel("Read-only").check();
    await page.getByRole("button", { name: "Create token" }).click();
    const token = (await page.getByTestId("new-token-value").textContent()) ?? "";
    expect(token.length).toBeGreaterThan(20);
    await expect(page.getByTestId("new-token")).toContainText("docker login 127.0.0.1:");
    await expect(page.getByTestId("tokens")).toContainText("read-only");
    await shot(page, "account");

    const anonymous = pullImage(null, "devs/tool", "1.0");
    expect(anonymous.ok).toBe(false);
    const withToken = pullImage({ user: "alice", password: token }, "devs/tool", "1.0");
    expect(withToken.ok, withToken.stderr).toBe(true);

    await page.getByTestId("token-row").getByRole("button", { name: "Revoke" }).click();
    await expect(page.getByTestId("token-row")).toHaveCount(0);
    const revoked = pullImage({ user: "alice", password: token }, "devs/tool", "1.0");
    expect(revoked.ok).toBe(false);
  });

  test("the registries page shows replica health and runs a sync", async () => {
    await open(admin, "/admin/registries");
    await expect(admin.getByTestId("replica").first()).toContainText("up", { timeout: 15_000 });
    await admin.getByTestId("sync-now").click();
    await expect(admin.getByRole("status").filter({ hasText: "Sync finished" })).toBeVisible({ timeout: 20_000 });
    await expect(admin.getByTestId("sync-runs")).toContainText("succeeded");
    await shot(admin, "registries");
    // The public endpoint is editable; put it back afterwards (other tests pull through it).
    const endpoint = admin.getByTestId("registry-endpoint");
    const input = endpoint.getByRole("textbox");
    const original = await input.inputValue();
    await input.fill("registry.example.com:443");
    await endpoint.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByRole("status").filter({ hasText: "Public endpoint saved" })).toBeVisible();
    await expect(admin.getByTestId("replica").first()).toContainText("registry.example.com:443");
    await admin.getByTestId("registry-endpoint").getByRole("textbox").fill(original);
    await admin.getByTestId("registry-endpoint").getByRole("button", { name: "Save" }).click();
    await expect(admin.getByTestId("replica").first()).toContainText(original);
  });

  test("the registries page generates registry, nginx and keepalived configurations", async () => {
    await open(admin, "/admin/registries");
    const form = admin.getByTestId("configurations");
    await form.getByLabel("Virtual IP (keepalived)").fill("not-an-ip");
    await form.getByTestId("generate-configs").click();
    await expect(form.getByRole("alert")).toContainText("vip must be an IP address with a prefix length");
    await form.getByLabel("Virtual IP (keepalived)").fill("10.0.0.100/24");
    await form.getByLabel("Redis (host:port)").fill("127.0.0.1:6379");
    await form.getByTestId("generate-configs").click();
    const files = form.getByTestId("generated-file");
    // One registry config per replica, nginx, and the keepalived pair.
    await expect(files).toHaveCount(4);
    await expect(files.nth(0)).toContainText("realm:");
    await expect(files.nth(0)).toContainText("blobdescriptor: redis");
    await expect(files.nth(0)).toContainText("?replica=");
    await expect(files.nth(1)).toContainText("ip_hash;");
    await expect(files.nth(2)).toContainText("state MASTER");
    await expect(files.nth(3)).toContainText("state BACKUP");
    await expect(files.nth(3)).toContainText("10.0.0.100/24 dev eth0");
    // The replica records registry 3: its Redis keys; the form can ask for 2.8's instead.
    await expect(admin.getByTestId("replica-version").first()).toHaveText("3.x");
    await expect(files.nth(0)).toContainText("addrs: [\"127.0.0.1:6379\"]");
    await shot(admin, "registries-configuration");
    await form.getByLabel("Registry version").selectOption("2");
    await form.getByTestId("generate-configs").click();
    await expect(files.nth(0)).toContainText("distribution 2.8");
    await expect(files.nth(0)).toContainText("addr: \"127.0.0.1:6379\"");
    await expect(files.nth(0)).not.toContainText("addrs:");
  });

  test("the activity log filters by kind and exports CSV and JSON", async () => {
    await open(admin, "/activity?kind=image.deleted");
    await expect(admin.getByTestId("activities")).toContainText("devs/app");
    await expect(admin.getByTestId("activities")).not.toContainText("image.pushed");
    await shot(admin, "activity");
    const csv = await admin.request.get("/console/activity/export?format=csv&kind=image.deleted");
    expect(csv.status()).toBe(200);
    const text = await csv.text();
    expect(text.split("\r\n")[0]).toBe("id,at,actor,kind,target,details,client_addr");
    expect(text).toContain("image.deleted");
    const json = await admin.request.get("/console/activity/export?format=json&kind=image.");
    expect(json.status()).toBe(200);
    const rows = (await json.json()) as { kind: string }[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.kind.startsWith("image."))).toBe(true);
    const bad = await admin.request.get("/console/activity/export?format=xml");
    expect(bad.status()).toBe(400);
    const anonymous = await (await admin.context().browser()!.newContext()).request.get(
      `${test.info().project.use.baseURL}/console/activity/export?format=csv`,
    );
    expect(anonymous.status()).toBe(401);
  });

  test("the console's assets come from the binary, compressed and cacheable", async () => {
    const wasm = await admin.request.get("/pkg/wharf.wasm", { headers: { "accept-encoding": "br" } });
    expect(wasm.status()).toBe(200);
    expect(wasm.headers()["content-encoding"]).toBe("br");
    expect(wasm.headers()["content-type"]).toBe("application/wasm");
    const etag = wasm.headers()["etag"];
    expect(etag).toBeTruthy();
    const again = await admin.request.get("/pkg/wharf.wasm", { headers: { "if-none-match": etag } });
    expect(again.status()).toBe(304);
    const css = await admin.request.get("/pkg/wharf.css", { headers: { "accept-encoding": "identity" } });
    expect(css.headers()["content-encoding"]).toBeUndefined();
    expect(await css.text()).toContain("prose-wharf");
  });

  test("a namespace page lists its repositories and lets its owner change it", async ({ browser }) => {
    await open(admin, "/namespaces");
    await expect(admin.getByTestId("namespaces")).toContainText("devs");
    await shot(admin, "namespaces");
    await admin.getByTestId("namespaces").getByRole("link", { name: "devs" }).first().click();
    await expect(admin).toHaveURL(/\/namespaces\/devs$/);
    await expect(admin.getByTestId("repositories")).toContainText("devs/tool");
    await admin.getByTestId("namespace-settings").locator("summary").click();
    await admin.getByLabel("Description").fill("Images of the dev team");
    await admin.getByRole("button", { name: "Save" }).click();
    await expect(admin.getByText("Images of the dev team").first()).toBeVisible();
    // A viewer of the team sees the page without its settings.
    const page = await freshPage(browser, ALICE);
    await open(page, "/namespaces/devs");
    await expect(page.getByText("Images of the dev team").first()).toBeVisible();
    await expect(page.getByTestId("namespace-settings")).toHaveCount(0);
    await expect(page.getByTestId("webhooks-link")).toHaveCount(0);
    // The webhooks page itself refuses them.
    await open(page, "/namespaces/devs/webhooks");
    await expect(page.getByRole("alert")).toContainText("only those who manage this namespace may see and change its webhooks");
    await expect(page.getByTestId("new-webhook")).toHaveCount(0);
  });

  test("the owner sets a retention policy, previews exactly what goes, and runs it", async ({ browser }) => {
    for (const n of [1, 2, 3]) {
      const r = pushImage(ADMIN.user, ADMIN.password, "devs/ci", `build-${n}`);
      expect(r.ok, r.stderr).toBe(true);
    }
    await expect(async () => {
      expect(listTags({ user: ADMIN.user, password: ADMIN.password }, "devs/ci").tags).toHaveLength(3);
      await open(admin, "/r/devs/ci");
      await expect(admin.getByTestId("image-row")).toHaveCount(3, { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await open(admin, "/namespaces/devs");
    await admin.getByTestId("retention-link").click();
    await expect(admin).toHaveURL(/\/namespaces\/devs\/retention$/);
    await admin.waitForLoadState("networkidle");
    await expect(admin.getByTestId("retention-policy")).toContainText("everything is kept");
    // What the namespace uses on disk, per repository.
    await expect(admin.getByTestId("retention-storage")).toContainText("in use");
    await expect(admin.getByTestId("retention-storage")).toContainText("devs/ci");
    // Only CI builds are in scope; keep the newest one.
    await admin.getByLabel("Keep the last N images").fill("1");
    await admin.getByLabel("Apply to tags matching").fill("build-*");
    await admin.getByRole("button", { name: "Preview" }).click();
    await expect(admin.getByTestId("retention-summary")).toHaveText(/^2 images \(2 tags\) would be deleted/);
    await expect(admin.getByTestId("retention-delete")).toHaveCount(2);
    await expect(admin.getByTestId("retention-delete").first()).toContainText("devs/ci");
    await expect(admin.getByTestId("retention-keep").filter({ hasText: "devs/tool" }).first()).toContainText(
      "not among the tags the policy applies to",
    );
    await shot(admin, "retention");
    await admin.getByRole("button", { name: "Save policy" }).click();
    await expect(admin.getByTestId("retention-policy")).not.toContainText("everything is kept");
    await admin.getByRole("button", { name: "Run now" }).click();
    await admin.getByRole("button", { name: "Run", exact: true }).click();
    const run = admin.getByTestId("retention-run").first();
    await expect(run).toBeVisible();
    if ((await run.textContent())?.includes("needs-confirmation")) {
      // Above the delete share: held until confirmed.
      await admin.getByRole("button", { name: "Run now" }).click();
      await admin.getByRole("button", { name: "Delete anyway" }).click();
      await expect(admin.getByTestId("retention-run").first()).toContainText("succeeded");
    }
    await expect(admin.getByTestId("retention-run").first()).toContainText("succeeded");
    await expect(admin.getByTestId("retention-run").first()).toContainText("2 images, 2 tags");
    const left = listTags({ user: ADMIN.user, password: ADMIN.password }, "devs/ci");
    expect(left.tags).toHaveLength(1);
    // A viewer of the team may read the policy but not change or run it.
    const page = await freshPage(browser, ALICE);
    await open(page, "/namespaces/devs/retention");
    await expect(page.getByTestId("retention-run").first()).toContainText("succeeded");
    await expect(page.getByRole("button", { name: "Run now" })).toHaveCount(0);
    await expect(page.getByLabel("Keep the last N images")).toBeDisabled();
  });

  test("the owner adds a webhook, test-fires it, reads the delivery log and redelivers", async () => {
    // A receiver on loopback (serve-for-test.sh allows 127.0.0.0/8): fails once, then accepts.
    const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        got.push({ headers: req.headers, body });
        res.statusCode = got.length === 1 ? 500 : 200;
        res.end(got.length === 1 ? "not yet" : "received");
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const secret = "e2e-webhook-secret";
    try {
      await open(admin, "/namespaces/devs");
      await admin.getByTestId("webhooks-link").click();
      await expect(admin).toHaveURL(/\/namespaces\/devs\/webhooks$/);
      const hooks = admin.getByTestId("webhooks");
      await expect(hooks).toContainText("No webhooks yet.");
      await hooks.getByTestId("new-webhook").locator("summary").click();
      await admin.getByLabel("Payload URL").fill(url);
      await admin.getByLabel("Secret (optional, shown only now)").fill(secret);
      await admin.getByLabel("Custom headers (optional, one Name: value per line)").fill("X-Team: devs");
      await admin.getByRole("button", { name: "Add webhook" }).click();
      const hook = hooks.getByTestId("webhook");
      await expect(hook.getByTestId("webhook-url")).toHaveText(url);
      await expect(hook).toContainText("signed");
      await expect(hook).toContainText("Headers: X-Team");

      await hook.getByRole("button", { name: "Test" }).click();
      const log = hook.getByTestId("delivery-log");
      // The first attempt gets a 500, the retry a 200: refresh until the log says so.
      await expect(async () => {
        await log.getByRole("button", { name: "Refresh" }).click();
        await expect(log.getByTestId("delivery").first()).toContainText("succeeded", { timeout: 1000 });
      }).toPass({ timeout: 20_000 });
      await log.getByTestId("delivery").first().locator("summary").click();
      const attempts = log.getByTestId("attempt");
      await expect(attempts).toHaveCount(2);
      await expect(attempts.nth(0)).toContainText("HTTP 500");
      await expect(attempts.nth(0)).toContainText("not yet");
      await expect(attempts.nth(1)).toContainText("HTTP 200");
      await expect(log).toContainText("page 1 of 1 · 1 deliveries");
      await expect(log.getByRole("button", { name: "Older" })).toBeDisabled();
      await shot(admin, "webhooks");
      // What the receiver got is signed with the secret: t=<unix seconds>,v1=<HMAC-SHA256 of "<t>.<body>">,
      // with t the time of that attempt.
      expect(got.length).toBe(2);
      const signature = String(got[1].headers["x-wharf-signature"] ?? "");
      const parts = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
      expect(parts, signature).not.toBeNull();
      const [, t, v1] = parts!;
      expect(Math.abs(Date.now() / 1000 - Number(t))).toBeLessThanOrEqual(300);
      const expected = crypto.createHmac("sha256", secret).update(`${t}.${got[1].body}`).digest("hex");
      expect(v1).toBe(expected);
      expect(got[1].headers["x-wharf-event"]).toBe("ping");
      expect(got[1].headers["x-team"]).toBe("devs");

      await log.getByRole("button", { name: "Redeliver" }).click();
      await expect.poll(() => got.length, { timeout: 15_000 }).toBe(3);
      expect(got[2].body).toBe(got[1].body);
      expect(got[2].headers["x-wharf-delivery"]).not.toBe(got[1].headers["x-wharf-delivery"]);

      await hook.getByRole("button", { name: "Edit" }).click();
      const edit = hook.getByTestId("edit-webhook");
      // The form says a new URL clears the secret and headers; saving the same URL keeps them.
      await expect(edit).toContainText("Changing the URL clears the secret and the custom headers");
      await expect(edit.getByTestId("url-change-warning")).toHaveCount(0);
      await edit.getByLabel("Payload URL").fill(url + "/moved");
      await expect(edit.getByTestId("url-change-warning")).toBeVisible();
      await edit.getByLabel("Payload URL").fill(url);
      await expect(edit.getByTestId("url-change-warning")).toHaveCount(0);
      await edit.getByLabel("enabled").uncheck();
      await edit.getByRole("button", { name: "Save" }).click();
      await expect(hook).toContainText("disabled");
      await expect(hook).toContainText("signed");
      await expect(hook).toContainText("Headers: X-Team");

      await hook.getByRole("button", { name: "Delete" }).click();
      await admin.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
      await expect(hooks).toContainText("No webhooks yet.");
    } finally {
      receiver.close();
    }
  });

  test("every page has its title, fits 390 px, follows the dark theme, and says 404 when missing", async ({ browser }) => {
    const pages: [string, RegExp][] = [
      ["/", /^Dashboard · wharf$/],
      ["/namespaces", /^Namespaces · wharf$/],
      ["/namespaces/devs", /^devs · namespace · wharf$/],
      ["/namespaces/devs/retention", /^Retention · devs · wharf$/],
      ["/namespaces/devs/webhooks", /^Webhooks · devs · wharf$/],
      ["/repositories", /^Repositories · wharf$/],
      ["/r/devs/tool", /^devs\/tool · wharf$/],
      ["/i/devs/tool:1.0", /^devs\/tool:1.0 · wharf$/],
      ["/search?q=tool", /^Search · wharf$/],
      ["/account", /^Account · wharf$/],
      ["/teams", /^Teams · wharf$/],
      ["/teams/devs", /^devs · team · wharf$/],
      ["/activity", /^Activity · wharf$/],
      ["/admin/users", /^Users · wharf$/],
      ["/admin/registries", /^Registries · wharf$/],
    ];
    await admin.setViewportSize({ width: 390, height: 844 });
    try {
      for (const [url, title] of pages) {
        await open(admin, url);
        await expect(admin).toHaveTitle(title);
        const [width, wide] = await admin.evaluate(() => {
          // What sticks out, innermost first, to say where to look.
          const out = [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > 391 && !e.parentElement?.closest(".overflow-x-auto"))
            .slice(0, 6)
            .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].slice(0, 4).join(".")}[${Math.round(e.getBoundingClientRect().right)}]`);
          return [document.documentElement.scrollWidth, out];
        });
        expect.soft(width, `${url} is ${width} px wide at 390: ${wide.join(" | ")}`).toBeLessThanOrEqual(390);
      }
      await open(admin, "/r/devs/tool");
      await shot(admin, "narrow-repository");
    } finally {
      await admin.setViewportSize({ width: 1280, height: 720 });
    }

    // Dark theme: the system's preference, every surface with it.
    await admin.emulateMedia({ colorScheme: "dark" });
    await open(admin, "/r/devs/tool");
    const colours = await admin.evaluate(() => ({
      body: getComputedStyle(document.body).backgroundColor,
      text: getComputedStyle(document.body).color,
    }));
    expect(colours.body).toBe("rgb(15, 23, 42)");
    expect(colours.text).toBe("rgb(241, 245, 249)");
    await shot(admin, "dark-repository");
    await admin.emulateMedia({ colorScheme: "light" });

    // Missing things answer 404 with one message, signed in or not.
    for (const url of ["/namespaces/nope", "/r/devs/nope", "/teams/nope", "/i/devs/tool:nope"]) {
      const resp = await admin.goto(url);
      expect(resp?.status(), url).toBe(404);
      await expect(admin.getByRole("alert").first()).toBeVisible();
    }
    const favicon = await admin.request.get("/favicon.ico");
    expect(favicon.status()).toBe(200);
    expect((await favicon.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));

    // Every kind of entry the log holds can be filtered on, webhooks included.
    await open(admin, "/activity");
    const kinds = await admin.locator("#filter-kind option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(kinds).toEqual(expect.arrayContaining(["image.", "image.pushed", "webhook.", "webhook.created", "team.created"]));

    // A signed-out visitor following a link to a page that needs a session signs in and
    // comes back to it; a viewer does not get the administrators' forms.
    const visitor = await freshPage(browser);
    await open(visitor, "/teams/devs");
    await expect(visitor).toHaveURL(/\/login\?next=%2Fteams%2Fdevs$/);
    await visitor.getByLabel("User name").fill(ALICE.user);
    await visitor.getByLabel("Password").fill(ALICE.password);
    await visitor.getByRole("button", { name: "Sign in" }).click();
    await expect(visitor).toHaveURL(/\/teams\/devs$/);
    await expect(visitor.getByTestId("team-name")).toHaveText("devs");
    await open(visitor, "/admin/users");
    await expect(visitor.getByTestId("admin-only")).toBeVisible();
    await expect(visitor.getByRole("button", { name: "Create user" })).toHaveCount(0);
  });

  test("every page ran under a strict Content-Security-Policy without a violation", async () => {
    const resp = await admin.goto("/");
    const csp = resp?.headers()["content-security-policy"] ?? "";
    expect(csp).toContain("'nonce-");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    await admin.waitForLoadState("networkidle");
    await expect(admin.getByTestId("current-user")).toHaveText("admin");
    expect(cspViolations).toEqual([]);
  });
});
