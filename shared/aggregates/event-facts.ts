/**
 * What the AssetLog needs to know about each event beyond its stored line, computed at the
 * edge (CPU there scales out; the DO is the single writer): normalised level, latency,
 * counting-rule matches, and the stateless part of every alert rule (the DO keeps windows,
 * cooldowns and records).
 */
import { RE2JS } from "re2js";
import { valueAt } from "../field-path.ts";
import type { Level } from "../levels.ts";
import { ALERT_KEY_MAX, ALERT_PATTERN_INPUT_MAX } from "../limits.ts";
import type { TelemetryEvent } from "../events.ts";
import type { AlertRule, TenantConfig } from "../tenant-config.ts";
import { compileCountingRules, countsFor, DEFAULT_LATENCY_FIELDS, latencyOf, type CompiledCountingRule } from "./counting-rules.ts";

/** One alert rule's stateless verdict on one event. */
export interface AlertHit {
  rule: string;
  /** burst: the key's value; threshold: the field's value as text. */
  key?: string;
  /** threshold: the value compared. */
  value?: number;
}

export interface EventFacts {
  level?: Level;
  latency_ms?: number;
  /** Names of the counting rules this event counts for. */
  counts?: string[];
  hits?: AlertHit[];
}

export interface CompiledRules {
  counting: CompiledCountingRule[];
  latencyFields: readonly string[];
  /** Patterns compiled by RE2JS: linear-time matching, so no event can make a rule backtrack for long. */
  alerts: { rule: AlertRule; re?: RE2JS; where?: Set<string>; levels?: Set<string> }[];
}

const compiled = new WeakMap<object, CompiledRules>();
const DEFAULT_KEY = {};

/** The rules of a tenant config, compiled once per config object (configs are cached per isolate). */
export function compileRules(config: TenantConfig | undefined): CompiledRules {
  const key = config ?? DEFAULT_KEY;
  let c = compiled.get(key);
  if (!c) {
    c = {
      counting: compileCountingRules(config?.counting_rules),
      latencyFields: [...(config?.latency_fields ?? []), ...DEFAULT_LATENCY_FIELDS],
      alerts: (config?.alert_rules ?? []).map((rule) => ({
        rule,
        ...(rule.pattern !== undefined ? { re: RE2JS.compile(rule.pattern) } : {}),
        ...(rule.where ? { where: new Set(rule.where.values.map((v) => v.toUpperCase())) } : {}),
        ...(rule.levels ? { levels: new Set(rule.levels) } : {}),
      })),
    };
    compiled.set(key, c);
  }
  return c;
}

export function factsOf(ev: TelemetryEvent, rules: CompiledRules): EventFacts {
  const facts: EventFacts = {};
  if (ev.level) facts.level = ev.level as Level;
  const latency = latencyOf(ev.record, rules.latencyFields);
  if (latency !== undefined) facts.latency_ms = latency;
  const counts = rules.counting.filter((r) => countsFor(ev.record, r)).map((r) => r.name);
  if (counts.length) facts.counts = counts;
  const hits: AlertHit[] = [];
  for (const a of rules.alerts) {
    const hit = hitOf(ev, a, facts);
    if (hit) hits.push(hit);
  }
  if (hits.length) facts.hits = hits;
  return facts;
}

function hitOf(ev: TelemetryEvent, a: CompiledRules["alerts"][number], facts: EventFacts): AlertHit | undefined {
  const { rule } = a;
  switch (rule.type) {
    case "threshold": {
      const v = valueAt(ev.record, rule.field!);
      const n = typeof v === "number" ? v : typeof v === "string" && v.length <= 32 && v.trim() !== "" ? Number(v) : NaN;
      return Number.isFinite(n) && n > rule.above! ? { rule: rule.name, value: n } : undefined;
    }
    case "pattern": {
      const text = rule.field ? scalarText(valueAt(ev.record, rule.field)) : messageOf(ev);
      return text !== undefined && a.re!.matcher(text.slice(0, ALERT_PATTERN_INPUT_MAX)).find() ? { rule: rule.name } : undefined;
    }
    case "level":
      return facts.level !== undefined && a.levels!.has(facts.level) ? { rule: rule.name } : undefined;
    case "count": {
      const counted = rule.counting_rule ?? "waf-blocks";
      return facts.counts?.includes(counted) ? { rule: rule.name } : undefined;
    }
    case "burst": {
      if (rule.where) {
        const w = scalarText(valueAt(ev.record, rule.where.field));
        if (w === undefined || !a.where!.has(w.toUpperCase())) return undefined;
      }
      const key = scalarText(valueAt(ev.record, rule.key_field!));
      return key === undefined ? undefined : { rule: rule.name, key: key.slice(0, ALERT_KEY_MAX) };
    }
    case "error_rate":
      // Needs every event's level, which facts carry anyway: evaluated in the DO.
      return undefined;
  }
}

/** The message text a pattern rule reads: the connector's message, else common record fields. */
export function messageOf(ev: TelemetryEvent): string | undefined {
  if (ev.message !== undefined) return ev.message;
  for (const f of ["message", "msg", "log", "textPayload"]) {
    const v = ev.record[f];
    if (typeof v === "string") return v;
  }
  return undefined;
}

function scalarText(v: unknown): string | undefined {
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
}
