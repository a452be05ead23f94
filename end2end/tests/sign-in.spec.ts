import { test, expect } from "@playwright/test";

test("the start page invites anonymous visitors to sign in", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Welcome to Wharf" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in" }).first()).toBeVisible();
});

test("a wrong password shows a readable error and no session", async ({ page }) => {
  await page.goto("/login");
  await page.waitForLoadState("networkidle");
  await page.getByLabel("User name").fill("alice");
  await page.getByLabel("Password").fill("not-her-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("invalid user name or password");
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === "wharf_session")).toBeUndefined();
});

test("alice signs in, sees her namespaces and repositories, and signs out", async ({ page }) => {
  await page.goto("/login");
  await page.waitForLoadState("networkidle");
  await page.getByLabel("User name").fill("alice");
  await page.getByLabel("Password").fill("e2e-alice-password");
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByTestId("current-user")).toHaveText("alice");
  const namespaces = page.getByTestId("namespaces");
  await expect(namespaces).toContainText("alice");
  await expect(namespaces).toContainText("devs");
  await expect(namespaces).toContainText("owner");

  const cookie = (await page.context().cookies()).find((c) => c.name === "wharf_session");
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe("Strict");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Welcome to Wharf" })).toBeVisible();
});

test("bob does not see a private team namespace he is not in", async ({ page }) => {
  await page.goto("/login");
  await page.waitForLoadState("networkidle");
  await page.getByLabel("User name").fill("bob");
  await page.getByLabel("Password").fill("e2e-bob-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("current-user")).toHaveText("bob");
  const namespaces = page.getByTestId("namespaces");
  await expect(namespaces).toContainText("bob");
  await expect(namespaces).not.toContainText("secret-team");
});
