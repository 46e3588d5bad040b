/** Hostile requests to every ingest, evidence and admin route: always an answer below 500. */
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { ADMIN_TOKEN, call, tenantWithKey } from "../fixtures/bridge.ts";

const RUNS = 600;
let key: string;

beforeAll(async () => {
  key = await tenantWithKey("fuzz-routes");
});

const routes = fc.constantFrom(
  ["POST", "/v1/logs"], ["POST", "/v1/telemetry"], ["POST", "/telemetry"], ["POST", "/v1/ingest/aws/cloudwatch"], ["POST", "/services/collector/event"], ["POST", "/v1/ingest/aws/firehose"], ["POST", "/v1/ingest/gcp/pubsub"], ["POST", "/v1/ingest/azure/eventhub"], ["OPTIONS", "/v1/ingest/azure/eventhub"], ["POST", "/v1/otlp/v1/logs"],
  ["GET", "/v1/assets/a/evidence"], ["GET", "/evidence"], ["GET", "/v1/assets/a/bundles"], ["GET", "/v1/assets"],
  ["GET", "/v1/bundles/evidence-20260101-000000-00000000/records.jsonl.gz"],
  ["POST", "/v1/admin/tenants"], ["PUT", "/v1/admin/tenants/fuzz-routes/config"], ["POST", "/v1/admin/tenants/fuzz-routes/keys"],
  ["PATCH", "/v1/admin/tenants/fuzz-routes"], ["POST", "/v1/admin/tenants/fuzz-routes/keys/0123456789abcdef/rotate"],
);
const queries = fc.oneof(fc.constant(""), fc.string({ maxLength: 30 }).map((s) => `?since=${encodeURIComponent(s)}&asset=${encodeURIComponent(s)}&limit=${encodeURIComponent(s)}&cursor=${encodeURIComponent(s)}`));
const headerValue = fc.oneof(fc.constantFrom("gzip", "br", "application/json", "application/x-ndjson", "text/plain", "", "a b c"), fc.string({ maxLength: 20 }).filter((s) => /^[\x20-\x7e]*$/.test(s)));
const body = fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 4 }), fc.uint8Array({ maxLength: 300 }));

describe("routes under hostile input", () => {
  it(`never answer 5xx (${RUNS} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(routes, queries, body, headerValue, headerValue, headerValue, fc.boolean(), async ([method, path], query, b, ct, ce, asset, asAdmin) => {
        const scheme = path.startsWith("/services/") ? "Splunk" : "Bearer";
        const headers: Record<string, string> = { Authorization: `${scheme} ${asAdmin ? ADMIN_TOKEN : key}`, "Content-Type": ct, "Content-Encoding": ce, "X-Asset-Id": asset };
        const init: RequestInit = { method, headers };
        if (method !== "GET") init.body = b;
        const res = await call(path + query, init);
        await res.arrayBuffer();
        if (res.status >= 500) throw new Error(`${method} ${path}${query} -> ${res.status}`);
        return true;
      }),
      { numRuns: RUNS },
    );
  }, 120_000);
});
