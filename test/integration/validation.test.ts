/** Every validation error path returns its documented status as problem+json, and stores nothing. */
import { describe, expect, it } from "vitest";
import { MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES, MAX_RECORDS_PER_REQUEST } from "../../shared/limits.ts";
import { call, expectProblem, getWithKey, gzip, post, tenantWithKey } from "../fixtures/bridge.ts";

const OK_SUMMARY = '{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}';

/** Nothing may have been stored for `asset` after a rejected request. */
async function expectNothingStored(key: string, asset: string) {
  const body = await (await getWithKey(`/v1/assets/${asset}/evidence?since=0`, key)).json();
  expect(body).toEqual({ ok: true, line_count: 0, message: "No logs found matching criteria" });
}

describe("validation errors", () => {
  it("400 for malformed JSON, empty bodies, bad gzip and bad UTF-8", async () => {
    const key = await tenantWithKey("val-400");
    const cases: [string, string | Uint8Array, Record<string, string>][] = [
      ["/v1/telemetry?asset=x", '{"alerts": [', {}],
      ["/v1/logs?asset=x", "[{]", {}],
      ["/v1/logs?asset=x", '{"a":1}\n{"b":', { "Content-Type": "application/x-ndjson" }],
      ["/v1/logs?asset=x", "", {}],
      ["/v1/logs?asset=x", "   \n", {}],
      ["/v1/logs?asset=x", new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]), { "Content-Encoding": "gzip" }],
      ["/v1/logs?asset=x", new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), {}],
    ];
    for (const [path, body, headers] of cases) {
      const problem = await expectProblem(await post(path, key, body, headers), 400);
      expect(problem.detail).not.toContain(key);
    }
    const truncated = (await gzip('{"a":1}')).slice(0, 12);
    await expectProblem(await post("/v1/logs?asset=x", key, truncated, { "Content-Encoding": "gzip" }), 400);
    await expectNothingStored(key, "x");
  });

  it("400 for a bad since, a bad asset id, or conflicting asset header and query", async () => {
    const key = await tenantWithKey("val-params");
    for (const since of ["-1", "abc", "1.5", "1e3"]) {
      const problem = await expectProblem(await getWithKey(`/evidence?since=${since}&asset=a`, key), 400);
      expect(problem.errors).toEqual([{ pointer: "/query/since", detail: expect.any(String) }]);
    }
    await expectProblem(await post("/v1/logs?asset=bad%20id", key, "{}"), 400);
    await expectProblem(await post("/v1/logs?asset=a", key, "{}", { "X-Asset-Id": "b" }), 400);
    await expectProblem(await getWithKey(`/v1/assets/${"x".repeat(129)}/evidence`, key), 400);
  });

  it("413 for oversized bodies, gzip bombs, too many records and oversized records", async () => {
    const key = await tenantWithKey("val-413");
    const big = "x".repeat(MAX_BODY_BYTES + 1);
    await expectProblem(await post("/v1/logs?asset=x", key, big), 413);
    // A gzip bomb: a few KiB that inflate past the decompression cap.
    const bomb = await gzip(" ".repeat(MAX_DECOMPRESSED_BYTES + 1024));
    expect(bomb.byteLength).toBeLessThan(MAX_BODY_BYTES);
    const problem = await expectProblem(await post("/v1/logs?asset=x", key, bomb, { "Content-Encoding": "gzip" }), 413);
    expect(problem.detail).toMatch(/inflates beyond/);
    // The NDJSON line limit counts UTF-8 bytes: 400,000 three-byte characters are 1.2 MB.
    const wide = await expectProblem(await post("/v1/logs?asset=x", key, `{"a":1}\n{"s":"${"€".repeat(400_000)}"}\n`, { "Content-Type": "application/x-ndjson" }), 413);
    expect(wide.errors).toEqual([{ pointer: "/1", detail: "line too long" }]);
    const many = Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, () => "{}").join("\n");
    await expectProblem(await post("/v1/logs?asset=x", key, many, { "Content-Type": "application/x-ndjson" }), 413);
    await expectProblem(await post("/v1/logs?asset=x", key, `[${Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, () => "{}").join(",")}]`), 413);
    const huge = await expectProblem(await post("/v1/logs?asset=x", key, JSON.stringify([{ ok: 1 }, { blob: "y".repeat(300 * 1024) }])), 413);
    expect(huge.errors).toEqual([{ pointer: "/1", detail: expect.stringMatching(/limit is 262144/) }]);
    const manyAssets = Array.from({ length: 101 }, (_, i) => JSON.stringify({ asset: `x-${i}` })).join("\n");
    const assets = await expectProblem(await post("/v1/logs", key, manyAssets, { "Content-Type": "application/x-ndjson" }), 413);
    expect(assets.errors).toEqual([{ pointer: "/100/asset", detail: expect.any(String) }]);
    await expectNothingStored(key, "x-0");
    await expectNothingStored(key, "x");
  });

  it("415 for unsupported media types and content encodings", async () => {
    const key = await tenantWithKey("val-415");
    await expectProblem(await post("/v1/logs?asset=x", key, "<a/>", { "Content-Type": "application/xml" }), 415);
    await expectProblem(await post("/v1/telemetry?asset=x", key, OK_SUMMARY, { "Content-Type": "text/csv" }), 415);
    await expectProblem(await post("/v1/logs?asset=x", key, "{}", { "Content-Encoding": "br" }), 415);
    await expectNothingStored(key, "x");
  });

  it("422 for well-formed JSON with invalid values, with pointers", async () => {
    const key = await tenantWithKey("val-422");
    const telemetry: [string, string[]][] = [
      ["[]", [""]],
      ['{"latency_ms_p95":1}', ["/alerts"]],
      ['{"alerts":[{"rule":"","count":1}],"latency_ms_p95":1}', ["/alerts/0/rule"]],
      ['{"alerts":[{"rule":"r","count":-1}],"latency_ms_p95":1}', ["/alerts/0/count"]],
      ['{"alerts":[{"rule":"r","count":1.5}],"latency_ms_p95":"9"}', ["/alerts/0/count", "/latency_ms_p95"]],
      ['{"alerts":[7],"latency_ms_p95":null}', ["/alerts/0"]],
      ['{"alerts":[{"rule":"r","count":1,"asset":"a"},{"rule":"r","count":1,"asset":"b"}],"latency_ms_p95":1}', ["/alerts"]],
    ];
    for (const [body, pointers] of telemetry) {
      const problem = await expectProblem(await post("/v1/telemetry?asset=x", key, body), 422);
      expect((problem.errors as { pointer: string }[]).map((e) => e.pointer)).toEqual(pointers);
    }
    const logs: [string, string][] = [
      ['[{"a":1}, 5]', "/1"],
      ['[{"a":1},{"ts":"yesterday"}]', "/1/ts"],
      ['[{"asset":"no spaces"}]', "/0/asset"],
      ['{"@timestamp":true}', "/0/@timestamp"],
    ];
    for (const [body, pointer] of logs) {
      const problem = await expectProblem(await post("/v1/logs?asset=x", key, body), 422);
      expect(problem.errors).toEqual([{ pointer, detail: expect.any(String) }]);
    }
    const deep = "[".repeat(100) + "]".repeat(100);
    await expectProblem(await post("/v1/logs?asset=x", key, `{"d":${deep}}`), 422);
    // 1e400 parses as Infinity, which has no canonical JSON: a 422, never a 500.
    const huge = await expectProblem(await post("/v1/logs?asset=x", key, '{"n":1e400}'), 422);
    expect(huge.detail).toMatch(/out of range/);
    await expectProblem(await post("/v1/telemetry?asset=x", key, '{"alerts":[{"rule":"r","count":1,"x":-1e999}],"latency_ms_p95":1}'), 422);
    await expectNothingStored(key, "x");
  });

  it("accepts the valid edge cases: null p95, extra alert keys, alerts naming one asset", async () => {
    const key = await tenantWithKey("val-ok");
    const res = await post("/v1/telemetry", key, '{"alerts":[{"rule":"r","count":0,"asset":"fw-1","note":"kept"}],"latency_ms_p95":null}');
    expect(await res.json()).toEqual({ ok: true, accepted: 1, asset: "fw-1" });
  });

  it("404 problem for unknown routes", async () => {
    await expectProblem(await call("/v1/nope"), 404);
  });
});
