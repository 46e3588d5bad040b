/** POST /v1/ingest/azure/eventhub: diagnostic records, Event Grid (with its handshake) and CloudEvents. */
import { describe, expect, it } from "vitest";
import diagnostic from "../fixtures/samples/azure-diagnostic-records.json?raw";
import validation from "../fixtures/samples/azure-eventgrid-validation.json?raw";
import validationAnswer from "../fixtures/samples/azure-eventgrid-validation.expected-response.json?raw";
import { call, expectProblem, getWithKey, post, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const ROUTE = "/v1/ingest/azure/eventhub";

const stored = storedLines;

describe("Azure", () => {
  it("stores diagnostic records under the resource, with their time; a retried delivery once", async () => {
    const key = await tenantWithKey("az-diag");
    const res = await post(ROUTE, key, diagnostic);
    expect(await res.json()).toEqual({ ok: true, accepted: 2, assets: { "PROD-WAF": 2 } });
    const lines = await stored(key, "PROD-WAF");
    expect(lines.map((l) => [l.source, l.ts, l.record.properties.action, l.record.properties.latency_ms])).toEqual([
      ["azure.eventhub", "2025-11-24T08:00:00.000Z", "Blocked", 142], ["azure.eventhub", "2025-11-24T08:00:01.000Z", "Blocked", 98],
    ]);
    expect((await post(ROUTE, key, diagnostic)).headers.get("idempotent-replay")).toBe("true");
    // An Event Hub batch relayed by a forwarder: an array of such messages.
    const batch = JSON.stringify([JSON.parse(diagnostic), { records: [{ ...JSON.parse(diagnostic).records[0], level: "Warning", time: "2025-11-24T08:00:05Z" }] }]);
    expect(await (await post(ROUTE, key, batch)).json()).toMatchObject({ accepted: 3 });
    expect(await stored(key, "PROD-WAF")).toHaveLength(5);
  });

  it("answers Event Grid's subscription validation with its code, storing nothing", async () => {
    const key = await tenantWithKey("az-validate");
    const res = await call(`${ROUTE}?key=${key}`, { method: "POST", headers: { "aeg-event-type": "SubscriptionValidation", "Content-Type": "application/json" }, body: validation });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(validationAnswer));
    expect(((await (await getWithKey("/v1/assets", key)).json()) as any).assets).toEqual([]);
  });

  it("stores Event Grid events and CloudEvents, and answers the CloudEvents OPTIONS handshake", async () => {
    const key = await tenantWithKey("az-events");
    const grid = [{ id: "e1", topic: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct", subject: "/blobServices/default/containers/logs", eventType: "Microsoft.Storage.BlobCreated", eventTime: "2026-01-01T00:00:00Z", data: { url: "u" }, dataVersion: "1", metadataVersion: "1" }];
    expect(await (await post(`${ROUTE}`, key, JSON.stringify(grid))).json()).toMatchObject({ accepted: 1, assets: { logs: 1 } });
    const ce = { specversion: "1.0", id: "c1", source: "/apps/checkout", type: "com.example.order", time: "2026-01-01T00:00:01Z", data: { level: "error" } };
    expect(await (await post(`${ROUTE}`, key, JSON.stringify(ce), { "Content-Type": "application/cloudevents+json" })).json()).toMatchObject({ assets: { checkout: 1 } });
    expect((await stored(key, "checkout"))[0]).toMatchObject({ source: "azure.eventgrid", id: "/apps/checkout#c1", ts: "2026-01-01T00:00:01.000Z" });
    const hs = await call(`${ROUTE}?key=${key}`, { method: "OPTIONS", headers: { "WebHook-Request-Origin": "eventgrid.azure.net" } });
    expect(hs.status).toBe(200);
    expect(hs.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
    await expectProblem(await call(ROUTE, { method: "OPTIONS", headers: { "WebHook-Request-Origin": "eventgrid.azure.net" } }), 401);
  });

  it("answers malformed deliveries with 4xx problems and stores nothing", async () => {
    const key = await tenantWithKey("az-bad");
    const cases: [string, number][] = [
      ["{", 400], ["", 400], ['{"hello":1}', 422], ['{"records":[7]}', 422], ['{"records":[{"time":"never"}]}', 422],
      ['[{"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","data":{}}]', 422], ['{"specversion":"1.0"}', 422],
    ];
    for (const [body, status] of cases) await expectProblem(await post(`${ROUTE}?asset=bad`, key, body), status);
    await expectProblem(await call(ROUTE, { method: "POST", body: diagnostic }), 401);
    expect(((await (await getWithKey("/v1/assets", key)).json()) as any).assets).toEqual([]);
  });
});
