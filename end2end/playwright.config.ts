import path from "node:path";
import { defineConfig } from "@playwright/test";

// scripts/test.sh picks a free port and exports E2E_PORT.
const port = process.env.E2E_PORT ?? "38080";
const baseURL = `http://127.0.0.1:${port}`;

// Where serve-for-test.sh leaves what the tests need to know (the registry's address in
// `registry`, its log in `registry.log`); tests/registry.ts reads it. Made absolute and exported
// here so the web server and every worker agree on it.
const stateDir = process.env.E2E_STATE_DIR
  ? path.resolve(process.env.E2E_STATE_DIR)
  : path.join(__dirname, ".state");
process.env.E2E_STATE_DIR = stateDir;

export default defineConfig({
  testDir: "./tests",
  timeout: 60_000,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
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
    },
  },
  // Starts a throwaway wharf (fresh data dir, seeded users) with a real docker-registry wired to
  // it, and waits until wharf answers. SIGTERM lets the script stop the registry and remove its
  // data dir; Playwright SIGKILLs the whole process group if that takes longer than 10 s.
  webServer: {
    // exec: Playwright then signals and waits for the script itself, not a wrapping sh.
    command: `exec bash serve-for-test.sh ${port}`,
    url: `${baseURL}/health/live`,
    reuseExistingServer: false,
    timeout: 120_000,
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: { E2E_STATE_DIR: stateDir },
    stdout: "pipe",
    stderr: "pipe",
  },
});
