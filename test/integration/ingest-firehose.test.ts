/** POST /v1/ingest/aws/firehose: Firehose HTTP endpoint deliveries, answered in Firehose's shape. */
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../shared/hex.ts";
import sample from "../fixtures/samples/aws-firehose-request.json?raw";
import { call, env, getWithKey, gzip, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const ROUTE = "/v1/ingest/aws/firehose";

const b64 = (data: Uint8Array | string) => toBase64(typeof data === "string" ? new TextEncoder().encode(data) : data);

function deliver(key: string | null, body: unknown, headers: Record<string, string> = {}) {
  const { _headers, ...rest } = body as Record<string, unknown>;
  const h: Record<string, string> = { "Content-Type": "application/json", ...headers };
  if (key !== null) h["X-Amz-Firehose-Access-Key"] = key;
  if (typeof rest.requestId === "string") h["X-Amz-Firehose-Request-Id"] ??= rest.requestId;
  return call(ROUTE, { method: "POST", headers: h, body: JSON.stringify(rest) });
}

const stored = storedLines;

const request = (id: string, records: string[]) => ({ requestId: id, timestamp: 1763971205000, records: records.map((data) => ({ data })) });

describe("Firehose HTTP endpoint", () => {
  it("expands a gzipped CloudWatch payload and answers exactly {requestId, timestamp}", async () => {
    const key = await tenantWithKey("fh-sample");
    const res = await deliver(key, JSON.parse(sample), { "X-Amz-Firehose-Common-Attributes": '{"commonAttributes":{"env":"prod"}}' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(["requestId", "timestamp"]);
    expect(body.requestId).toBe("ed4acda5-034f-9f42-bba1-f29aea6d7d8f");
    expect(typeof body.timestamp).toBe("number");
    const lines = await stored(key, "/aws/waf/prod");
    expect(lines.map((l) => [l.source, l.record.action, l.ts])).toEqual([
      ["aws.firehose", "BLOCK", "2025-11-24T08:00:00.000Z"], ["aws.firehose", "BLOCK", "2025-11-24T08:00:01.000Z"], ["aws.firehose", "ALLOW", "2025-11-24T08:00:02.000Z"],
    ]);
    // Firehose retries with the same request id: nothing is stored twice.
    expect((await deliver(key, JSON.parse(sample))).status).toBe(200);
    expect(await stored(key, "/aws/waf/prod")).toHaveLength(3);
  });

  it("sniffs JSON, JSON arrays, NDJSON, plain text and gzip records", async () => {
    const key = await tenantWithKey("fh-sniff");
    const records = [
      b64('{"asset":"fw","action":"BLOCK","ts":"2026-01-01T00:00:00Z"}'),
      b64('[{"asset":"fw","n":1},{"asset":"fw","n":2}]'),
      b64('{"asset":"fw","n":3}\n{"asset":"fw","n":4}\n'),
      b64(await gzip('{"asset":"fw","n":5}')),
    ];
    expect((await deliver(key, request("req-sniff", records))).status).toBe(200);
    const fw = await stored(key, "fw");
    expect(fw.map((l) => l.record.n ?? l.record.action)).toEqual(["BLOCK", 1, 2, 3, 4, 5]);
    expect(fw[0].ts).toBe("2026-01-01T00:00:00.000Z");
    expect(fw[0].id).toBe("req-sniff:0");
    // Plain text goes to the asset the common attributes name, one event per line.
    expect((await deliver(key, request("req-text", [b64("line one\nline two\n")]), { "X-Amz-Firehose-Common-Attributes": '{"commonAttributes":{"asset":"syslog"}}' })).status).toBe(200);
    expect((await stored(key, "syslog")).map((l) => l.record)).toEqual([{ message: "line one" }, { message: "line two" }]);
  });

  it("answers failures in Firehose's shape with errorMessage, storing nothing", async () => {
    const key = await tenantWithKey("fh-bad");
    const cases: [string | null, unknown, Record<string, string>, number][] = [
      [null, request("r1", [b64("{}")]), {}, 401],
      ["tb_fh-bad_0123456789abcdef_" + "A".repeat(43), request("r2", [b64("{}")]), {}, 401],
      [key, request("r3", ["%%%"]), {}, 400],
      [key, request("r4", [b64("{}")]), { "X-Amz-Firehose-Request-Id": "other" }, 400],
      [key, { requestId: "r5", timestamp: 1 }, {}, 422],
      [key, request("r6", [b64(await gzip(" ".repeat(51 * 1024 * 1024)))]), {}, 413],
      [key, request("r7", [b64(new Uint8Array([0x1f, 0x8b, 1, 2, 3]))]), {}, 400],
    ];
    for (const [k, body, headers, status] of cases) {
      const res = await deliver(k, body, headers);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      const json = (await res.json()) as Record<string, unknown>;
      expect(json).toMatchObject({ requestId: expect.any(String), timestamp: expect.any(Number), errorMessage: expect.any(String) });
      expect(JSON.stringify(json)).not.toContain(key.split("_").slice(3).join("_"));
    }
    const notJson = await call(ROUTE, { method: "POST", headers: { "X-Amz-Firehose-Access-Key": key, "X-Amz-Firehose-Request-Id": "r8" }, body: "{" });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ requestId: "r8", errorMessage: expect.any(String) });
    expect((await (await getWithKey("/v1/assets", key)).json()) as any).toMatchObject({ assets: [] });
  });
});
