import { describe, expect, it } from "vitest";
import { normalizeLevel } from "../../shared/levels.ts";

describe("normalizeLevel", () => {
  it("maps the usual spellings onto five levels, case-insensitively", () => {
    const cases: [string, string][] = [
      ["CRITICAL", "CRITICAL"], ["fatal", "CRITICAL"], ["Emergency", "CRITICAL"], ["ALERT", "CRITICAL"],
      ["ERROR", "ERROR"], ["err", "ERROR"], ["WARN", "WARN"], ["Warning", "WARN"],
      ["INFO", "INFO"], ["notice", "INFO"], ["Information", "INFO"], ["DEBUG", "DEBUG"], ["trace", "DEBUG"], [" info ", "INFO"],
    ];
    for (const [raw, level] of cases) expect(normalizeLevel(raw), raw).toBe(level);
  });

  it("leaves unknown values, non-strings and inherited names alone", () => {
    for (const raw of ["chatty", "", "constructor", "__proto__", 3, null, "x".repeat(40)]) expect(normalizeLevel(raw)).toBeUndefined();
  });
});
