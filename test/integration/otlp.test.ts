/** POST /v1/otlp/v1/logs: OTLP/HTTP JSON logs, nanosecond times kept exactly, partial success. */
import { describe, expect, it } from "vitest";
import sample from "../fixtures/samples/otlp-logs.json?raw";
import { expectProblem, post, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const ROUTE = "/v1/otlp/v1/logs";

const stored = storedLines;

describe("OTLP logs", () => {
  it("stores each log record under service.name with its time and level, and answers {}", async () => {
    const key = await tenantWithKey("otlp-sample");
    const res = await post(ROUTE, key, sample);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const lines = await stored(key, "checkout");
    expect(lines.map((l) => [l.source, l.ts, l.record.severityText, l.record.body.stringValue])).toEqual([
      ["otlp", "2025-11-24T08:00:00.000Z", "ERROR", "payment provider timeout"], ["otlp", "2025-11-24T08:00:01.000Z", "INFO", "order placed"],
    ]);
    expect(lines[0].record.resource.attributes[0]).toEqual({ key: "service.name", value: { stringValue: "checkout" } });
    expect(lines[0].record.scope).toEqual({ name: "checkout.logger" });
    expect((await post(ROUTE, key, sample)).headers.get("idempotent-replay")).toBe("true");
  });

  it("keeps nanosecond times above 2^53 exactly, even when sent as JSON numbers", async () => {
    const key = await tenantWithKey("otlp-nanos");
    const body = '{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":1763971200123456789,"body":{"stringValue":"x"},"severityNumber":13}]}]}]}';
    expect((await post(ROUTE, key, body)).status).toBe(200);
    const [line] = await stored(key, "svc");
    expect(line.record.timeUnixNano).toBe("1763971200123456789");
    expect(line.ts).toBe("2025-11-24T08:00:00.123Z");
  });

  it("rejects invalid records one by one (partial success) and whole bad requests with 4xx", async () => {
    const key = await tenantWithKey("otlp-partial");
    const body = JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: "service.name", value: { stringValue: "svc" } }] }, scopeLogs: [{ logRecords: [
      { timeUnixNano: "1763971200000000000", body: { stringValue: "good" } },
      { timeUnixNano: "yesterday", body: { stringValue: "bad time" } },
      { timeUnixNano: "1763971200000000000", traceId: "xyz", body: { stringValue: "bad trace" } },
    ] }] }] });
    const res = await post(ROUTE, key, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ partialSuccess: { rejectedLogRecords: "2", errorMessage: expect.stringMatching(/2 log record/) } });
    expect((await stored(key, "svc")).map((l) => l.record.body.stringValue)).toEqual(["good"]);
    await expectProblem(await post(ROUTE, key, "{", {}), 400);
    await expectProblem(await post(ROUTE, key, '{"resourceLogs":5}'), 422);
    await expectProblem(await post(ROUTE, key, "\u0000\u0001", { "Content-Type": "application/x-protobuf" }), 415);
  });
});
