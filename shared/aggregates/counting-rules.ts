/**
 * Counting rules and latency extraction (DESIGN.md section 5): what feeds the FixOps
 * ops-telemetry summary. Pure; run at the edge on each record before it is stored.
 */
import { valueAt } from "../field-path.ts";
import type { CountingRule } from "../tenant-config.ts";

/** The default rule: WAF blocks from AWS WAF, Azure WAF and Cloud Armor records. */
export const WAF_BLOCKS: CountingRule = {
  name: "waf-blocks",
  fields: ["action", "properties.action", "jsonPayload.enforcedSecurityPolicy.outcome"],
  values: ["BLOCK", "BLOCKED", "DENY"],
};
export const DEFAULT_COUNTING_RULES: readonly CountingRule[] = [WAF_BLOCKS];

/** Where latency is looked for after any configured paths. */
export const DEFAULT_LATENCY_FIELDS = ["latency_ms", "properties.latency_ms", "jsonPayload.latency_ms", "httpRequest.latency"] as const;

/** A rule with its values upper-cased once. */
export interface CompiledCountingRule {
  name: string;
  fields: readonly string[];
  values: ReadonlySet<string>;
}

export function compileCountingRules(rules: readonly CountingRule[] | undefined): CompiledCountingRule[] {
  return (rules ?? DEFAULT_COUNTING_RULES).map((r) => ({ name: r.name, fields: r.fields, values: new Set(r.values.map((v) => v.toUpperCase())) }));
}

/** Whether a record counts for a rule: the first of its fields that is present decides. */
export function countsFor(record: Record<string, unknown>, rule: CompiledCountingRule): boolean {
  for (const f of rule.fields) {
    const v = valueAt(record, f);
    if (v === undefined || v === null) continue;
    return (typeof v === "string" || typeof v === "number" || typeof v === "boolean") && rule.values.has(String(v).toUpperCase());
  }
  return false;
}

/** Duration strings as Google Cloud writes them ("0.350s"), and plain "ms"-suffixed numbers. */
const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(s|ms)\s*$/;

/**
 * Latency in milliseconds from the first of `fields` that holds a usable value: a number
 * (taken as ms), a numeric string, or a duration string ("0.350s" = 350 ms). Negative,
 * non-finite or absurd (> 1 day) values are ignored, not counted as latency.
 */
export function latencyOf(record: Record<string, unknown>, fields: readonly string[]): number | undefined {
  for (const f of fields) {
    const v = valueAt(record, f);
    const ms = toMs(v);
    if (ms !== undefined) return ms;
  }
  return undefined;
}

const MAX_LATENCY_MS = 86_400_000;

function toMs(v: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof v === "number") ms = v;
  else if (typeof v === "string" && v.length <= 32) {
    const m = DURATION_RE.exec(v);
    if (m) ms = m[2] === "s" ? Number(m[1]) * 1000 : Number(m[1]);
    else if (/^\s*\d+(\.\d+)?\s*$/.test(v)) ms = Number(v);
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > MAX_LATENCY_MS) return undefined;
  // Sub-microsecond digits are noise; rounding keeps stored digests small and exact values stable.
  return Math.round(ms * 1000) / 1000;
}
