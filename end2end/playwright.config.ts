import { defineConfig } from "@playwright/test";

// scripts/test.sh picks a free port and exports E2E_PORT.
const port = process.env.E2E_PORT ?? "38080";
const baseURL = `http://127.0.0.1:${port}`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
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
  // Starts a throwaway wharf (fresh data dir, seeded users) and waits until it answers.
  webServer: {
    command: `bash serve-for-test.sh ${port}`,
    url: `${baseURL}/health/live`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
