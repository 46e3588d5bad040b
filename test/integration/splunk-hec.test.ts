/** Splunk HEC: real-shaped event batches in, HEC-shaped answers out. */
import { describe, expect, it } from "vitest";
import hecEvents from "../fixtures/samples/splunk-hec-events.txt?raw";
import { call, createKey, createTenant, gzip, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const hec = (token: string | null, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  call("/services/collector/event", { method: "POST", headers: { ...(token === null ? {} : { Authorization: `Splunk ${token}` }), ...headers }, body });

const stored = storedLines;

describe("Splunk HEC", () => {
  it("accepts concatenated events and answers Success", async () => {
    const key = await tenantWithKey("hec-ok");
    const res = await hec(key, hecEvents);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ text: "Success", code: 0 });
    const lines = await stored(key, "web-1");
    expect(lines.map((l) => [l.source, l.ts, l.record.sourcetype ?? null])).toEqual([
      ["splunk.hec", "2025-11-24T08:00:00.123Z", "_json"],
      ["splunk.hec", "2025-11-24T08:00:01.000Z", null],
    ]);
    expect(lines[0].record.event).toEqual({ action: "BLOCK", uri: "/admin", latency_ms: 12 });
    // Arrays of events, gzip, and events on separate lines work too.
    const batch = JSON.stringify([{ event: "a", host: "web-2" }, { event: "b", host: "web-2" }]) + '\n{"event":"c","host":"web-2"}';
    expect((await hec(key, await gzip(batch), { "Content-Encoding": "gzip" })).status).toBe(200);
    expect((await stored(key, "web-2")).map((l) => l.record.event)).toEqual(["a", "b", "c"]);
  });

  it("answers auth problems with HEC codes 2, 3 and 4", async () => {
    await createTenant("hec-auth");
    const readOnly = await createKey("hec-auth", ["read"]);
    const cases: [string | null, Record<string, string>, number, number][] = [
      [null, {}, 401, 2],
      [null, { Authorization: "Bearer nope" }, 401, 3],
      ["tb_hec-auth_0123456789abcdef_" + "A".repeat(43), {}, 403, 4],
      [readOnly, {}, 403, 4],
    ];
    for (const [token, headers, status, code] of cases) {
      const res = await hec(token, '{"event":"x"}', headers);
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({ code });
    }
  });

  it("answers bad batches with codes 5, 6, 12, 13 and the event number, storing nothing", async () => {
    const key = await tenantWithKey("hec-bad");
    const cases: [string, number, number, number | undefined][] = [
      ["", 400, 5, undefined],
      ['{"event":"ok","host":"h"}{"event":', 400, 6, 1],
      ['{"event":"ok","host":"h"} nonsense', 400, 6, 1],
      ['{"event":"ok","host":"h"}{"host":"h"}', 400, 12, 1],
      ['{"event":"","host":"h"}', 400, 13, 0],
      ['{"event":"x","host":"h","time":"yesterday"}', 400, 6, 0],
      ['[{"event":"x","host":"h"}, 7]', 400, 6, 1],
    ];
    for (const [body, status, code, n] of cases) {
      const res = await hec(key, body);
      expect(res.status, body).toBe(status);
      const json = (await res.json()) as Record<string, unknown>;
      expect(json.code, body).toBe(code);
      expect(json["invalid-event-number"], body).toBe(n);
    }
    expect(await stored(key, "h")).toEqual([]);
    const over = await hec(key, await gzip(" ".repeat(51 * 1024 * 1024)), { "Content-Encoding": "gzip" });
    expect([over.status, ((await over.json()) as any).code]).toEqual([413, 6]);
  });

  it("stores a batch retried with the same Idempotency-Key once", async () => {
    const key = await tenantWithKey("hec-idem");
    for (let i = 0; i < 2; i++) expect((await hec(key, '{"event":"once","host":"h"}', { "Idempotency-Key": "hec-1" })).status).toBe(200);
    expect(await stored(key, "h")).toHaveLength(1);
  });
});
