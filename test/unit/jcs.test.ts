/** RFC 8785 canonicalisation, and the stored-line builder that must agree with it. */
import { describe, expect, it } from "vitest";
import { canonicalize } from "../../shared/evidence/jcs.ts";
import { isoMillis, storedLine, storedLines, type PreparedEvent } from "../../shared/events.ts";

describe("canonicalize (RFC 8785)", () => {
  it("reproduces the RFC 8785 section 3.2.2 sample", () => {
    const input = `{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\"\\/",
      "literals": [null, true, false]
    }`;
    expect(canonicalize(JSON.parse(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)", () => {
    const input = { "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis" };
    // Read the keys off the output text: Object.keys would list "1" first whatever the order.
    const keys = [...canonicalize(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]}"`));
    expect(keys).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  });

  it("keeps __proto__ as a plain key and never touches prototypes", () => {
    const parsed = JSON.parse('{"__proto__":{"polluted":1},"a":1}');
    expect(canonicalize(parsed)).toBe('{"__proto__":{"polluted":1},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("storedLine", () => {
  it("equals the JCS of the full stored object, with and without id", () => {
    const record = { b: [1, { d: 2, c: "x" }], a: "é" };
    for (const id of [undefined, "msg-1"]) {
      const ev = { ts: 1764000000123, source: "http" as const, recordJcs: canonicalize(record), ...(id ? { id } : {}) };
      const line = storedLine("asset/1", 42, 1764000001000, ev);
      const full = { asset: "asset/1", record, rts: isoMillis(1764000001000), seq: 42, source: "http", ts: isoMillis(1764000000123), ...(id ? { id } : {}) };
      expect(line).toBe(canonicalize(full));
    }
  });

  it("storedLines gives each event's line of a batch, as ts, source and id vary or repeat", () => {
    const events: PreparedEvent[] = [1764000000123, 1764000000123, 1764000000999, 1764000000999, 0, 1764000000123].map((ts, i) => ({
      ts, source: i === 3 ? "otlp" : "http", recordJcs: canonicalize({ n: i, s: "é€😀" }), ...(i % 2 ? { id: `m-${i}` } : {}),
    }));
    const lines = storedLines("a:1/x", 7, 1764000001000, events);
    expect(lines).toHaveLength(events.length);
    lines.forEach((line, i) => {
      const ev = events[i]!;
      const full = { asset: "a:1/x", record: { n: i, s: "é€😀" }, rts: isoMillis(1764000001000), seq: 7 + i, source: ev.source, ts: isoMillis(ev.ts), ...(ev.id ? { id: ev.id } : {}) };
      expect(line).toBe(canonicalize(full));
    });
  });
});
