/** RFC 8785 canonicalisation, and the stored-line builder that must agree with it. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalize, canonicalizeWalk } from "../../shared/evidence/jcs.ts";
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

  it("the fast path (sorted copy, one JSON.stringify) equals the reference walk on any JSON value", () => {
    // Keys that stress ordering: array indexes ("10" before "2" in JCS), near-indexes, __proto__, astral and control characters.
    const key = fc.oneof(fc.string(), fc.constantFrom("0", "1", "2", "10", "01", "-1", "4294967295", "1e3", "__proto__", "toJSON", "\ud83d\ude00", "\u2028", ""));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, fc.jsonValue({ maxDepth: 1 }), fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(key, tie("value"), { maxKeys: 6 })),
    })).value;
    fc.assert(fc.property(json, (v) => {
      // Through JSON.parse, as records arrive (it makes __proto__ an own key).
      const parsed = JSON.parse(JSON.stringify(v));
      expect(canonicalize(parsed)).toBe(canonicalizeWalk(parsed));
    }), { numRuns: 2000 });
  });

  it("takes the reference walk for objects a copy cannot hold in order, and refuses what JSON cannot say", () => {
    expect(canonicalize(JSON.parse('{"b":1,"10":2,"2":3,"a":{"1":true}}'))).toBe('{"10":2,"2":3,"a":{"1":true},"b":1}');
    expect(canonicalize({ when: new Date(0) })).toBe(canonicalizeWalk({ when: new Date(0) }));
    expect(canonicalize({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalize([1, undefined])).toThrow(TypeError);
    expect(() => canonicalize({ n: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalize({ f: () => 1 })).toThrow(TypeError);
    expect(() => canonicalize(1n)).toThrow(TypeError);
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
