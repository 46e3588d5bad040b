/**
 * The README walk-through against a real `wrangler dev`: ingest, GET evidence twice,
 * download both bundles and the JWKS, verify each with the CLI (the second with
 * --previous the first), and see a one-byte change rejected.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_TOKEN, startBridge, tenantKey, type Bridge } from "./wrangler-dev.ts";

let bridge: Bridge;
let key: string;
const work = mkdtempSync(join(tmpdir(), "tb-walk-"));

beforeAll(async () => {
  bridge = await startBridge();
  key = await tenantKey(bridge, "walk");
});
afterAll(async () => {
  await bridge?.stop();
});

function cli(...args: string[]) {
  const res = spawnSync(process.execPath, ["bin/telemetry-bridge.ts", ...args], { encoding: "utf8", env: { ...process.env, TB_API_KEY: key } });
  return { code: res.status, out: res.stdout + res.stderr };
}

async function post(body: string) {
  const res = await fetch(`${bridge.url}/v1/telemetry?asset=web-1`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body });
  expect(res.status).toBe(200);
}

async function evidence(): Promise<string> {
  const res = await fetch(`${bridge.url}/v1/assets/web-1/evidence?since=3600`, { headers: { Authorization: `Bearer ${key}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { bundle: { id: string } }).bundle.id;
}

it("verifies real bundles offline and rejects a changed byte", async () => {
  for (let i = 0; i < 3; i++) await post('{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}');
  const first = await evidence();
  await post('{"alerts":[{"rule":"waf-blocks","count":1}],"latency_ms_p95":12}');
  const second = await evidence();
  expect(second).not.toBe(first);

  for (const [id, dir] of [[first, "b1"], [second, "b2"]] as const) {
    const got = cli("fetch-bundle", id, "--url", bridge.url, "--out", join(work, dir));
    expect(got.code, got.out).toBe(0);
  }
  writeFileSync(join(work, "jwks.json"), await (await fetch(`${bridge.url}/.well-known/jwks.json`)).text());
  const jwks = join(work, "jwks.json");

  let r = cli("verify", join(work, "b1"), "--jwks", jwks);
  expect(r.code, r.out).toBe(0);
  r = cli("verify", join(work, "b2"), "--jwks", jwks, "--previous", join(work, "b1"), "--json");
  expect(r.code, r.out).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ ok: true, previous_bundle_id: first, first_seq: 0, end_seq: 4 });

  cpSync(join(work, "b2"), join(work, "bad"), { recursive: true });
  const gz = readFileSync(join(work, "bad", "records.jsonl.gz"));
  gz[gz.length >> 1]! ^= 0xff;
  writeFileSync(join(work, "bad", "records.jsonl.gz"), gz);
  r = cli("verify", join(work, "bad"), "--jwks", jwks);
  expect(r.code, r.out).toBe(7);
  expect(r.out).toMatch(/digest_mismatch/);
});

it("applies the FixOps overlay to a tenant with the CLI", async () => {
  const env = { ...process.env, TB_ADMIN_TOKEN: ADMIN_TOKEN, FIXOPS_OVERLAY_PATH: "test/fixtures/samples/fixops.overlay.yml" };
  const res = spawnSync(process.execPath, ["bin/telemetry-bridge.ts", "overlay", "apply", "--tenant", "walk", "--url", bridge.url], { encoding: "utf8", env });
  expect(res.status, res.stdout + res.stderr).toBe(0);
  expect(res.stdout).toMatch(/fluentbit.input_path: not applied/);
  const got = await (await fetch(`${bridge.url}/v1/admin/tenants/walk/config`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
  expect(got).toMatchObject({ ring_buffer: { max_lines: 200000, max_seconds: 21600 }, retention_days: { raw: 7, summary: 30, evidence: 365 }, forwarding: { fixops_url: "https://fixops.example/api/v1/telemetry" } });
});
