/**
 * Incident mode (docs/incident-mode.md): an admin toggle, per tenant or for listed assets, with a
 * TTL. While active it multiplies the affected assets' ring-buffer bounds and makes their
 * AssetLog seal a bundle every hour; it ends by itself at `until`.
 * Pure functions shared by the edge (validation) and the AssetLog (what applies now).
 */
import type { RingConfig } from "./config.ts";
import { MAX_RING_MAX_LINES, MAX_RING_MAX_SECONDS } from "./limits.ts";
import type { FieldIssue } from "./problem.ts";

export interface Incident {
  /** `inc_` + 16 hex; kept when an active incident is extended or changed. */
  id: string;
  reason: string;
  /** The actor who started it ("operator" or "key:<key id>"). */
  by: string;
  started_at: number;
  /** Epoch ms it ends by itself. */
  until: number;
  /** Set when ended early by DELETE (then also `until`). */
  ended_at?: number;
  ended_by?: string;
  /** Assets it applies to; null: every asset of the tenant. */
  assets: string[] | null;
  /** Ring-buffer bounds (lines and seconds) are multiplied by this, within the config maxima. */
  ring_factor: number;
  /** Changes with every update: an AssetLog keeps the newest version it has seen. */
  updated_at: number;
}

export const INCIDENT_DEFAULT_TTL_SECONDS = 30 * 60;
export const INCIDENT_MIN_TTL_SECONDS = 60;
export const INCIDENT_MAX_TTL_SECONDS = 7 * 86_400;
export const INCIDENT_DEFAULT_RING_FACTOR = 10;
export const INCIDENT_MAX_RING_FACTOR = 100;
export const INCIDENT_MAX_ASSETS = 100;
export const INCIDENT_REASON_MAX_CHARS = 500;
/** Bundles are sealed this often for each affected asset while the incident is active. */
export const INCIDENT_SEAL_INTERVAL_MS = 3_600_000;

const ASSET_RE = /^[A-Za-z0-9._:/@-]{1,128}$/;

export interface IncidentRequest {
  reason: string;
  ttl_seconds: number;
  assets: string[] | null;
  ring_factor: number;
}

/** Validate a POST body; every problem is reported with its JSON pointer. */
export function decodeIncidentRequest(body: Record<string, unknown>): { ok: true; value: IncidentRequest } | { ok: false; errors: FieldIssue[] } {
  const errors: FieldIssue[] = [];
  for (const k of Object.keys(body)) {
    if (!["reason", "ttl_seconds", "assets", "ring_factor"].includes(k)) errors.push({ pointer: `/${k}`, detail: "unknown field (allowed: reason, ttl_seconds, assets, ring_factor)" });
  }
  const reason = body.reason;
  if (typeof reason !== "string" || reason.trim().length === 0 || reason.length > INCIDENT_REASON_MAX_CHARS) {
    errors.push({ pointer: "/reason", detail: `required: why, a string of 1 to ${INCIDENT_REASON_MAX_CHARS} characters` });
  }
  const ttl = body.ttl_seconds ?? INCIDENT_DEFAULT_TTL_SECONDS;
  if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < INCIDENT_MIN_TTL_SECONDS || ttl > INCIDENT_MAX_TTL_SECONDS) {
    errors.push({ pointer: "/ttl_seconds", detail: `an integer from ${INCIDENT_MIN_TTL_SECONDS} to ${INCIDENT_MAX_TTL_SECONDS} (default ${INCIDENT_DEFAULT_TTL_SECONDS})` });
  }
  const factor = body.ring_factor ?? INCIDENT_DEFAULT_RING_FACTOR;
  if (typeof factor !== "number" || !Number.isInteger(factor) || factor < 1 || factor > INCIDENT_MAX_RING_FACTOR) {
    errors.push({ pointer: "/ring_factor", detail: `an integer from 1 to ${INCIDENT_MAX_RING_FACTOR} (default ${INCIDENT_DEFAULT_RING_FACTOR})` });
  }
  let assets: string[] | null = null;
  if (body.assets !== undefined && body.assets !== null) {
    if (!Array.isArray(body.assets) || body.assets.length === 0 || body.assets.length > INCIDENT_MAX_ASSETS) {
      errors.push({ pointer: "/assets", detail: `an array of 1 to ${INCIDENT_MAX_ASSETS} asset ids, or absent for every asset` });
    } else {
      body.assets.forEach((a, i) => {
        if (typeof a !== "string" || !ASSET_RE.test(a) || a === "." || a === "..") errors.push({ pointer: `/assets/${i}`, detail: "an asset id (1-128 of [A-Za-z0-9._:/@-])" });
      });
      assets = [...new Set(body.assets as string[])].sort();
    }
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { reason: (reason as string).trim(), ttl_seconds: ttl as number, assets, ring_factor: factor as number } };
}

/** Whether the incident is in force for `asset` at `now`. */
export function incidentActive(incident: Incident | null | undefined, asset: string, now: number): boolean {
  return !!incident && now < incident.until && (incident.assets === null || incident.assets.includes(asset));
}

/** The ring bounds that apply to `asset` at `now`: the tenant's, multiplied while an incident is active. */
export function incidentRing(base: RingConfig, incident: Incident | null | undefined, asset: string, now: number): RingConfig {
  return incident && incidentActive(incident, asset, now) ? raiseRing(base, incident.ring_factor) : base;
}

/** Bounds multiplied by `factor`, within the config maxima (never below the tenant's own). */
export function raiseRing(base: RingConfig, factor: number): RingConfig {
  if (factor === 1) return base;
  return {
    max_lines: Math.max(base.max_lines, Math.min(base.max_lines * factor, MAX_RING_MAX_LINES)),
    max_seconds: Math.max(base.max_seconds, Math.min(base.max_seconds * factor, MAX_RING_MAX_SECONDS)),
  };
}

/** Of two versions, the one to keep: edge caches may still carry an older one for a while. */
export function newerIncident(a: Incident | null | undefined, b: Incident | null | undefined): Incident | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.updated_at > a.updated_at ? b : a;
}

/** The predicate's record of the incident a bundle was sealed under (DESIGN section 6 extension). */
export function incidentPredicate(incident: Incident): { id: string; reason: string; by: string; started_at: string; until: string; ended_at?: string } {
  return {
    id: incident.id,
    reason: incident.reason,
    by: incident.by,
    started_at: new Date(incident.started_at).toISOString(),
    until: new Date(incident.until).toISOString(),
    ...(incident.ended_at !== undefined ? { ended_at: new Date(incident.ended_at).toISOString() } : {}),
  };
}

/** What the API answers: the predicate's record, plus who ended it, its scope, factor and whether it is in force. */
export function incidentView(incident: Incident, now: number) {
  return {
    ...incidentPredicate(incident),
    ...(incident.ended_at !== undefined ? { ended_by: incident.ended_by ?? null } : {}),
    assets: incident.assets,
    ring_factor: incident.ring_factor,
    active: now < incident.until,
  };
}
