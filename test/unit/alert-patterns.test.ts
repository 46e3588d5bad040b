/**
 * Alert patterns cannot hang an AssetLog: generated patterns, built from the pieces that make
 * backtracking engines explode (nested and adjacent quantifiers, overlapping alternation,
 * repetition counts), are either refused when the config is saved or match 4 KiB adversarial
 * messages within a bound. Runs: FUZZ_RUNS / 10 (1,000 in `npm run test:soak`), 150 in CI.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRules, factsOf } from "../../shared/aggregates/event-facts.ts";
import { ALERT_PATTERN_INPUT_MAX } from "../../shared/limits.ts";
import { decodeTenantConfig } from "../../shared/tenant-config.ts";
import { fuzzRuns, scaledTimeout } from "../support/soak.ts";

const RUNS = Math.max(150, Math.ceil(fuzzRuns(1_500) / 10));
/** Per match of a 4 KiB message; a backtracking engine takes seconds to hours on these. */
const MATCH_BOUND_MS = 100;

const pattern: fc.Arbitrary<string> = fc.letrec<{ p: string }>((tie) => ({
  p: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    fc.constantFrom("a", "aa", ".", "\\w", "\\s", "[a-z]", "[^!]", "(a|aa)", "(a|a)", "(\\w|\\d)", "x"),
    fc.tuple(tie("p"), fc.constantFrom("*", "+", "?", "{1,10}", "{2,}", "{12}", "*?", "+?")).map(([p, q]) => `(${p})${q}`),
    fc.tuple(tie("p"), tie("p")).map(([a, b]) => a + b),
    fc.tuple(tie("p"), tie("p")).map(([a, b]) => `(?:${a}|${b})`),
    tie("p").map((p) => `^${p}$`),
  ),
})).p;

/**
 * Messages that make a backtracking engine try every split before failing, short ones first.
 * (Matching is synchronous: with a backtracking engine back, some generated patterns block for
 * hours even on 24 characters, so this file then fails by timing out CI rather than by assertion.)
 */
const ADVERSARIAL = [24, 256, ALERT_PATTERN_INPUT_MAX].flatMap((n) => ["a".repeat(n) + "!", "ab".repeat(n / 2) + "\u0000", " a".repeat(n / 2) + "!"]);

function accepted(p: string): boolean {
  return decodeTenantConfig({ alert_rules: [{ name: "p", type: "pattern", pattern: p }] }).ok;
}

describe("alert patterns", () => {
  it("the classic catastrophic patterns are refused or bounded", () => {
    for (const p of ["(a+)+$", "(a|aa)*$", "((a+))+$", "(.*a){20}", "(\\w+\\s?)*$", "^(a|a?)+$", "(x+x+)+y", "a.*a.*a.*a.*a.*b"]) {
      if (!accepted(p)) continue;
      const rules = compileRules({ alert_rules: [{ name: "p", type: "pattern", pattern: p, severity: "medium", cooldown_seconds: 0 }] });
      for (const message of ADVERSARIAL) {
        const t0 = performance.now();
        factsOf({ ts: 0, asset: "a", source: "http", message, record: {} }, rules);
        expect(performance.now() - t0, p).toBeLessThan(MATCH_BOUND_MS);
      }
    }
  });

  it(`generated patterns (${RUNS}): refused when saved, or 4 KiB adversarial messages match within ${MATCH_BOUND_MS} ms`, () => {
    let checked = 0;
    fc.assert(
      fc.property(pattern, (p) => {
        if (!accepted(p)) return true;
        const rules = compileRules({ alert_rules: [{ name: "p", type: "pattern", pattern: p, severity: "medium", cooldown_seconds: 0 }] });
        for (const message of ADVERSARIAL) {
          const t0 = performance.now();
          factsOf({ ts: 0, asset: "a", source: "http", message, record: {} }, rules);
          if (performance.now() - t0 > MATCH_BOUND_MS) return false;
        }
        checked++;
        return true;
      }),
      { numRuns: RUNS },
    );
    expect(checked).toBeGreaterThan(RUNS / 2);
  }, scaledTimeout(RUNS, 30));
});
