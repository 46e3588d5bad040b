/** Regressions from review: inputs that crashed a route (500) or blew up memory, and edge cases. */
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../shared/hex.ts";
import { call, expectProblem, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

const b64 = (data: Uint8Array | string) => toBase64(typeof data === "string" ? new TextEncoder().encode(data) : data);

describe("connector regressions", () => {
  it("HEC: a top-level array of 130,000 events is 413 code 6, not a stack overflow", async () => {
    const key = await tenantWithKey("reg-hec");
    const body = "[" + Array.from({ length: 130_000 }, () => '{"event":"x"}').join(",") + "]";
    const res = await call("/services/collector/event", { method: "POST", headers: { Authorization: `Splunk ${key}` }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 6 });
  });

  it("Firehose: one record of 300,000 values is 413 in Firehose's shape", async () => {
    const key = await tenantWithKey("reg-fh");
    const data = b64("[" + Array(300_000).fill("1").join(",") + "]");
    const res = await call("/v1/ingest/aws/firehose", { method: "POST", headers: { "X-Amz-Firehose-Access-Key": key }, body: JSON.stringify({ requestId: "r", timestamp: 1764000000000, records: [{ data }] }) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ requestId: "r", errorMessage: expect.any(String) });
  });

  it("OTLP: a large shared resource copied into 10,000 records is 413, not out-of-memory", async () => {
    const key = await tenantWithKey("reg-otlp");
    const resource = { attributes: [{ key: "service.name", value: { stringValue: "svc" } }, { key: "blob", value: { stringValue: "x".repeat(250 * 1024) } }] };
    const body = JSON.stringify({ resourceLogs: [{ resource, scopeLogs: [{ logRecords: Array.from({ length: 10_000 }, () => ({})) }] }] });
    await expectProblem(await post("/v1/otlp/v1/logs", key, body), 413);
  });

  it("Pub/Sub: a log name with a malformed escape is stored, and unwrapped {\"message\":…} payloads are payloads", async () => {
    const key = await tenantWithKey("reg-ps");
    const data = b64(JSON.stringify({ logName: "projects/p/logs/%", textPayload: "x", resource: { type: "gce_instance", labels: { instance_id: "vm-1" } } }));
    expect((await post("/v1/ingest/gcp/pubsub", key, JSON.stringify({ message: { data, messageId: "m1" }, subscription: "projects/p/subscriptions/s" }))).status).toBe(200);
    const unwrapped = await post("/v1/ingest/gcp/pubsub?asset=app", key, '{"message":"user login"}', { "x-goog-pubsub-message-id": "42" });
    expect(await unwrapped.json()).toMatchObject({ accepted: 1, message_id: "42" });
    // Without metadata headers, the payload's digest is the redelivery key.
    expect((await post("/v1/ingest/gcp/pubsub?asset=app", key, '{"n":1}')).status).toBe(200);
    expect((await post("/v1/ingest/gcp/pubsub?asset=app", key, '{"n":1}')).headers.get("idempotent-replay")).toBe("true");
    expect(((await (await getWithKey("/v1/assets", key)).json()) as any).assets.map((a: any) => a.asset).sort()).toEqual(["app", "gce_instance/vm-1"]);
  });
});
