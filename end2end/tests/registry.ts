// Helpers for browser tests that need real images in the registry serve-for-test.sh starts
// (token auth against the wharf under test). Images are tiny OCI layouts written by
// ../make-oci-image.py and copied with skopeo; no Docker engine is involved.
//
//   import { pushImage, pullImage, listTags } from "./registry";
//   const push = pushImage("alice", "e2e-alice-password", "alice/hello", "v1");
//   expect(push.ok, push.stderr).toBe(true);
//
// Credentials are a user name plus a password or an application token. Every call is
// synchronous and bounded by a timeout. A refused push or pull is not an exception: `ok` is false
// and `stderr` says why (e.g. `denied: requested access to the resource is denied`); the
// registry's own reasons are in registryLogPath().
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Same default as playwright.config.ts, which exports the absolute path to every process. */
export const stateDir = (): string =>
  path.resolve(process.env.E2E_STATE_DIR ?? path.join(__dirname, "..", ".state"));

const MAKE_IMAGE = path.join(__dirname, "..", "make-oci-image.py");
const TIMEOUT_MS = 60_000;

export type Creds = { user: string; password: string };

export type Result = {
  ok: boolean;
  /** Exit status; null when the command was killed (e.g. by the timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
};

/** `127.0.0.1:PORT` of the registry started for this run (what image references start with). */
export function registryAddress(): string {
  const file = path.join(stateDir(), "registry");
  let addr: string;
  try {
    addr = fs.readFileSync(file, "utf8").trim();
  } catch (e) {
    throw new Error(`no registry address in ${file} (is serve-for-test.sh running?): ${e}`);
  }
  if (!addr) throw new Error(`${file} is empty`);
  return addr;
}

/** The registry's log; token rejections are explained only there. */
export function registryLogPath(): string {
  return path.join(stateDir(), "registry.log");
}

function run(cmd: string, args: string[], timeoutMs = TIMEOUT_MS): Result {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = r.stderr ?? "";
  if (r.error) stderr += `\n${cmd}: ${r.error.message}`;
  return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? "", stderr };
}

function withTempDir<T>(f: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wharf-e2e-"));
  try {
    return f(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function credArgs(flag: "--dest" | "--src" | "", creds: Creds | null): string[] {
  const prefix = flag ? `${flag}-` : "--";
  return creds ? [`${prefix}creds`, `${creds.user}:${creds.password}`] : [`${prefix}no-creds`];
}

function tlsArg(flag: "--dest" | "--src" | ""): string {
  return flag ? `${flag}-tls-verify=false` : "--tls-verify=false";
}

/**
 * Writes a one-layer OCI image layout tagged `tag` into `dir` and returns its manifest digest.
 * Different seeds give different digests; the same seed always gives the same digest.
 */
export function makeImage(dir: string, tag: string, seed = tag, platforms = ""): string {
  const r = run("python3", [MAKE_IMAGE, dir, tag, seed, ...(platforms ? [platforms] : [])]);
  if (!r.ok) throw new Error(`make-oci-image.py failed: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Pushes a tiny image to `ADDR/repo:tag` as `user` (password or application token). Its content
 * comes from `seed` (default `repo:tag`): pass another seed to push a different digest.
 * `digest` is the manifest digest that was pushed (the registry keeps it unchanged). With
 * `platforms` (`linux/amd64,linux/arm64`) it pushes an OCI index of one image per platform.
 */
export function pushImage(
  user: string,
  password: string,
  repo: string,
  tag: string,
  seed?: string,
  platforms = "",
): Result & { digest: string } {
  return withTempDir((dir) => {
    const digest = makeImage(dir, tag, seed ?? `${repo}:${tag}`, platforms);
    const r = run("skopeo", [
      "copy",
      "--retry-times=0",
      ...(platforms ? ["--all"] : []),
      ...credArgs("--dest", { user, password }),
      tlsArg("--dest"),
      `oci:${dir}:${tag}`,
      `docker://${registryAddress()}/${repo}:${tag}`,
    ]);
    return { ...r, digest };
  });
}

/**
 * Pulls `ADDR/repo:tag` into a throw-away OCI layout (`creds` null: anonymously).
 * `digest` is the manifest digest received ("" when the pull failed).
 */
export function pullImage(
  creds: Creds | null,
  repo: string,
  tag: string,
): Result & { digest: string } {
  return withTempDir((dir) => {
    const r = run("skopeo", [
      "copy",
      "--retry-times=0",
      ...credArgs("--src", creds),
      tlsArg("--src"),
      `docker://${registryAddress()}/${repo}:${tag}`,
      `oci:${dir}:${tag}`,
    ]);
    let digest = "";
    if (r.ok) {
      const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8"));
      digest = index.manifests?.[0]?.digest ?? "";
    }
    return { ...r, digest };
  });
}

/** Tags of `ADDR/repo` as the registry reports them (sorted; [] when the call failed). */
export function listTags(creds: Creds | null, repo: string): Result & { tags: string[] } {
  const r = run("skopeo", [
    "list-tags",
    ...credArgs("", creds),
    tlsArg(""),
    `docker://${registryAddress()}/${repo}`,
  ]);
  let tags: string[] = [];
  if (r.ok) tags = ((JSON.parse(r.stdout).Tags as string[] | null) ?? []).slice().sort();
  return { ...r, tags };
}

/** Deletes the manifest `repo:tag` points at (so every tag on that digest goes). */
export function deleteImage(creds: Creds | null, repo: string, tag: string): Result {
  return run("skopeo", [
    "delete",
    ...credArgs("", creds),
    tlsArg(""),
    `docker://${registryAddress()}/${repo}:${tag}`,
  ]);
}
