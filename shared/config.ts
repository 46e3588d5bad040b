/** Deployment defaults (wrangler vars) and per-tenant configuration, with validation. */
import {
  DEFAULT_RING_MAX_LINES, DEFAULT_RING_MAX_SECONDS, MAX_RING_MAX_LINES, MAX_RING_MAX_SECONDS,
} from "./limits.ts";
import type { FieldIssue } from "./problem.ts";
import { err, ok, type Result } from "./result.ts";

/** Ring buffer bounds of one asset: count and age (by receive time). */
export interface RingConfig {
  max_lines: number;
  max_seconds: number;
}

export interface RetentionDays {
  raw: number;
  summary: number;
  evidence: number;
}

/** Per-tenant overrides kept in the Tenant DO; absent keys fall back to deployment defaults. */
export interface TenantConfig {
  ring_buffer?: Partial<RingConfig>;
  retention_days?: Partial<RetentionDays>;
}

/** The wrangler vars the bridge reads (strings, as wrangler passes them). */
export interface ConfigVars {
  RING_BUFFER_MAX_LINES?: string;
  RING_BUFFER_MAX_SECONDS?: string;
  RETENTION_DAYS_RAW?: string;
  RETENTION_DAYS_SUMMARY?: string;
  RETENTION_DAYS_EVIDENCE?: string;
}

function intVar(v: string | undefined, fallback: number): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function defaultRing(vars: ConfigVars): RingConfig {
  return {
    max_lines: intVar(vars.RING_BUFFER_MAX_LINES, DEFAULT_RING_MAX_LINES),
    max_seconds: intVar(vars.RING_BUFFER_MAX_SECONDS, DEFAULT_RING_MAX_SECONDS),
  };
}

export function defaultRetention(vars: ConfigVars): RetentionDays {
  return {
    raw: intVar(vars.RETENTION_DAYS_RAW, 7),
    summary: intVar(vars.RETENTION_DAYS_SUMMARY, 30),
    evidence: intVar(vars.RETENTION_DAYS_EVIDENCE, 365),
  };
}

/** Effective ring bounds for a tenant. */
export function effectiveRing(vars: ConfigVars, tenant: TenantConfig | undefined): RingConfig {
  return { ...defaultRing(vars), ...tenant?.ring_buffer };
}

const BOUNDS = {
  ring_buffer: { max_lines: MAX_RING_MAX_LINES, max_seconds: MAX_RING_MAX_SECONDS },
  retention_days: { raw: 3650, summary: 3650, evidence: 36500 },
} as const;

/** Validate a tenant config document; builds a new value with known keys only. */
export function decodeTenantConfig(u: unknown): Result<TenantConfig, FieldIssue[]> {
  if (typeof u !== "object" || u === null || Array.isArray(u)) {
    return err([{ pointer: "", detail: "config must be a JSON object" }]);
  }
  const issues: FieldIssue[] = [];
  const out: TenantConfig = {};
  const input = u as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(BOUNDS, key)) issues.push({ pointer: `/${key}`, detail: "unknown configuration key" });
  }
  for (const [section, fields] of Object.entries(BOUNDS) as [keyof typeof BOUNDS, Record<string, number>][]) {
    const v = input[section];
    if (v === undefined) continue;
    if (typeof v !== "object" || v === null || Array.isArray(v)) {
      issues.push({ pointer: `/${section}`, detail: "must be an object" });
      continue;
    }
    const sec: Record<string, number> = {};
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
      const max = Object.hasOwn(fields, k) ? fields[k] : undefined;
      if (max === undefined) {
        issues.push({ pointer: `/${section}/${k}`, detail: "unknown configuration key" });
      } else if (typeof val !== "number" || !Number.isSafeInteger(val) || val < 1 || val > max) {
        issues.push({ pointer: `/${section}/${k}`, detail: `must be an integer from 1 to ${max}` });
      } else {
        sec[k] = val;
      }
    }
    (out as Record<string, unknown>)[section] = sec;
  }
  return issues.length ? err(issues) : ok(out);
}
