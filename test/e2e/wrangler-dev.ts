/**
 * Start the bridge under a real `wrangler dev` on 127.0.0.1, on a free port, with
 * state in a temp dir and test secrets; stop it when done. No outbound calls.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ADMIN_TOKEN = "e2e-admin-token";
export const TEST_KEYS = JSON.parse(readFileSync(new URL("../fixtures/test-signing-keys.json", import.meta.url), "utf8")) as { keys: unknown[] };

export interface Bridge {
  url: string;
  stateDir: string;
  /** The wrangler process (leader of the group that holds its workerd). */
  pid: number;
  /** Stop wrangler and workerd and delete the state (unless it was given to startBridge). */
  stop(): Promise<void>;
  /** SIGKILL wrangler and workerd at once, as a crash would; the state stays. */
  kill(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface StartOptions {
  stateDir?: string;
  port?: number;
  /** Another wrangler config (the benchmark's no-op and instrumented workers); default wrangler.toml. */
  config?: string;
  /** More environment for wrangler (e.g. X_LOCAL_EXPLORER=false). */
  env?: Record<string, string>;
  /** DevTools inspector port (to profile the Worker); default 0, any free port. */
  inspectorPort?: number;
}

export async function startBridge(opts: StartOptions = {}): Promise<Bridge> {
  const port = opts.port ?? (await freePort());
  const ownState = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), "tb-e2e-"));
  const child: ChildProcess = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", stateDir,
      "--show-interactive-dev-session=false", "--inspector-port", String(opts.inspectorPort ?? 0),
      ...(opts.config ? ["--config", opts.config] : []),
      "--var", `ADMIN_TOKEN:${ADMIN_TOKEN}`,
      "--var", `EVIDENCE_SIGNING_KEYS:${JSON.stringify({ keys: TEST_KEYS.keys })}`,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, X_LOCAL_OBSERVABILITY: "false", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", ...opts.env },
      detached: true,
    },
  );
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`wrangler dev did not start in 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const exited = new Promise((r) => child.once("exit", r));
  return {
    url,
    stateDir,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, "SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
      }
      if (ownState) rmSync(stateDir, { recursive: true, force: true });
    },
    async kill() {
      // The whole process group: wrangler and its workerd, mid-write.
      process.kill(-child.pid!, "SIGKILL");
      await exited;
    },
  };
}

export async function adminCall(bridge: Bridge, path: string, method = "GET", body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(bridge.url + path, init);
}

/** A tenant and a key with every scope; returns the key. */
export async function tenantKey(bridge: Bridge, tenant: string, config?: unknown): Promise<string> {
  const t = await adminCall(bridge, "/v1/admin/tenants", "POST", { tenant_id: tenant, name: tenant, ...(config ? { config } : {}) });
  if (t.status !== 201) throw new Error(`tenant: ${t.status} ${await t.text()}`);
  const k = await adminCall(bridge, `/v1/admin/tenants/${tenant}/keys`, "POST", { scopes: ["ingest", "read", "evidence"] });
  if (k.status !== 201) throw new Error(`key: ${k.status} ${await k.text()}`);
  return ((await k.json()) as { key: string }).key;
}
