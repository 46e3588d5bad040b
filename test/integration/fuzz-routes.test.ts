/**
 * Hostile requests to every mounted route, through the Worker as a client sends them. Ingest
 * routes get mutated samples of their own source inside hostile bodies (invalid UTF-8; valid,
 * truncated, corrupted and multi-member gzip; wrong Content-Encoding), wrong content types,
 * oversized and malformed headers and credentials. Properties: never a 5xx; errors in the
 * route's own shape (problem+json, Firehose's, HEC's); a rejected request stores nothing (every
 * AssetLog.append is watched); and at the end the stored lines match what 2xx answers committed.
 * Runs per ingest route: FUZZ_RUNS (10,000 in `npm run test:soak`), 200 in CI.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { effectiveRing } from "../../shared/config.ts";
import { assetRules } from "../../shared/asset-rules.ts";
import { assetObjectName, tenantObjectName } from "../../durable-objects/env.ts";
import { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { ADMIN_TOKEN, call, createKey, createTenant, env } from "../fixtures/bridge.ts";
import { b64, CONTENT_TYPES, gzip, hostileBody, hostileText } from "../fixtures/hostile.ts";
import { endpoints, fillPath, label } from "../support/app-routes.ts";
import { fuzzRuns, scaledTimeout } from "../support/soak.ts";
import cwLambda from "../fixtures/samples/aws-cloudwatch-lambda-event.json?raw";
import cwSubscription from "../fixtures/samples/aws-cloudwatch-subscription.decoded.json?raw";
import firehoseSample from "../fixtures/samples/aws-firehose-request.json?raw";
import azureDiagnostic from "../fixtures/samples/azure-diagnostic-records.json?raw";
import azureValidation from "../fixtures/samples/azure-eventgrid-validation.json?raw";
import fixopsSample from "../fixtures/samples/fixops-telemetry.json?raw";
import fluentbit from "../fixtures/samples/fluentbit-http-json.json?raw";
import loggingEntry from "../fixtures/samples/gcp-cloud-logging-entry.json?raw";
import pubsubWrapped from "../fixtures/samples/gcp-pubsub-push-wrapped.json?raw";
import otlpSample from "../fixtures/samples/otlp-logs.json?raw";
import hecSample from "../fixtures/samples/splunk-hec-events.txt?raw";
import vector from "../fixtures/samples/vector-http-ndjson.ndjson?raw";
import goflow2 from "../fixtures/samples/goflow2-flows.ndjson?raw";
import logstashNetflow from "../fixtures/samples/logstash-netflow-v9.json?raw";
import zeekConn from "../fixtures/samples/zeek-conn.ndjson?raw";

const RUNS = fuzzRuns(200);
/** Other routes read no telemetry: a tenth of the runs each (at least 40). */
const OTHER_RUNS = Math.max(40, Math.ceil(RUNS / 10));
const TENANT = "fuzz-routes";
const enc = new TextEncoder();

type Shape = "problem" | "firehose" | "hec";
type Auth = "bearer" | "splunk" | "firehose" | "push";
interface IngestRoute { text: fc.Arbitrary<string>; auth: Auth; shape: Shape }

const awslogs = hostileText([cwSubscription]).map((t) => JSON.stringify({ awslogs: { data: b64(gzip(enc.encode(t))) } }));
const firehoseRecords = hostileText([cwSubscription, vector]).map((t) => JSON.stringify({ requestId: "r", timestamp: 1764000000000, records: [{ data: b64(gzip(enc.encode(t))) }, { data: b64(enc.encode(t)) }] }));
const pubsubPush = hostileText([loggingEntry]).map((t) => JSON.stringify({ message: { data: b64(enc.encode(t)), messageId: "m1" }, subscription: "projects/p/subscriptions/s" }));
const hec = { text: hostileText([hecSample]), auth: "splunk", shape: "hec" } as const;
const telemetry = { text: hostileText([fixopsSample]), auth: "bearer", shape: "problem" } as const;

const INGEST: Record<string, IngestRoute> = {
  "POST /v1/logs": { text: hostileText([fluentbit, vector]), auth: "bearer", shape: "problem" },
  "POST /v1/telemetry": telemetry,
  "POST /telemetry": telemetry,
  "POST /v1/ingest/aws/cloudwatch": { text: fc.oneof(awslogs, hostileText([cwLambda])), auth: "bearer", shape: "problem" },
  "POST /v1/ingest/aws/firehose": { text: fc.oneof(firehoseRecords, hostileText([firehoseSample])), auth: "firehose", shape: "firehose" },
  "POST /v1/ingest/gcp/pubsub": { text: fc.oneof(pubsubPush, hostileText([pubsubWrapped])), auth: "push", shape: "problem" },
  "POST /v1/ingest/azure/eventhub": { text: hostileText([azureDiagnostic, azureValidation]), auth: "push", shape: "problem" },
  "POST /v1/otlp/v1/logs": { text: hostileText([otlpSample]), auth: "bearer", shape: "problem" },
  "POST /v1/ingest/flows": { text: hostileText([goflow2, logstashNetflow]), auth: "bearer", shape: "problem" },
  "POST /v1/ingest/zeek": { text: hostileText([zeekConn]), auth: "bearer", shape: "problem" },
  "POST /services/collector/event": hec,
  "POST /services/collector/event/1.0": hec,
  "POST /services/collector": hec,
};

let key: string;
let readOnlyKey: string;
let adminKeyId: string;
/** Lines each AssetLog.append committed, summed over the current request and over the run. */
const committed = { request: 0, total: 0 };

beforeAll(async () => {
  // No quotas: the soak sends far more than a minute's default allowance.
  await createTenant(TENANT, { quotas: { requests_per_minute: 0, events_per_minute: 0, key_requests_per_minute: 0, asset_events_per_second: 0 } });
  key = await createKey(TENANT, ["ingest", "read", "evidence", "metrics", "admin"]);
  readOnlyKey = await createKey(TENANT, ["read"]);
  adminKeyId = (await createKey(TENANT, ["admin"])).split("_")[2]!;
  const append = AssetLog.prototype.append;
  vi.spyOn(AssetLog.prototype, "append").mockImplementation(async function (this: AssetLog, ...args: Parameters<typeof append>) {
    const res = await append.apply(this, args);
    const n = res.duplicate ? 0 : res.end_seq - res.first_seq;
    committed.request += n;
    committed.total += n;
    return res;
  });
});

afterAll(() => vi.restoreAllMocks());

/** Every line the tenant's assets hold, as each asset's object counts them. */
async function storedLines(): Promise<number> {
  let total = 0;
  let cursor: string | undefined;
  const ref = { tenant: TENANT, ring: effectiveRing(env, undefined), rules: assetRules(env, undefined) };
  do {
    const page = await env.TENANT.getByName(tenantObjectName(TENANT)).assets(1000, cursor);
    for (const a of page.assets) total += (await env.ASSET_LOG.getByName(assetObjectName(TENANT, a.asset)).stats({ ...ref, asset: a.asset })).next_seq;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return total;
}

const hostileHeader = fc.oneof(
  fc.constantFrom("", " ", "a".repeat(64 * 1024), "\t", "../../x", "%2e%2e", "web-1", "fz-1"),
  fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
);
// Mostly valid credentials and headers, so most requests get past authentication to the decoders.
const credential = fc.oneof({ arbitrary: fc.constant("valid"), weight: 17 }, fc.constantFrom("none", "garbage", "huge", "read-only", "admin-token"));
const rarely = <T>(a: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, a);

function credentialValue(kind: string): string | null {
  switch (kind) {
    case "valid": return key;
    case "none": return null;
    case "garbage": return "tb_fuzz-routes_0123456789abcdef_" + "A".repeat(43);
    case "huge": return "x".repeat(32 * 1024);
    case "read-only": return readOnlyKey;
    default: return ADMIN_TOKEN;
  }
}

function authHeaders(auth: Auth, kind: string): Record<string, string> {
  const v = credentialValue(kind);
  if (v === null) return {};
  if (auth === "splunk") return { Authorization: `Splunk ${v}` };
  if (auth === "firehose") return { "X-Amz-Firehose-Access-Key": v };
  return { Authorization: `Bearer ${v}` };
}

const request = (route: IngestRoute) => fc.record({
  body: fc.oneof({ arbitrary: route.text.map((t) => ({ bytes: enc.encode(t), encoding: null, what: "plain" })), weight: 3 }, hostileBody(route.text)),
  contentType: fc.oneof({ arbitrary: fc.constantFrom(null, "application/json"), weight: 3 }, fc.constantFrom(...CONTENT_TYPES)),
  credential,
  asset: rarely(hostileHeader),
  queryAsset: rarely(fc.oneof(hostileHeader, fc.constant("fz-q"))),
  idempotency: fc.oneof({ arbitrary: fc.constant("unique"), weight: 6 }, fc.constant(null), rarely(hostileHeader)),
  junk: fc.constantFrom(0, 0, 0, 0, 0, 8 * 1024, 200 * 1024),
  extra: rarely(fc.dictionary(fc.constantFrom("x-amz-firehose-request-id", "x-amz-firehose-common-attributes", "x-goog-pubsub-message-id", "x-goog-pubsub-subscription-name", "content-length", "transfer-encoding", "x-request-id", "webhook-request-origin"), hostileHeader, { maxKeys: 3 })),
});
let unique = 0;

/** The answer is in the route's own error shape. */
async function shaped(res: Response, shape: Shape): Promise<string | null> {
  const text = await res.text();
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 200)}`;
  if (res.status < 400) return null;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    return `not JSON: ${text.slice(0, 80)}`;
  }
  if (shape === "firehose") return typeof body.requestId === "string" && typeof body.timestamp === "number" ? null : "not Firehose's shape";
  if (shape === "hec") return typeof body.text === "string" && typeof body.code === "number" ? null : "not HEC's shape";
  return res.headers.get("content-type") === "application/problem+json" && body.status === res.status ? null : "not problem+json";
}

describe("ingest routes under hostile input", () => {
  it("covers every ingest route the app mounts", () => {
    const mounted = new Set(endpoints().map(label));
    for (const r of Object.keys(INGEST)) expect(mounted, r).toContain(r);
  });

  for (const [name, route] of Object.entries(INGEST)) {
    it(`${name}: no 5xx, the route's error shape, nothing stored when refused (${RUNS} requests)`, async () => {
      const path = name.split(" ")[1]!;
      await fc.assert(
        fc.asyncProperty(request(route), async (r) => {
          const headers: Record<string, string> = { ...r.extra ?? {}, ...authHeaders(route.auth, r.credential) };
          if (r.contentType !== null) headers["Content-Type"] = r.contentType;
          if (r.body.encoding !== null) headers["Content-Encoding"] = r.body.encoding;
          if (r.asset !== null) headers["X-Asset-Id"] = r.asset;
          if (r.idempotency) headers["Idempotency-Key"] = r.idempotency === "unique" ? `fz-${unique++}` : r.idempotency;
          if (r.junk) headers["X-Junk"] = "j".repeat(r.junk);
          const query = r.queryAsset === null ? "" : `?asset=${encodeURIComponent(r.queryAsset)}`;
          committed.request = 0;
          const res = await call(path + query, { method: "POST", headers, body: r.body.bytes });
          const problem = await shaped(res, route.shape);
          if (problem) throw new Error(`${res.status} ${problem} (${r.body.what})`);
          if (res.status >= 400 && committed.request > 0) throw new Error(`${res.status} but ${committed.request} line(s) stored (${r.body.what})`);
          return true;
        }),
        { numRuns: RUNS },
      );
    }, scaledTimeout(RUNS, 6));
  }

  it("a gzip bomb is refused on every ingest route, promptly, and nothing is stored", async () => {
    // 51 members of 1 MiB of zeros: past the 50 MiB inflate cap from about 52 KiB on the wire.
    const member = gzip(new Uint8Array(1024 * 1024));
    const bomb = new Uint8Array(member.length * 51);
    for (let i = 0; i < 51; i++) bomb.set(member, i * member.length);
    for (const [name, route] of Object.entries(INGEST)) {
      committed.request = 0;
      const t0 = Date.now();
      const res = await call(name.split(" ")[1]!, { method: "POST", headers: { ...authHeaders(route.auth, "valid"), "Content-Encoding": "gzip" }, body: bomb });
      expect(res.status, name).toBe(413);
      expect(await shaped(res, route.shape), name).toBeNull();
      expect(Date.now() - t0, name).toBeLessThan(10_000);
      expect(committed.request, name).toBe(0);
    }
  }, 120_000);

  it("stores exactly the lines the accepted requests committed", async () => {
    expect(await storedLines()).toBe(committed.total);
  });
});

/** Other routes run against their own tenant: the ingest fuzz leaves large assets that evidence routes would seal on every run. */
const OTHER_TENANT = "fuzz-other";
const PARAM_DEFAULTS: Record<string, string> = { asset: "web-1", tenant: OTHER_TENANT, key_id: "0123456789abcdef", id: "1-x", file: "metadata.json" };
const paramNames = (path: string) => [...path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);

describe("every other route under hostile input", () => {
  beforeAll(async () => {
    await createTenant(OTHER_TENANT, { quotas: { requests_per_minute: 0, events_per_minute: 0, key_requests_per_minute: 0, asset_events_per_second: 0 } });
    key = await createKey(OTHER_TENANT, ["ingest", "read", "evidence", "metrics", "admin"]);
    readOnlyKey = await createKey(OTHER_TENANT, ["read"]);
    adminKeyId = (await createKey(OTHER_TENANT, ["admin"])).split("_")[2]!;
  });

  const values = fc.oneof(fc.constantFrom("web-1", "..", ".", "a/../../b", "%2e%2e%2f", "x".repeat(300), "", "\u0000", "fuzz-routes", "iso-b", "0123456789abcdef", "evidence-20260101-000000-00000000", "records.jsonl.gz", "../statement.dsse.json", "1-rule"), fc.string({ maxLength: 20 }));
  const others = () => endpoints().filter((e) => !(label(e) in INGEST));

  for (const e of others()) {
    it(`${label(e)}: never a 5xx (${OTHER_RUNS} requests)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          // Hostile values for some of the route's own path parameters, whatever they are called.
          fc.dictionary(fc.constantFrom(...paramNames(e.path), "-"), values),
          fc.dictionary(fc.constantFrom("since", "until", "limit", "cursor", "status", "asset", "snapshot", "token", "now", "path", "key", "deep"), values, { maxKeys: 4 }),
          fc.oneof(fc.string({ maxLength: 200 }), fc.json({ maxDepth: 4 }), hostileText([])),
          credential,
          fc.option(fc.constantFrom(...CONTENT_TYPES.filter((c): c is string => c !== null))),
          fc.boolean(),
          async (params, query, body, cred, contentType, upgrade) => {
            const defaults = Object.fromEntries(paramNames(e.path).map((n) => [n, PARAM_DEFAULTS[n] ?? "x"]));
            const filled = fillPath(e.path, { ...defaults, ...params });
            // Never revoke or rotate the keys the other properties use.
            const path = filled.replace(adminKeyId, "0123456789abcdef");
            const q = new URLSearchParams(query).toString();
            const headers: Record<string, string> = authHeaders("bearer", cred);
            if (contentType) headers["Content-Type"] = contentType;
            if (upgrade) headers.Upgrade = "websocket";
            const init: RequestInit = { method: e.method, headers };
            if (e.method !== "GET" && e.method !== "HEAD") init.body = body;
            committed.request = 0;
            const res = await call(`${path}${q ? `?${q}` : ""}`, init);
            res.webSocket?.accept();
            res.webSocket?.close();
            await res.arrayBuffer();
            if (res.status >= 500) throw new Error(`${e.method} ${path}?${q} -> ${res.status}`);
            if (committed.request > 0) throw new Error(`${e.method} ${path} stored ${committed.request} line(s)`);
            return true;
          },
        ),
        { numRuns: OTHER_RUNS },
      );
    }, scaledTimeout(OTHER_RUNS, 20));
  }
});
