/** Deployment defaults (wrangler vars), and the effective values once a tenant's config applies. */
import { DEFAULT_RING_MAX_LINES, DEFAULT_RING_MAX_SECONDS } from "./limits.ts";
import type { TenantConfig } from "./tenant-config.ts";

export { decodeTenantConfig, type TenantConfig } from "./tenant-config.ts";

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
