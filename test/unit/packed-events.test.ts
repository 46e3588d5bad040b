/** packEvents / unpackEvents: what AssetLog.append receives by RPC is exactly what the edge prepared. */
import { describe, expect, it } from "vitest";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import type { PreparedEvent } from "../../shared/events.ts";
import { isPacked, packEvents, unpackEvents } from "../../shared/packed-events.ts";

const rec = (o: unknown) => canonicalize(o);

describe("packed events", () => {
  it("round-trip every shape of event: ids, sources, facts absent, empty, partial and full", () => {
    const events: PreparedEvent[] = [
      { ts: 1764000000123, source: "http", recordJcs: rec({ a: 1 }) },
      { ts: 1764000000123, source: "http", recordJcs: rec({ s: "é€😀\u2028 line\nbreak" }), id: "m-1", facts: {} },
      { ts: 0, source: "otlp", recordJcs: rec({}), id: "", facts: { level: "ERROR" } },
      { ts: 1764000000999, source: "http", recordJcs: rec([]), facts: { latency_ms: 0 } },
      { ts: 1764000000999, source: "aws.firehose", recordJcs: rec({ x: null }), facts: { level: "DEBUG", latency_ms: 12.345, counts: ["waf-blocks"] } },
      { ts: 5, source: "http", recordJcs: rec({ y: "z" }), facts: { hits: [{ rule: "r", key: "k", value: 3 }, { rule: "p" }] } },
      { ts: 6, source: "http", recordJcs: rec({}), facts: { level: "CRITICAL", counts: ["a", "b"], hits: [{ rule: "t", value: 0.5 }] } },
    ];
    const packed = packEvents(events);
    expect(isPacked(packed)).toBe(true);
    expect(isPacked(events)).toBe(false);
    expect(unpackEvents(packed)).toEqual(events);
    // Survives a structured clone, as over RPC.
    expect(unpackEvents(structuredClone(packed))).toEqual(events);
  });

  it("keeps one source for a batch that shares it, and no optional arrays it does not need", () => {
    const events: PreparedEvent[] = [1, 2, 3].map((i) => ({ ts: i, source: "splunk.hec", recordJcs: rec({ i }), facts: { level: "INFO" } }));
    const packed = packEvents(events);
    expect(packed.source).toBe("splunk.hec");
    expect(packed.ids).toBeUndefined();
    expect(packed.latency).toBeUndefined();
    expect(packed.extra).toBeUndefined();
    expect(unpackEvents(packed)).toEqual(events);
  });

  it("round-trips an empty batch", () => {
    expect(unpackEvents(packEvents([]))).toEqual([]);
  });

  it("refuses a record with a raw newline (JCS never makes one): counts disagree", () => {
    const packed = packEvents([{ ts: 1, source: "http", recordJcs: '{"a":"x\ny"}' }]);
    expect(() => unpackEvents(packed)).toThrow(/disagree/);
  });
});
