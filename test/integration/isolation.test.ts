/**
 * Tenant isolation matrix over every route the app mounts (read from `app.routes`: a new route
 * fails this file until it is classified here). Tenant B has data on every surface: events with
 * a marker, a bundle, an open alert, a dead-lettered FixOps payload, keys, config, an audit log.
 * Tenant A, with every scope (API key, JWT, tail token), calls each route with B's identifiers:
 * the answer is 401/403/404, or A's own view, never anything of B; afterwards B is unchanged.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import { toBase64Url } from "../../shared/hex.ts";
import { admin, call, createKey, createTenant, env, getWithKey, post } from "../fixtures/bridge.ts";
import { endpoints, fillPath, label } from "../support/app-routes.ts";

const MARKER = "b-secret-marker-7731";
const B_ASSET = "b-only-asset";
const ALL_SCOPES = ["ingest", "read", "evidence", "metrics", "admin"];

/**
 * How each mounted route is reached. Every route must be listed: a new one fails the first
 * test until someone decides which class it is in (and so what A may get from it).
 */
const CLASS = {
  /** No credential: nothing tenant-specific in the answer. */
  public: ["GET /health", "GET /v1/health", "GET /v1/version", "GET /.well-known/jwks.json", "GET /openapi.json", "GET /docs", "GET /", "GET /dashboard"],
  /** The operator's ADMIN_TOKEN only: a tenant's key, even with `admin`, gets 403. */
  operator: ["POST /v1/admin/tenants", "GET /v1/admin/tenants", "POST /v1/admin/retention/run"],
  /** ADMIN_TOKEN, or an `admin` key of the tenant in the path: another tenant's key gets 403. */
  tenantAdmin: [
    "GET /v1/admin/tenants/:tenant", "PATCH /v1/admin/tenants/:tenant", "GET /v1/admin/tenants/:tenant/config", "PUT /v1/admin/tenants/:tenant/config",
    "POST /v1/admin/tenants/:tenant/keys", "GET /v1/admin/tenants/:tenant/keys", "DELETE /v1/admin/tenants/:tenant/keys/:key_id",
    "POST /v1/admin/tenants/:tenant/keys/:key_id/rotate", "GET /v1/admin/tenants/:tenant/audit", "GET /v1/admin/tenants/:tenant/requests",
    "POST /v1/admin/tenants/:tenant/evidence-store/test", "POST /v1/admin/tenants/:tenant/exports/:name/test",
    "POST /v1/admin/tenants/:tenant/incident", "GET /v1/admin/tenants/:tenant/incident", "DELETE /v1/admin/tenants/:tenant/incident",
  ],
  /** The credential's own tenant, whatever the path names: B's identifiers reach A's own (empty) objects. */
  tenant: [
    "POST /v1/telemetry", "POST /telemetry", "GET /v1/logs", "POST /v1/logs", "POST /v1/ingest/aws/cloudwatch", "POST /v1/ingest/aws/firehose",
    "POST /v1/ingest/gcp/pubsub", "OPTIONS /v1/ingest/azure/eventhub", "POST /v1/ingest/azure/eventhub", "POST /v1/otlp/v1/logs",
    "POST /services/collector/event", "POST /services/collector/event/1.0", "POST /services/collector",
    "POST /v1/ingest/flows", "POST /v1/ingest/zeek", "GET /v1/indicators", "PUT /v1/indicators", "DELETE /v1/indicators/:list",
    "GET /v1/asn-ranges", "PUT /v1/asn-ranges", "DELETE /v1/asn-ranges",
    "POST /v1/assets/:asset/tail/token", "GET /v1/assets/:asset/tail", "GET /v1/assets", "GET /v1/assets/:asset/summary",
    "GET /v1/assets/:asset/alerts", "POST /v1/assets/:asset/alerts/:id/ack", "POST /v1/assets/:asset/alerts/:id/suppress",
    "POST /v1/assets/:asset/alerts/:id/resolve", "GET /v1/assets/:asset/forwarding/dlq", "POST /v1/assets/:asset/forwarding/dlq/redrive",
    "GET /v1/assets/:asset/evidence", "GET /evidence", "GET /v1/assets/:asset/bundles", "GET /v1/bundles/:id/:file", "GET /metrics",
    "GET /v1/system", "POST /v1/ingest/flows", "POST /v1/ingest/zeek",
    "GET /v1/indicators", "PUT /v1/indicators", "DELETE /v1/indicators/:list", "GET /v1/asn-ranges", "PUT /v1/asn-ranges", "DELETE /v1/asn-ranges",
  ],
} as const;
const classOf = (route: string) => (Object.keys(CLASS) as (keyof typeof CLASS)[]).find((k) => (CLASS[k] as readonly string[]).includes(route));

let keyA: string;
let jwtA: string;
let keyB: string;
let keyIdB: string;
let bundleB: string;
let alertB: string;
let before: Record<string, string>;

/** B's state as B and the operator see it: compared before and after the matrix. */
async function stateOfB(): Promise<Record<string, string>> {
  const get = async (path: string, key?: string) => {
    const res = key ? await getWithKey(path, key) : await admin(path);
    expect(res.status, path).toBe(200);
    return res.text();
  };
  const tenant = JSON.parse(await get("/v1/admin/tenants/iso-b"));
  return {
    tenant: JSON.stringify({ ...tenant, updated_at: undefined }),
    keys: await get("/v1/admin/tenants/iso-b/keys"),
    audit: await get("/v1/admin/tenants/iso-b/audit"),
    alerts: await get(`/v1/assets/${B_ASSET}/alerts`, keyB),
    dlq: JSON.stringify({ ...JSON.parse(await get(`/v1/assets/${B_ASSET}/forwarding/dlq`, keyB)), outbox: undefined }),
    bundles: await get(`/v1/assets/${B_ASSET}/bundles`, keyB),
    events: String(JSON.parse(await get(`/v1/assets/${B_ASSET}/summary?since=86400`, keyB)).events),
  };
}

afterEach(() => vi.useRealTimers());

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  await createTenant("iso-a", { jwt: { issuers: [{ issuer: "https://idp.iso", audience: "iso-a", jwks: { keys: [await exportJWK(pair.publicKey)] }, default_scopes: ALL_SCOPES }] } });
  await createTenant("iso-b", {
    alert_rules: [{ name: "errors", type: "level", levels: ["ERROR"] }],
    forwarding: { mode: "http", fixops_url: "https://fixops.test/ingest/iso-b-down", api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 },
  });
  keyA = await createKey("iso-a", ALL_SCOPES);
  keyB = await createKey("iso-b", ALL_SCOPES);
  keyIdB = keyB.split("_")[2]!;
  jwtA = await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setIssuer("https://idp.iso").setAudience("iso-a").setExpirationTime("5m").sign(pair.privateKey);

  // B's FixOps is down for good: six failed sends put the interval's payload in the DLQ.
  await fetch("https://fixops.test/__script/iso-b-down", { method: "PUT", body: JSON.stringify([503, 503, 503, 503, 503, 503, 503, 503]) });
  const t0 = Date.parse("2031-03-01T12:00:10.000Z");
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(t0);
  expect((await post(`/v1/logs?asset=${B_ASSET}`, keyB, JSON.stringify({ level: "error", message: MARKER }))).status).toBe(200);
  const stub = env.ASSET_LOG.getByName(assetObjectName("iso-b", B_ASSET));
  for (let i = 1; i <= 6; i++) {
    vi.setSystemTime(t0 + 60_000 + i * 15 * 60_000);
    await runDurableObjectAlarm(stub);
  }
  const ev = (await (await getWithKey(`/v1/assets/${B_ASSET}/evidence?since=0`, keyB)).json()) as { bundle: { id: string } };
  bundleB = ev.bundle.id;
  vi.useRealTimers();
  const alerts = (await (await getWithKey(`/v1/assets/${B_ASSET}/alerts`, keyB)).json()) as { alerts: { id: string; status: string }[] };
  expect(alerts.alerts).toMatchObject([{ status: "OPEN" }]);
  alertB = alerts.alerts[0]!.id;
  before = await stateOfB();
  expect(JSON.parse(before.dlq!)).toMatchObject({ depth: 1 });
});

/** Nothing of B in an answer A gets. */
function expectNothingOfB(text: string, what: string): void {
  for (const secret of [MARKER, bundleB, alertB, keyIdB, "iso-b", "ISO-B"]) expect(text, `${what} shows ${secret}`).not.toContain(secret);
}

const BODIES: Record<string, unknown> = {
  "PATCH /v1/admin/tenants/:tenant": { name: "taken", status: "disabled" },
  "PUT /v1/admin/tenants/:tenant/config": {},
  "POST /v1/admin/tenants/:tenant/keys": { scopes: ["ingest"] },
  "POST /v1/admin/tenants/:tenant/keys/:key_id/rotate": { grace_seconds: 0 },
  "POST /v1/assets/:asset/forwarding/dlq/redrive": {},
  "POST /v1/admin/tenants": { tenant_id: "iso-c", name: "x" },
};

describe("tenant isolation matrix", () => {
  it("classifies every mounted route", () => {
    const all = endpoints().map(label);
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((r) => classOf(r) === undefined), "routes missing from the isolation matrix").toEqual([]);
  });

  it("gives A's key and A's JWT nothing of B on any route, and changes nothing of B", async () => {
    const params = { asset: B_ASSET, tenant: "iso-b", key_id: keyIdB, file: "records.jsonl.gz", list: "b-intel", name: "siem" };
    let checked = 0;
    for (const e of endpoints()) {
      const name = label(e);
      const ids = e.path.includes("/alerts/") ? [alertB] : e.path.startsWith("/v1/bundles/") ? [bundleB, bundleB.replace(/.{8}$/, "00000000"), bundleB.replace(/\d{6}-/, "000000-")] : ["-"];
      for (const id of ids) {
        const path = fillPath(e.path, { ...params, id }) + (name === "GET /evidence" ? `?since=0&asset=${B_ASSET}` : e.path.endsWith("/evidence") ? "?since=0" : "");
        for (const [who, credential] of [["key", keyA], ["jwt", jwtA]] as const) {
          const headers: Record<string, string> = { Authorization: `${name.includes("/services/collector") ? "Splunk" : "Bearer"} ${credential}`, "Content-Type": "application/json" };
          if (name === "GET /v1/assets/:asset/tail") headers.Upgrade = "websocket";
          if (name.startsWith("OPTIONS ")) headers["WebHook-Request-Origin"] = "eventgrid.azure.net";
          const init: RequestInit = { method: e.method, headers, redirect: "manual" };
          if (e.method !== "GET" && e.method !== "HEAD") init.body = JSON.stringify(BODIES[name] ?? {});
          const res = await call(path, init);
          const what = `${e.method} ${path} (${who}) -> ${res.status}`;
          if (res.webSocket) {
            // A's own asset of that name: its snapshot holds nothing of B.
            const ws = res.webSocket;
            const first = new Promise<string>((resolve) => ws.addEventListener("message", (m) => resolve(String(m.data))));
            ws.accept();
            expectNothingOfB(await first, what);
            ws.close(1000, "done");
            checked++;
            continue;
          }
          const text = await res.text();
          const kind = classOf(name);
          if (kind === "operator" || kind === "tenantAdmin") expect(res.status, what).toBe(403);
          else if (kind === "public") expect([200, 302], what).toContain(res.status);
          else expect([200, 201, 202, 207, 400, 403, 404, 405, 409, 413, 415, 422, 426], what).toContain(res.status);
          expectNothingOfB(text, what);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(90);
    expect(await stateOfB()).toEqual(before);
  });

  it("a tail token A asks for names A's tenant, and a token re-signed for B does not verify", async () => {
    const res = await post(`/v1/assets/${B_ASSET}/tail/token`, keyA, "");
    const { token } = (await res.json()) as { token: string };
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0))));
    expect(claims).toMatchObject({ t: "iso-a", a: B_ASSET });
    const forged = `tt1.${toBase64Url(new TextEncoder().encode(JSON.stringify({ ...claims, t: "iso-b" })))}.${token.split(".")[2]}`;
    for (const t of [token, forged]) {
      const tail = await call(`/v1/assets/${B_ASSET}/tail?token=${encodeURIComponent(t)}`, { headers: { Upgrade: "websocket" } });
      const ws = tail.webSocket!;
      const first = new Promise<string>((resolve) => {
        ws.addEventListener("message", (m) => resolve(String(m.data)));
        ws.addEventListener("close", (c) => resolve(`closed ${c.code} ${c.reason}`));
      });
      ws.accept();
      const got = await first;
      expectNothingOfB(got, t === token ? "A's token" : "forged token");
      if (t === forged) expect(got).toMatch(/^closed 1008/);
      ws.close(1000, "done");
    }
  });

  it("A's metrics scrape lists A's tenant only; B's alert and bundle ids are never guessable into A's routes", async () => {
    const res = await getWithKey("/metrics", keyA);
    expect(res.status).toBe(200);
    expectNothingOfB(await res.text(), "/metrics");
    const b = await (await getWithKey("/metrics", keyB)).text();
    expect(b).toContain(B_ASSET);
    expect(b).not.toContain("iso-a");
  });

  it("lists each tenant's own assets only", async () => {
    await post("/v1/logs?asset=only-a", keyA, "{}");
    const a = (await (await getWithKey("/v1/assets", keyA)).json()) as { assets: { asset: string }[] };
    expect(a.assets.map((x) => x.asset)).toContain("only-a");
    expectNothingOfB(JSON.stringify(a), "GET /v1/assets");
    const b = (await (await getWithKey("/v1/assets", keyB)).json()) as { assets: { asset: string }[] };
    expect(b.assets.map((x) => x.asset)).toEqual([B_ASSET]);
  });
});
