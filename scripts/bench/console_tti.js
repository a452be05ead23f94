// Time to interactive of a console page in headless Chromium (Playwright from end2end/).
//
//   node console_tti.js URL PATH RUNS SELECTOR COOKIES_JSON USER:PASSWORD [USER:PASSWORD ...]
//
// For each user: sign in through the login form ("User name", "Password", "Sign in"; when the
// form does not work, the session cookie from COOKIES_JSON — written by console_requests.py —
// is used and the report says so), one untimed visit, then RUNS cold visits (a fresh browser
// context each: empty HTTP cache, only the session cookie) each followed by one warm reload in
// the same context. Each visit waits for `networkidle` and for SELECTOR, and reads in the page:
//   ttfb       navigation start -> first byte of the HTML (server-side rendering)
//   fcp        first contentful paint
//   content    SELECTOR first in the document (server-rendered, so usually with the HTML)
//   dcl        DOMContentLoaded (end of the handler)
//   load       load event (end)
//   hydrated   the first task after the wasm module was instantiated: wasm-bindgen's init and
//              Leptos's hydrate() run in the promise chain of the instantiation, so by then the
//              page is hydrated (an init script wraps WebAssembly.instantiate[Streaming])
//   tti        max(hydrated, the end of the last network response before networkidle): the
//              page is hydrated and its network has gone quiet
//   idle       wall time until Playwright's networkidle (includes its 500 ms quiet window)
// Prints Markdown table rows (median of RUNS; all in ms) and a line of details per user.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const { createRequire } = require("node:module");

const root = path.resolve(__dirname, "..", "..");
const requireE2e = createRequire(path.join(root, "end2end", "package.json"));
const { chromium } = requireE2e("@playwright/test");

const [base, pagePath, runsArg, selector, cookiesFile, ...userArgs] = process.argv.slice(2);
if (!base || !userArgs.length) {
  console.error("usage: console_tti.js URL PATH RUNS SELECTOR COOKIES_JSON USER:PASSWORD...");
  process.exit(2);
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) {
  console.error("console_tti.js: loopback http://127.0.0.1:PORT only");
  process.exit(2);
}
const runs = Math.max(1, parseInt(runsArg, 10));
const TIMEOUT = 60_000;

// Runs before any page script. Records when the wasm module is instantiated and the first task
// after that (hydrated), when SELECTOR first matches, and uncaught errors.
function probe(sel) {
  const b = (window.__wharfBench = { errors: [] });
  const mark = (k) => {
    if (b[k] === undefined) b[k] = performance.now();
  };
  for (const name of ["instantiateStreaming", "instantiate"]) {
    const orig = WebAssembly[name];
    if (typeof orig !== "function") continue;
    WebAssembly[name] = function (...args) {
      mark("wasmStart");
      return orig.apply(this, args).then((r) => {
        mark("wasmInstantiated");
        setTimeout(() => mark("hydrated"), 0);
        return r;
      });
    };
  }
  const seen = () => {
    if (b.selector === undefined && document.querySelector(sel)) mark("selector");
    return b.selector !== undefined;
  };
  new MutationObserver((_, obs) => seen() && obs.disconnect()).observe(document, {
    childList: true,
    subtree: true,
  });
  window.addEventListener("error", (e) => b.errors.push(String(e.message)));
}

async function visit(page, url) {
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "networkidle", timeout: TIMEOUT });
  const idle = Date.now() - t0;
  await page.waitForSelector(selector, { state: "visible", timeout: TIMEOUT });
  await page.waitForFunction(() => window.__wharfBench && window.__wharfBench.hydrated !== undefined, null, {
    timeout: TIMEOUT,
  });
  const m = await page.evaluate(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const fcp = performance.getEntriesByType("paint").find((p) => p.name === "first-contentful-paint");
    const res = performance.getEntriesByType("resource");
    const lastResponse = Math.max(nav.responseEnd, ...res.map((r) => r.responseEnd));
    const b = window.__wharfBench;
    return {
      ttfb: nav.responseStart,
      fcp: fcp ? fcp.startTime : NaN,
      content: b.selector,
      dcl: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      hydrated: b.hydrated,
      wasm: b.wasmInstantiated - b.wasmStart,
      tti: Math.max(b.hydrated, lastResponse),
      requests: res.length + 1,
      transferred: nav.transferSize + res.reduce((s, r) => s + (r.transferSize || 0), 0),
      errors: b.errors,
    };
  });
  m.idle = idle;
  return m;
}

async function signIn(browser, user, password, cookies) {
  const context = await browser.newContext();
  const page = await context.newPage();
  let how = "login form";
  try {
    await page.goto(`${base}/login`, { waitUntil: "networkidle", timeout: TIMEOUT });
    await page.getByLabel("User name").fill(user, { timeout: 10_000 });
    await page.getByLabel("Password").fill(password, { timeout: 10_000 });
    await page.getByRole("button", { name: "Sign in" }).click({ timeout: 10_000 });
    await page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 15_000 });
  } catch (e) {
    how = `session cookie (the login form failed: ${String(e.message).split("\n")[0]})`;
  }
  let session = (await context.cookies()).find((c) => c.name === "wharf_session");
  await context.close();
  if (!session) {
    if (how === "login form") how = "session cookie (the login form set no cookie)";
    const value = cookies[user];
    if (!value) throw new Error(`no session for ${user}`);
    session = { name: "wharf_session", value, url: base, httpOnly: true, sameSite: "Strict" };
  } else {
    session = { name: session.name, value: session.value, url: base, httpOnly: true, sameSite: "Strict" };
  }
  return { session, how };
}

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => (Number.isFinite(x) ? Math.round(x).toString() : "—");

(async () => {
  const cookies = cookiesFile && fs.existsSync(cookiesFile) ? JSON.parse(fs.readFileSync(cookiesFile, "utf8")) : {};
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  const rows = [];
  const notes = [];
  try {
    for (const arg of userArgs) {
      const i = arg.indexOf(":");
      const user = arg.slice(0, i);
      const password = arg.slice(i + 1);
      const { session, how } = await signIn(browser, user, password, cookies);
      const cold = [];
      const warm = [];
      let errors = [];
      for (let r = 0; r <= runs; r++) {
        const context = await browser.newContext();
        await context.addCookies([session]);
        await context.addInitScript(probe, selector);
        const page = await context.newPage();
        page.on("pageerror", (e) => errors.push(String(e.message)));
        const c = await visit(page, `${base}${pagePath}`);
        const w = await visit(page, `${base}${pagePath}`);
        if (r > 0) {
          // r == 0 is the untimed first visit
          cold.push(c);
          warm.push(w);
        }
        errors = errors.concat(c.errors, w.errors);
        await context.close();
      }
      for (const [kind, ms] of [
        ["cold", cold],
        ["warm", warm],
      ]) {
        const col = (k) => fmt(median(ms.map((m) => m[k])));
        rows.push(
          `| ${user} | ${kind} | ${col("ttfb")} | ${col("fcp")} | ${col("content")} | ${col("dcl")} | ${col("load")} | ` +
            `${col("hydrated")} | **${col("tti")}** | ${col("idle")} | ${col("requests")} / ${fmt(median(ms.map((m) => m.transferred)) / 1024)} KiB |`,
        );
      }
      notes.push(
        `- ${user}: signed in with the ${how}; wasm compile + instantiate ${fmt(median(cold.map((m) => m.wasm)))} ms cold / ` +
          `${fmt(median(warm.map((m) => m.wasm)))} ms warm; cold TTI of each run: ${cold.map((m) => fmt(m.tti)).join(", ")} ms` +
          (errors.length ? `; page errors: ${[...new Set(errors)].slice(0, 3).join(" | ")}` : "; no page errors"),
      );
    }
  } finally {
    await browser.close();
  }
  console.log(
    "| user | visit | TTFB | first paint | content | DOMContentLoaded | load | hydrated | **TTI** | networkidle (wall) | requests / transferred |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) console.log(r);
  console.log();
  for (const n of notes) console.log(n);
})().catch((e) => {
  console.error(`console_tti.js: ${e.stack || e}`);
  process.exit(1);
});
