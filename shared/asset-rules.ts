/**
 * The part of a tenant's config an AssetLog acts on (alert rules, counting-rule names,
 * forwarding, summary retention), resolved at the edge and carried by each append.
 * Secrets stay references: the DO reads the named Worker secret when it sends.
 */
import { DEFAULT_COUNTING_RULES } from "./aggregates/counting-rules.ts";
import { defaultRetention, type ConfigVars } from "./config.ts";
import type { Incident } from "./incident.ts";
import type { AlertRule, EvidenceStoreConfig, ExportDestination, TenantConfig } from "./tenant-config.ts";

export interface ForwardingConfig {
  mode: "http" | "off";
  fixops_url?: string;
  api_key_secret_ref?: string;
  interval_seconds: number;
  /** The counting rules the summary reports (zero counts included). */
  counting_rules: string[];
}

/** Where alert openings are POSTed, signed with HMAC-SHA256 by the named secret. */
export interface AlertWebhook {
  url: string;
  secret_ref: string;
}

export interface AssetRules {
  alert_rules: AlertRule[];
  alert_webhook: AlertWebhook | null;
  /** Names of the counting rules the ops-telemetry summary reports. */
  counting_rules: string[];
  forwarding: ForwardingConfig | null;
  /** Rollups are kept this many days (retention_days.summary). */
  summary_days: number;
  /** Spill lines leaving the ring buffer to the store as raw segments (docs/retention.md). */
  raw_spill: boolean;
  /** The tenant's evidence store (null: R2), secrets by name only: where raw segments go. */
  store: EvidenceStoreConfig | null;
  /** Export destinations (docs/exports.md), secrets by name only. */
  exports: ExportDestination[];
  /** The tenant's current or most recent incident (shared/incident.ts); absent or null: none. */
  incident?: Incident | null;
}

export const DEFAULT_FORWARD_INTERVAL_SECONDS = 60;

const cache = new WeakMap<object, AssetRules>();

/** Resolved once per config object (configs are cached per isolate with the credential). */
export function assetRules(vars: ConfigVars, config: TenantConfig | undefined): AssetRules {
  const hit = config && cache.get(config);
  if (hit) return hit;
  const counting = (config?.counting_rules ?? DEFAULT_COUNTING_RULES).map((r) => r.name);
  const f = config?.forwarding;
  const rules: AssetRules = {
    alert_rules: config?.alert_rules ?? [],
    alert_webhook: config?.alert_webhook ?? null,
    counting_rules: counting,
    forwarding: f
      ? {
          mode: f.mode,
          ...(f.fixops_url !== undefined ? { fixops_url: f.fixops_url } : {}),
          ...(f.api_key_secret_ref !== undefined ? { api_key_secret_ref: f.api_key_secret_ref } : {}),
          interval_seconds: f.interval_seconds ?? DEFAULT_FORWARD_INTERVAL_SECONDS,
          counting_rules: counting,
        }
      : null,
    summary_days: config?.retention_days?.summary ?? defaultRetention(vars).summary,
    raw_spill: config?.raw_spill === true,
    store: config?.evidence_store ?? null,
    exports: config?.exports ?? [],
    incident: config?.incident ?? null,
  };
  if (config) cache.set(config, rules);
  return rules;
}
