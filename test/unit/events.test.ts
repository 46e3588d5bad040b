import { describe, expect, it } from "vitest";
import { isValidAssetId, parseTimestamp } from "../../shared/events.ts";

describe("parseTimestamp", () => {
  it("reads ISO 8601 and epoch seconds or milliseconds", () => {
    expect(parseTimestamp("2026-11-24T08:00:00Z")).toBe(Date.UTC(2026, 10, 24, 8));
    expect(parseTimestamp("2026-11-24T09:00:00.250+01:00")).toBe(Date.UTC(2026, 10, 24, 8, 0, 0, 250));
    expect(parseTimestamp(1763971200.123)).toBe(1763971200123);
    expect(parseTimestamp(1763971200123)).toBe(1763971200123);
    expect(parseTimestamp("1763971200")).toBe(1763971200000);
  });

  it("refuses what is not a time", () => {
    for (const v of ["yesterday", "", true, {}, [], -1, Number.MAX_VALUE, "9".repeat(80), null]) {
      expect(parseTimestamp(v)).toBeNull();
    }
  });
});

describe("isValidAssetId", () => {
  it("allows 1-128 of [A-Za-z0-9._:/@-] only", () => {
    for (const ok of ["a", "web-1", "arn:aws:waf/x@eu", "x".repeat(128)]) expect(isValidAssetId(ok)).toBe(true);
    for (const bad of ["", "x".repeat(129), "a b", "ä", "a\u0000", 5]) expect(isValidAssetId(bad)).toBe(false);
  });
});
