/**
 * `npm start`: run the bridge locally under `wrangler dev` with persistent local
 * state. On first start, makes the git-ignored `.dev.vars` (ADMIN_TOKEN and an
 * Ed25519 EVIDENCE_SIGNING_KEYS set) and a dev tenant `dev` with an API key kept
 * in the git-ignored `.dev-tenant.json`; later starts reuse them. Prints ready-to-paste curls.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { generateSigningKey } from "../shared/evidence/signing-keys.ts";
import { readVars, VARS_FILE } from "./dev-vars.ts";
import { watchDashboard } from "./build-dashboard.ts";

const HELP = `Usage: npm start [-- --port N] [-- --help]

Runs Telemetry Bridge locally: wrangler dev on 127.0.0.1 (default port 8787), state in .wrangler/state.
First start creates .dev.vars (ADMIN_TOKEN, EVIDENCE_SIGNING_KEYS) and a dev tenant "dev" with an
API key saved in .dev-tenant.json; both are git-ignored and reused on later starts.
The hourly cron (retention) runs on demand: GET /__scheduled, or npm run retention (which may
also pass --now: RETENTION_TEST_CLOCK is true locally).

Environment:
  PORT                   port to listen on (default 8787)
  X_LOCAL_OBSERVABILITY  set to true to keep wrangler's local SQL tracing (off by default: it is slow
                         and writes gigabytes under load)`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  console.log(HELP);
  process.exit(0);
}
const portArg = args.indexOf("--port");
const port = Number(portArg >= 0 ? args[portArg + 1] : process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`Invalid port: ${portArg >= 0 ? args[portArg + 1] : process.env.PORT}`);
  process.exit(2);
}
const base = `http://127.0.0.1:${port}`;
const TENANT_FILE = ".dev-tenant.json";
const TENANT = "dev";

/** The checked-out commit, or "unknown" outside a git work tree. */
function gitSha(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || "unknown";
  } catch {
    return "unknown";
  }
}

async function ensureVars(): Promise<string> {
  const vars = readVars();
  const additions: string[] = [];
  if (!vars.get("ADMIN_TOKEN")) {
    vars.set("ADMIN_TOKEN", randomBytes(32).toString("base64url"));
    additions.push(`ADMIN_TOKEN=${vars.get("ADMIN_TOKEN")}`);
  }
  if (!vars.get("EVIDENCE_SIGNING_KEYS")) {
    const key = await generateSigningKey();
    additions.push(`EVIDENCE_SIGNING_KEYS='${JSON.stringify({ keys: [key] })}'`);
    console.log(`Made a dev evidence signing key (kid ${key.kid}) in ${VARS_FILE}.`);
  }
  if (additions.length) {
    const existing = existsSync(VARS_FILE) ? readFileSync(VARS_FILE, "utf8") : "# Local secrets for wrangler dev; made by npm start. Never commit.\n";
    writeFileSync(VARS_FILE, existing + (existing.endsWith("\n") ? "" : "\n") + additions.join("\n") + "\n", { mode: 0o600 });
    chmodSync(VARS_FILE, 0o600);
  }
  return vars.get("ADMIN_TOKEN")!;
}

async function waitForHealth(child: ReturnType<typeof spawn>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the bridge did not answer ${base}/health within ${timeoutMs / 1000} s`);
}

async function adminCall(token: string, path: string, method = "GET", body?: unknown): Promise<Response> {
  const init: RequestInit = { method, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } };
  if (body !== undefined) init.body = JSON.stringify(body);
  return fetch(base + path, init);
}

async function ensureTenantKey(token: string): Promise<string> {
  const created = await adminCall(token, "/v1/admin/tenants", "POST", { tenant_id: TENANT, name: "Local development" });
  if (created.status !== 201 && created.status !== 409) throw new Error(`creating tenant "${TENANT}" failed: ${created.status} ${await created.text()}`);
  if (existsSync(TENANT_FILE)) {
    const saved = JSON.parse(readFileSync(TENANT_FILE, "utf8")) as { key_id: string; key: string };
    const list = await adminCall(token, `/v1/admin/tenants/${TENANT}/keys`);
    const keys = ((await list.json()) as { keys: { key_id: string; revoked_at: string | null }[] }).keys;
    if (keys.some((k) => k.key_id === saved.key_id && !k.revoked_at)) return saved.key;
    console.log(`The key in ${TENANT_FILE} is not known to this state; making a new one.`);
  }
  const res = await adminCall(token, `/v1/admin/tenants/${TENANT}/keys`, "POST", {
    scopes: ["ingest", "read", "evidence", "metrics", "admin"], name: "npm start",
  });
  if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${await res.text()}`);
  const key = (await res.json()) as { key_id: string; key: string };
  writeFileSync(TENANT_FILE, JSON.stringify({ tenant: TENANT, ...key }, null, 2) + "\n", { mode: 0o600 });
  return key.key;
}

function printWelcome(key: string): void {
  console.log(`
Telemetry Bridge is running on ${base} (tenant "${TENANT}", key saved in ${TENANT_FILE}).

Dashboard: ${base}/dashboard/ (sign in with the key above)   API docs: ${base}/docs

Send telemetry:
  curl -sS -X POST '${base}/v1/telemetry?asset=web-1' -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' -d '{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}'

Send log lines (NDJSON):
  printf '{"level":"info","message":"hello"}\\n{"level":"error","message":"boom"}\\n' | curl -sS -X POST '${base}/v1/logs?asset=web-1' -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/x-ndjson' --data-binary @-

Get evidence for the last hour:
  curl -sS '${base}/v1/assets/web-1/evidence?since=3600' -H 'Authorization: Bearer ${key}'

Run retention now (the hourly cron's pass; docs/retention.md):
  npm run retention          or  curl -sS '${base}/__scheduled?cron=17+*+*+*+*'

Press Ctrl+C to stop.`);
}

async function main(): Promise<void> {
  const adminToken = await ensureVars();
  // wrangler serves build/assets ([assets] in wrangler.toml): build the dashboard, rebuilt on every edit.
  await watchDashboard();
  const env = {
    ...process.env,
    X_LOCAL_OBSERVABILITY: process.env.X_LOCAL_OBSERVABILITY ?? "false",
    // Local runs make no outbound calls: no telemetry, no Request.cf download.
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
  };
  const child = spawn(
    "node_modules/.bin/wrangler",
    [
      "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", ".wrangler/state", "--show-interactive-dev-session=false",
      // Local only: GET /__scheduled runs the cron, and `npm run retention -- --now <time>` may time-travel.
      "--test-scheduled", "--var", "RETENTION_TEST_CLOCK:true",
      // GET /v1/version reports what is running.
      "--var", `GIT_SHA:${gitSha()}`, "--var", `BUILD_TIME:${new Date().toISOString()}`,
    ],
    { stdio: ["ignore", "inherit", "inherit"], env },
  );
  const stop = (signal: NodeJS.Signals) => child.kill(signal);
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 0)));
  try {
    await waitForHealth(child);
    printWelcome(await ensureTenantKey(adminToken));
  } catch (e) {
    console.error(`npm start: ${(e as Error).message}`);
    child.kill("SIGTERM");
    process.exitCode = 1;
  }
}

await main();
