/** Deployment defaults (wrangler vars), and the effective values once a tenant's config applies. */
import { DEFAULT_RING_MAX_LINES, DEFAULT_RING_MAX_SECONDS } from "./limits.ts";
import type { Quotas, TenantConfig } from "./tenant-config.ts";

export { decodeTenantConfig, type TenantConfig } from "./tenant-config.ts";

/** Ring buffer bounds of one asset: count and age (by receive time). */
export interface RingConfig {
  max_lines: number;
  max_seconds: number;
  /**
   * Internal, never configured: the window does not start below this seq. Incident mode sets it
   * when it raises the bounds, so lines already evicted do not come back (evictions stay monotonic).
   */
  floor_seq?: number;
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
  QUOTA_REQUESTS_PER_MINUTE?: string;
  QUOTA_EVENTS_PER_MINUTE?: string;
  QUOTA_KEY_REQUESTS_PER_MINUTE?: string;
  QUOTA_ASSET_EVENTS_PER_SECOND?: string;
  /** Build identity for GET /v1/version, set at deploy time with `--var` (docs/deploy.md). */
  GIT_SHA?: string;
  BUILD_TIME?: string;
  /** "true": GET /metrics answers without credentials, with tenant-free series only (docs/metrics.md). */
  METRICS_PUBLIC?: string;
  /** "true" lets evidence store endpoints be http or private hosts: local development and tests only. */
  ALLOW_INSECURE_STORE_ENDPOINTS?: string;
  /** "true" lets POST /v1/admin/retention/run take `?now=` (time travel): local development and tests only. */
  RETENTION_TEST_CLOCK?: string;
}

function intVar(v: string | undefined, fallback: number, min = 1): number {
  const n = v === undefined ? NaN : Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : fallback;
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

/** Effective retention for a tenant: its `retention_days`, class by class, else the deployment's. */
export function effectiveRetention(vars: ConfigVars, tenant: TenantConfig | undefined): RetentionDays {
  return { ...defaultRetention(vars), ...tenant?.retention_days };
}

/** Effective ring bounds for a tenant. */
export function effectiveRing(vars: ConfigVars, tenant: TenantConfig | undefined): RingConfig {
  return { ...defaultRing(vars), ...tenant?.ring_buffer };
}

/** Effective ingest quotas for a tenant (0 = unlimited; the vars default to unlimited when unset). */
export function effectiveQuotas(vars: ConfigVars, tenant: TenantConfig | undefined): Quotas {
  return {
    requests_per_minute: intVar(vars.QUOTA_REQUESTS_PER_MINUTE, 0, 0),
    events_per_minute: intVar(vars.QUOTA_EVENTS_PER_MINUTE, 0, 0),
    key_requests_per_minute: intVar(vars.QUOTA_KEY_REQUESTS_PER_MINUTE, 0, 0),
    asset_events_per_second: intVar(vars.QUOTA_ASSET_EVENTS_PER_SECOND, 0, 0),
    ...tenant?.quotas,
  };
}
