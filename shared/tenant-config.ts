/**
 * Per-tenant configuration kept in the Tenant DO (docs/admin.md has the reference).
 * Every key is optional; absent ones fall back to deployment defaults (wrangler vars).
 * Secrets are never stored here: S3, Azure and FixOps credentials are named by the
 * Worker secret that holds them.
 */
import type { Incident } from "./incident.ts";
import { RE2JS } from "re2js";
import { LEVELS } from "./levels.ts";
import { decodeEnrichmentConfig, type EnrichmentConfig } from "./enrichment/config.ts";
import { decodeRedactionProfile, type RedactionProfile } from "./redaction/profile.ts";
import { ALERT_MAX_MIN_COUNT, ALERT_PATTERN_MAX, DEFAULT_ALERT_COOLDOWN_SECONDS, MAX_RING_MAX_LINES, MAX_RING_MAX_SECONDS } from "./limits.ts";
import type { FieldIssue } from "./problem.ts";
import { err, ok, type Result } from "./result.ts";
import { isScope, type Scope } from "./scopes.ts";
import {
  array, boolean, fieldPath, httpsUrl, integer, Issues, object, oneOf, onlyKeys, secretRef, string,
} from "./validate.ts";

export type EvidenceStoreConfig =
  | { provider: "r2" }
  | {
      provider: "s3"; endpoint: string; region: string; bucket: string; path_style: boolean;
      access_key_id_ref: string; secret_access_key_ref: string;
      object_lock?: { mode: "COMPLIANCE" | "GOVERNANCE"; retain_days: number };
      /** false for stores that ignore If-None-Match: * (create-only writes then check with HEAD first). */
      conditional_writes?: boolean;
    }
  | { provider: "azure-blob"; container_url: string; sas_token_ref: string };

export interface CountingRule {
  name: string;
  /** Dot paths looked up in each record; the first present one is compared. */
  fields: string[];
  /** Values that count, compared case-insensitively. */
  values: string[];
}

export const ALERT_RULE_TYPES = ["count", "threshold", "error_rate", "pattern", "level", "burst"] as const;
export const ALERT_SEVERITIES = ["info", "low", "medium", "high", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];
/** One alert rule (docs/alerts.md has the semantics of each type). */
export interface AlertRule {
  name: string;
  type: (typeof ALERT_RULE_TYPES)[number];
  severity: AlertSeverity;
  cooldown_seconds: number;
  /** threshold: the numeric field compared; pattern: the field matched (default: the message). */
  field?: string;
  above?: number;
  pattern?: string;
  levels?: string[];
  /** count, burst, error_rate (count mode): events needed inside the window. */
  min_count?: number;
  window_seconds?: number;
  /** error_rate ratio mode: error share that fires, with at least min_samples events in the window. */
  ratio?: number;
  min_samples?: number;
  /** error_rate hysteresis: fires again only after the count (or ratio) fell below this. */
  clear_below?: number;
  /** count: the counting rule whose matches are counted. */
  counting_rule?: string;
  /** burst: the field whose value keys separate windows (e.g. the source IP). */
  key_field?: string;
  /** burst: only events whose field has one of these values (case-insensitive) count. */
  where?: { field: string; values: string[] };
}

export const EXPORT_TYPES = ["splunk_hec", "elasticsearch"] as const;
/** One export destination: events are sent in batches as they are stored; the credential by secret name. */
export interface ExportDestination {
  name: string;
  type: (typeof EXPORT_TYPES)[number];
  /** Splunk: the HEC endpoint (…/services/collector/event); Elasticsearch: the _bulk URL (…/_bulk or …/<index>/_bulk). */
  url: string;
  /** Splunk: the HEC token; Elasticsearch: an API key (sent as `ApiKey <value>`). */
  token_ref: string;
  /** Splunk index, or the Elasticsearch index each document goes to. */
  index?: string;
  /** Events per request (default 500). */
  batch_events?: number;
}

/** A public JWK as stored (JWK members are strings, string arrays, booleans or numbers). */
export type PublicJwk = { [member: string]: string | number | boolean | string[] };

export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];
export interface JwtIssuer {
  issuer: string;
  audience: string;
  /** Public keys as a JWK set (tests, air-gapped), or a URL to fetch them from (production). */
  jwks?: { keys: PublicJwk[] };
  jwks_url?: string;
  algorithms: JwtAlgorithm[];
  /** Claim holding the token's scopes: a space-separated string or an array. */
  scope_claim: string;
  /** Claim value -> bridge scopes. Without a map, claim values that are bridge scopes are used as is. */
  scope_map?: Record<string, Scope[]>;
  default_scopes: Scope[];
  /** Claims that must have exactly these values, e.g. a Pub/Sub push service account's `email`. */
  required_claims?: Record<string, string | boolean>;
}

/** Ingest quotas; 0 means unlimited. */
export interface Quotas {
  requests_per_minute: number;
  events_per_minute: number;
  key_requests_per_minute: number;
  asset_events_per_second: number;
}

export interface TenantConfig {
  ring_buffer?: { max_lines?: number; max_seconds?: number };
  retention_days?: { raw?: number; summary?: number; evidence?: number };
  evidence_store?: EvidenceStoreConfig;
  forwarding?: { mode: "http" | "off"; fixops_url?: string; api_key_secret_ref?: string; interval_seconds?: number };
  /** Continuous export of stored events to Splunk HEC or Elasticsearch (docs/exports.md). */
  exports?: ExportDestination[];
  counting_rules?: CountingRule[];
  latency_fields?: string[];
  alert_rules?: AlertRule[];
  /** Spill lines leaving the ring buffer to the evidence store as raw segments, kept retention_days.raw. */
  raw_spill?: boolean;
  /** Alert openings are POSTed here, signed with the secret the ref names (docs/alerts.md). */
  alert_webhook?: { url: string; secret_ref: string };
  asset_mapping?: { record_field?: string; aliases?: Record<string, string> };
  quotas?: Partial<Quotas>;
  jwt?: { issuers: JwtIssuer[] };
  /** ASN, threat-intel and sender-geo enrichment at ingest (docs/enrichment-and-redaction.md). */
  enrichment?: EnrichmentConfig;
  /** The redaction profile applied at ingest before anything is stored (docs/enrichment-and-redaction.md). */
  redaction?: RedactionProfile;
  /**
   * Set by the incident API, never by PUT config (not in TOP_KEYS): the tenant's current or most
   * recent incident, merged in by the Tenant object for the edge (docs/incident-mode.md).
   */
  incident?: Incident;
}

export const TOP_KEYS = [
  "ring_buffer", "retention_days", "evidence_store", "forwarding", "exports", "counting_rules", "latency_fields",
  "alert_rules", "alert_webhook", "raw_spill", "asset_mapping", "quotas", "jwt", "enrichment", "redaction",
] as const;
const NAME = { max: 64, re: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, what: "a name of 1-64 [A-Za-z0-9._-]" };
const ASSET = { max: 128, re: /^[A-Za-z0-9._:/@-]+$/, what: "an asset id (1-128 of [A-Za-z0-9._:/@-])" };

/** Copy the integer fields of a section that are present. */
function ints(o: Record<string, unknown>, at: string, bounds: Record<string, [number, number]>, issues: Issues): Record<string, number> {
  onlyKeys(o, Object.keys(bounds), at, issues);
  const out: Record<string, number> = {};
  for (const [k, [min, max]] of Object.entries(bounds)) {
    if (o[k] === undefined) continue;
    const v = integer(o[k], `${at}/${k}`, min, max, issues);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function strings(v: unknown, at: string, max: number, issues: Issues, each: (x: unknown, at: string) => string | undefined): string[] {
  return (array(v, at, max, issues) ?? []).map((x, i) => each(x, `${at}/${i}`)).filter((x): x is string => x !== undefined);
}

function scopes(v: unknown, at: string, issues: Issues): Scope[] {
  const list = array(v, at, 5, issues) ?? [];
  list.forEach((s, i) => { if (!isScope(s)) issues.add(`${at}/${i}`, "not a scope"); });
  return list.filter(isScope);
}

function evidenceStore(v: unknown, at: string, issues: Issues): EvidenceStoreConfig | undefined {
  const o = object(v, at, issues);
  if (!o) return undefined;
  const provider = oneOf(o.provider, ["r2", "s3", "azure-blob"] as const, `${at}/provider`, issues);
  if (provider === "r2") {
    onlyKeys(o, ["provider"], at, issues);
    return { provider };
  }
  if (provider === "azure-blob") {
    onlyKeys(o, ["provider", "container_url", "sas_token_ref"], at, issues);
    const container_url = httpsUrl(o.container_url, `${at}/container_url`, issues);
    const sas_token_ref = secretRef(o.sas_token_ref, `${at}/sas_token_ref`, issues);
    return container_url && sas_token_ref ? { provider, container_url, sas_token_ref } : undefined;
  }
  if (provider !== "s3") return undefined;
  onlyKeys(o, ["provider", "endpoint", "region", "bucket", "path_style", "access_key_id_ref", "secret_access_key_ref", "object_lock", "conditional_writes"], at, issues);
  const endpoint = httpsUrl(o.endpoint, `${at}/endpoint`, issues);
  const region = string(o.region, `${at}/region`, issues, { max: 64, re: /^[a-z0-9-]+$/, what: "a region such as us-east-1 or auto" });
  const bucket = string(o.bucket, `${at}/bucket`, issues, { max: 63, re: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, what: "an S3 bucket name" });
  const path_style = o.path_style === undefined ? false : boolean(o.path_style, `${at}/path_style`, issues);
  const access_key_id_ref = secretRef(o.access_key_id_ref, `${at}/access_key_id_ref`, issues);
  const secret_access_key_ref = secretRef(o.secret_access_key_ref, `${at}/secret_access_key_ref`, issues);
  let object_lock: { mode: "COMPLIANCE" | "GOVERNANCE"; retain_days: number } | undefined;
  if (o.object_lock !== undefined) {
    const l = object(o.object_lock, `${at}/object_lock`, issues);
    if (l) {
      onlyKeys(l, ["mode", "retain_days"], `${at}/object_lock`, issues);
      const mode = oneOf(l.mode, ["COMPLIANCE", "GOVERNANCE"] as const, `${at}/object_lock/mode`, issues);
      const retain_days = integer(l.retain_days, `${at}/object_lock/retain_days`, 1, 36_500, issues);
      if (mode && retain_days) object_lock = { mode, retain_days };
    }
  }
  const conditional_writes = o.conditional_writes === undefined ? undefined : boolean(o.conditional_writes, `${at}/conditional_writes`, issues);
  if (!endpoint || !region || !bucket || path_style === undefined || !access_key_id_ref || !secret_access_key_ref) return undefined;
  return {
    provider, endpoint, region, bucket, path_style, access_key_id_ref, secret_access_key_ref,
    ...(object_lock ? { object_lock } : {}), ...(conditional_writes === false ? { conditional_writes } : {}),
  };
}

function forwarding(v: unknown, at: string, issues: Issues): TenantConfig["forwarding"] {
  const o = object(v, at, issues);
  if (!o) return undefined;
  onlyKeys(o, ["mode", "fixops_url", "api_key_secret_ref", "interval_seconds"], at, issues);
  const mode = oneOf(o.mode, ["http", "off"] as const, `${at}/mode`, issues);
  if (!mode) return undefined;
  const out: NonNullable<TenantConfig["forwarding"]> = { mode };
  if (o.fixops_url !== undefined) out.fixops_url = httpsUrl(o.fixops_url, `${at}/fixops_url`, issues);
  else if (mode === "http") issues.add(`${at}/fixops_url`, "required when mode is http");
  if (o.api_key_secret_ref !== undefined) out.api_key_secret_ref = secretRef(o.api_key_secret_ref, `${at}/api_key_secret_ref`, issues);
  if (o.interval_seconds !== undefined) {
    // Summaries are merged from per-minute rollups, so intervals are whole minutes.
    const i = integer(o.interval_seconds, `${at}/interval_seconds`, 60, 3600, issues);
    if (i !== undefined && i % 60 !== 0) issues.add(`${at}/interval_seconds`, "must be a multiple of 60");
    else out.interval_seconds = i;
  }
  return out;
}

function exportDestinations(v: unknown, at: string, issues: Issues): ExportDestination[] {
  const names = new Set<string>();
  return (array(v, at, 5, issues) ?? []).flatMap((d, i) => {
    const p = `${at}/${i}`;
    const o = object(d, p, issues);
    if (!o) return [];
    onlyKeys(o, ["name", "type", "url", "token_ref", "index", "batch_events"], p, issues);
    const name = string(o.name, `${p}/name`, issues, NAME);
    const type = oneOf(o.type, EXPORT_TYPES, `${p}/type`, issues);
    const url = httpsUrl(o.url, `${p}/url`, issues);
    const token_ref = secretRef(o.token_ref, `${p}/token_ref`, issues);
    if (name && names.has(name)) issues.add(`${p}/name`, "another export has this name");
    if (name) names.add(name);
    const out: Partial<ExportDestination> = { name, type, url, token_ref };
    if (o.index !== undefined) out.index = string(o.index, `${p}/index`, issues, { max: 128, re: /^[a-z0-9][a-z0-9._-]*$/, what: "an index name of lowercase [a-z0-9._-]" });
    if (o.batch_events !== undefined) out.batch_events = integer(o.batch_events, `${p}/batch_events`, 1, 1000, issues);
    return name && type && url && token_ref ? [out as ExportDestination] : [];
  });
}

function countingRules(v: unknown, at: string, issues: Issues): CountingRule[] {
  return (array(v, at, 50, issues) ?? []).flatMap((r, i) => {
    const o = object(r, `${at}/${i}`, issues);
    if (!o) return [];
    onlyKeys(o, ["name", "fields", "values"], `${at}/${i}`, issues);
    const name = string(o.name, `${at}/${i}/name`, issues, NAME);
    const fields = strings(o.fields, `${at}/${i}/fields`, 20, issues, (x, p) => fieldPath(x, p, issues));
    const values = strings(o.values, `${at}/${i}/values`, 50, issues, (x, p) => string(x, p, issues, { max: 256 }));
    return name && fields.length && values.length ? [{ name, fields, values }] : [];
  });
}

function alertRules(v: unknown, at: string, issues: Issues): AlertRule[] {
  const names = new Set<string>();
  return (array(v, at, 50, issues) ?? []).flatMap((r, i) => {
    const p = `${at}/${i}`;
    const o = object(r, p, issues);
    if (!o) return [];
    onlyKeys(o, [
      "name", "type", "severity", "cooldown_seconds", "field", "above", "pattern", "levels", "min_count", "window_seconds",
      "ratio", "min_samples", "clear_below", "counting_rule", "key_field", "where",
    ], p, issues);
    const name = string(o.name, `${p}/name`, issues, NAME);
    const type = oneOf(o.type, ALERT_RULE_TYPES, `${p}/type`, issues);
    if (!name || !type) return [];
    if (names.has(name)) issues.add(`${p}/name`, "another alert rule has this name");
    names.add(name);
    const severity = o.severity === undefined ? "medium" : oneOf(o.severity, ALERT_SEVERITIES, `${p}/severity`, issues) ?? "medium";
    const cooldown = o.cooldown_seconds === undefined ? DEFAULT_ALERT_COOLDOWN_SECONDS : integer(o.cooldown_seconds, `${p}/cooldown_seconds`, 0, 86_400, issues) ?? 0;
    const rule: AlertRule = { name, type, severity, cooldown_seconds: cooldown };
    if (o.field !== undefined) rule.field = fieldPath(o.field, `${p}/field`, issues);
    if (o.above !== undefined) rule.above = finite(o.above, `${p}/above`, issues);
    if (o.pattern !== undefined) {
      const pattern = string(o.pattern, `${p}/pattern`, issues, { max: ALERT_PATTERN_MAX });
      if (pattern !== undefined) {
        const why = unsafePattern(pattern);
        if (why) issues.add(`${p}/pattern`, why);
        else rule.pattern = pattern;
      }
    }
    if (o.levels !== undefined) {
      rule.levels = strings(o.levels, `${p}/levels`, 5, issues, (x, q) => oneOf(x, LEVELS, q, issues));
    }
    if (o.min_count !== undefined) rule.min_count = integer(o.min_count, `${p}/min_count`, 1, ALERT_MAX_MIN_COUNT, issues);
    if (o.window_seconds !== undefined) rule.window_seconds = integer(o.window_seconds, `${p}/window_seconds`, 1, 86_400, issues);
    if (o.ratio !== undefined) {
      const ratio = finite(o.ratio, `${p}/ratio`, issues);
      if (ratio !== undefined && (ratio <= 0 || ratio > 1)) issues.add(`${p}/ratio`, "must be a number in (0, 1]");
      else rule.ratio = ratio;
    }
    if (o.min_samples !== undefined) rule.min_samples = integer(o.min_samples, `${p}/min_samples`, 1, 1_000_000, issues);
    if (o.clear_below !== undefined) {
      const c = finite(o.clear_below, `${p}/clear_below`, issues);
      if (c !== undefined && c < 0) issues.add(`${p}/clear_below`, "must be >= 0");
      else rule.clear_below = c;
    }
    if (o.counting_rule !== undefined) rule.counting_rule = string(o.counting_rule, `${p}/counting_rule`, issues, NAME);
    if (o.key_field !== undefined) rule.key_field = fieldPath(o.key_field, `${p}/key_field`, issues);
    if (o.where !== undefined) {
      const w = object(o.where, `${p}/where`, issues);
      if (w) {
        onlyKeys(w, ["field", "values"], `${p}/where`, issues);
        const field = fieldPath(w.field, `${p}/where/field`, issues);
        const values = strings(w.values, `${p}/where/values`, 50, issues, (x, q) => string(x, q, issues, { max: 256 }));
        if (field && values.length) rule.where = { field, values };
      }
    }
    const needs: Record<AlertRule["type"], (keyof AlertRule)[]> = {
      count: ["min_count", "window_seconds"], threshold: ["field", "above"], error_rate: ["window_seconds"],
      pattern: ["pattern"], level: ["levels"], burst: ["key_field", "min_count", "window_seconds"],
    };
    for (const k of needs[type]) if (o[k] === undefined) issues.add(`${p}/${k}`, `required for ${type} rules`);
    if (type === "error_rate" && (o.min_count === undefined) === (o.ratio === undefined)) {
      issues.add(p, "error_rate rules give exactly one of min_count (count mode) and ratio (ratio mode)");
    }
    if (type === "error_rate" && o.ratio !== undefined && o.min_samples === undefined) issues.add(`${p}/min_samples`, "required with ratio");
    return [rule];
  });
}

function finite(v: unknown, at: string, issues: Issues): number | undefined {
  if (typeof v !== "number" || !Number.isFinite(v)) return issues.add(at, "must be a number");
  return v;
}

/**
 * Why a pattern is refused, or undefined. Patterns run on every event, so they are RE2 syntax,
 * matched by RE2JS in time linear in the input (no back-references or look-around, which RE2
 * cannot do in linear time); inputs are also capped at ALERT_PATTERN_INPUT_MAX characters.
 */
export function unsafePattern(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (e) {
    return `must be an RE2 regular expression (no back-references or look-around): ${String((e as Error).message).slice(0, 120)}`;
  }
}

function assetMapping(v: unknown, at: string, issues: Issues): TenantConfig["asset_mapping"] {
  const o = object(v, at, issues);
  if (!o) return undefined;
  onlyKeys(o, ["record_field", "aliases"], at, issues);
  const out: NonNullable<TenantConfig["asset_mapping"]> = {};
  if (o.record_field !== undefined) out.record_field = fieldPath(o.record_field, `${at}/record_field`, issues);
  if (o.aliases !== undefined) {
    const a = object(o.aliases, `${at}/aliases`, issues);
    if (a) {
      const entries = Object.entries(a);
      if (entries.length > 1000) issues.add(`${at}/aliases`, "at most 1000 aliases");
      out.aliases = {};
      for (const [from, to] of entries.slice(0, 1000)) {
        if (string(from, `${at}/aliases/${from}`, issues, ASSET) && string(to, `${at}/aliases/${from}`, issues, ASSET)) out.aliases[from] = to as string;
      }
    }
  }
  return out;
}

function jwt(v: unknown, at: string, issues: Issues): TenantConfig["jwt"] {
  const o = object(v, at, issues);
  if (!o) return undefined;
  onlyKeys(o, ["issuers"], at, issues);
  const issuers = (array(o.issuers, `${at}/issuers`, 10, issues) ?? []).flatMap((x, i): JwtIssuer[] => {
    const p = `${at}/issuers/${i}`;
    const e = object(x, p, issues);
    if (!e) return [];
    onlyKeys(e, ["issuer", "audience", "jwks", "jwks_url", "algorithms", "scope_claim", "scope_map", "default_scopes", "required_claims"], p, issues);
    const issuer = string(e.issuer, `${p}/issuer`, issues, { max: 512 });
    const audience = string(e.audience, `${p}/audience`, issues, { max: 512 });
    const out: Partial<JwtIssuer> = { issuer, audience };
    if ((e.jwks === undefined) === (e.jwks_url === undefined)) issues.add(p, "give exactly one of jwks and jwks_url");
    if (e.jwks !== undefined) {
      const set = object(e.jwks, `${p}/jwks`, issues);
      const keys = set ? array(set.keys, `${p}/jwks/keys`, 20, issues) : undefined;
      if (keys) {
        keys.forEach((k, j) => {
          const key = object(k, `${p}/jwks/keys/${j}`, issues);
          if (key && ("d" in key || "p" in key || "k" in key)) issues.add(`${p}/jwks/keys/${j}`, "must be a public key (no private or symmetric parts)");
          else if (key && typeof key.kty !== "string") issues.add(`${p}/jwks/keys/${j}/kty`, "required");
        });
        out.jwks = { keys: keys as PublicJwk[] };
      }
    }
    if (e.jwks_url !== undefined) out.jwks_url = httpsUrl(e.jwks_url, `${p}/jwks_url`, issues);
    out.algorithms = e.algorithms === undefined ? ["RS256", "ES256", "EdDSA"]
      : (array(e.algorithms, `${p}/algorithms`, JWT_ALGORITHMS.length, issues) ?? []).map((a, j) => oneOf(a, JWT_ALGORITHMS, `${p}/algorithms/${j}`, issues)).filter((a): a is JwtAlgorithm => a !== undefined);
    out.scope_claim = e.scope_claim === undefined ? "scope" : string(e.scope_claim, `${p}/scope_claim`, issues, { max: 64 });
    if (e.scope_map !== undefined) {
      const m = object(e.scope_map, `${p}/scope_map`, issues);
      if (m) out.scope_map = Object.fromEntries(Object.entries(m).slice(0, 50).map(([k, s]) => [k, scopes(s, `${p}/scope_map/${k}`, issues)]));
    }
    out.default_scopes = e.default_scopes === undefined ? [] : scopes(e.default_scopes, `${p}/default_scopes`, issues);
    if (e.required_claims !== undefined) {
      const rc = object(e.required_claims, `${p}/required_claims`, issues);
      if (rc) {
        out.required_claims = {};
        for (const [k, v] of Object.entries(rc).slice(0, 10)) {
          if (typeof v === "string" || typeof v === "boolean") out.required_claims[k] = v;
          else issues.add(`${p}/required_claims/${k}`, "must be a string or a boolean");
        }
      }
    }
    return issuer && audience ? [out as JwtIssuer] : [];
  });
  const seen = new Set<string>();
  issuers.forEach((i, n) => {
    const pair = JSON.stringify([i.issuer, i.audience]);
    if (seen.has(pair)) issues.add(`${at}/issuers/${n}`, "repeats the issuer and audience of an earlier entry");
    seen.add(pair);
  });
  return { issuers };
}

/** Validate a tenant config document; builds a new value with known keys only. */
export function decodeTenantConfig(u: unknown): Result<TenantConfig, FieldIssue[]> {
  const issues = new Issues();
  const input = object(u, "", issues);
  if (!input) return err(issues.list);
  onlyKeys(input, TOP_KEYS, "", issues);
  const out: TenantConfig = {};
  const has = (k: string) => Object.hasOwn(input, k) && input[k] !== undefined;
  if (has("ring_buffer")) {
    const o = object(input.ring_buffer, "/ring_buffer", issues);
    if (o) out.ring_buffer = ints(o, "/ring_buffer", { max_lines: [1, MAX_RING_MAX_LINES], max_seconds: [1, MAX_RING_MAX_SECONDS] }, issues);
  }
  if (has("retention_days")) {
    const o = object(input.retention_days, "/retention_days", issues);
    if (o) out.retention_days = ints(o, "/retention_days", { raw: [1, 3650], summary: [1, 3650], evidence: [1, 36_500] }, issues);
  }
  if (has("evidence_store")) out.evidence_store = evidenceStore(input.evidence_store, "/evidence_store", issues);
  if (has("forwarding")) out.forwarding = forwarding(input.forwarding, "/forwarding", issues);
  if (has("exports")) out.exports = exportDestinations(input.exports, "/exports", issues);
  if (has("counting_rules")) out.counting_rules = countingRules(input.counting_rules, "/counting_rules", issues);
  if (has("latency_fields")) out.latency_fields = strings(input.latency_fields, "/latency_fields", 20, issues, (x, p) => fieldPath(x, p, issues));
  if (has("alert_rules")) out.alert_rules = alertRules(input.alert_rules, "/alert_rules", issues);
  if (has("raw_spill")) out.raw_spill = boolean(input.raw_spill, "/raw_spill", issues);
  if (has("alert_webhook")) {
    const o = object(input.alert_webhook, "/alert_webhook", issues);
    if (o) {
      onlyKeys(o, ["url", "secret_ref"], "/alert_webhook", issues);
      const url = httpsUrl(o.url, "/alert_webhook/url", issues);
      const secret_ref = secretRef(o.secret_ref, "/alert_webhook/secret_ref", issues);
      if (url && secret_ref) out.alert_webhook = { url, secret_ref };
    }
  }
  if (has("asset_mapping")) out.asset_mapping = assetMapping(input.asset_mapping, "/asset_mapping", issues);
  if (has("quotas")) {
    const o = object(input.quotas, "/quotas", issues);
    if (o) {
      out.quotas = ints(o, "/quotas", {
        requests_per_minute: [0, 10_000_000], events_per_minute: [0, 1_000_000_000],
        key_requests_per_minute: [0, 10_000_000], asset_events_per_second: [0, 1_000_000],
      }, issues);
    }
  }
  if (has("jwt")) out.jwt = jwt(input.jwt, "/jwt", issues);
  if (has("enrichment")) out.enrichment = decodeEnrichmentConfig(input.enrichment, "/enrichment", issues);
  if (has("redaction")) out.redaction = decodeRedactionProfile(input.redaction, "/redaction", issues);
  return issues.list.length ? err(issues.list) : ok(out);
}
