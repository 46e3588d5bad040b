/**
 * Fan events out to their assets' AssetLog objects: canonicalise records here
 * (CPU at the stateless edge, not in the single-writer DO), group by asset, slice
 * each group to bounded RPC messages, call stubs with bounded concurrency, and
 * report per asset.
 */
import { compileRules, factsOf, type CompiledRules } from "../shared/aggregates/event-facts.ts";
import { assetRules } from "../shared/asset-rules.ts";
import type { RingConfig, TenantConfig } from "../shared/config.ts";
import { canonicalize } from "../shared/evidence/jcs.ts";
import { redactionProfileDigest } from "../shared/redaction/digest.ts";
import type { PreparedEvent, TelemetryEvent } from "../shared/events.ts";
import { packEvents } from "../shared/packed-events.ts";
import { APPEND_SLICE_MAX_BYTES, FANOUT_CONCURRENCY, MAX_ASSETS_PER_REQUEST, MAX_DECOMPRESSED_BYTES, MAX_RECORD_BYTES } from "../shared/limits.ts";
import type { FieldIssue } from "../shared/problem.ts";
import { utf8Length } from "../shared/utf8.ts";
import { assetObjectName, type Env } from "../durable-objects/env.ts";
import type { AssetRef } from "../durable-objects/asset-log/asset-log.ts";
import { ApiError } from "./api-error.ts";
import { log } from "./log.ts";

export interface AssetOutcome {
  asset: string;
  accepted: number;
  error?: "rate_limited" | "unavailable";
  /** With rate_limited: when the asset accepts events again. */
  retry_after_seconds?: number;
  /** Every slice was a redelivery of a batch already stored (nothing stored again). */
  duplicate?: boolean;
}

/** Canonicalise every record; reject the whole request if any is too large. */
export function prepare(events: TelemetryEvent[], rules: CompiledRules = compileRules(undefined)): Map<string, { events: PreparedEvent[]; bytes: number[] }> {
  const groups = new Map<string, { events: PreparedEvent[]; bytes: number[] }>();
  const issues: FieldIssue[] = [];
  let total = 0;
  events.forEach((ev, i) => {
    const recordJcs = canonicalize(ev.record);
    const bytes = utf8Length(recordJcs);
    // Records that share parts (OTLP resources) can serialise to far more than the body was.
    total += bytes;
    if (total > MAX_DECOMPRESSED_BYTES) {
      throw new ApiError("payload_too_large", `The records serialise to more than ${MAX_DECOMPRESSED_BYTES} bytes; nothing was stored.`);
    }
    if (bytes > MAX_RECORD_BYTES) {
      issues.push({ pointer: `/${i}`, detail: `record is ${bytes} bytes; the limit is ${MAX_RECORD_BYTES}` });
      return;
    }
    let g = groups.get(ev.asset);
    if (!g) {
      if (groups.size === MAX_ASSETS_PER_REQUEST) {
        throw new ApiError("payload_too_large", `Records name more than ${MAX_ASSETS_PER_REQUEST} assets; split the request.`, {
          errors: [{ pointer: `/${i}/asset`, detail: `asset number ${MAX_ASSETS_PER_REQUEST + 1} in this request` }],
        });
      }
      groups.set(ev.asset, (g = { events: [], bytes: [] }));
    }
    const prepared: PreparedEvent = { ts: ev.ts, source: ev.source, recordJcs, facts: factsOf(ev, rules) };
    if (ev.id !== undefined) prepared.id = ev.id;
    g.events.push(prepared);
    g.bytes.push(bytes);
  });
  if (issues.length) {
    throw new ApiError("payload_too_large", `${issues.length} record(s) exceed ${MAX_RECORD_BYTES} bytes; nothing was stored.`, { errors: issues.slice(0, 100) });
  }
  return groups;
}

/**
 * Append every asset's events. With a `dedupeKey` (the request's redelivery identity), each
 * asset's object drops a batch it has already stored, so a retried request stores nothing twice.
 */
export async function fanOut(
  env: Env, tenant: string, ring: RingConfig, eventsPerSecond: number, events: TelemetryEvent[], dedupeKey?: string, config?: TenantConfig,
): Promise<AssetOutcome[]> {
  const groups = [...prepare(events, compileRules(config))];
  const rules = assetRules(env, config);
  // The redaction profile these records went through: the asset names it in the predicates of bundles holding them.
  const digest = redactionProfileDigest(config);
  const outcomes: AssetOutcome[] = new Array(groups.length);
  let next = 0;
  const worker = async () => {
    while (next < groups.length) {
      const i = next++;
      const [asset, group] = groups[i]!;
      const ref = { tenant, asset, ring, rules, ...(eventsPerSecond > 0 ? { events_per_second: eventsPerSecond } : {}), ...(digest ? { redaction_digest: digest } : {}) };
      outcomes[i] = await appendGroup(env, ref, group.events, group.bytes, dedupeKey);
    }
  };
  await Promise.all(Array.from({ length: Math.min(FANOUT_CONCURRENCY, groups.length) }, worker));
  return outcomes;
}

async function appendGroup(env: Env, ref: AssetRef, events: PreparedEvent[], bytes: number[], dedupeKey?: string): Promise<AssetOutcome> {
  const { tenant, asset } = ref;
  const stub = env.ASSET_LOG.getByName(assetObjectName(tenant, asset));
  let accepted = 0;
  let from = 0;
  let duplicates = 0;
  let slices = 0;
  try {
    while (from < events.length) {
      let to = from;
      let size = 0;
      while (to < events.length && (to === from || size + bytes[to]! <= APPEND_SLICE_MAX_BYTES)) size += bytes[to++]!;
      // Slices of one request split the same way every time, so each has a stable key.
      const opts = dedupeKey === undefined ? {} : { dedupe_key: `${dedupeKey}#${slices}` };
      const res = await stub.append(ref, packEvents(events.slice(from, to)), opts);
      if (res.retry_after_seconds) return { asset, accepted, error: "rate_limited", retry_after_seconds: res.retry_after_seconds };
      accepted += res.accepted;
      if (res.duplicate) duplicates++;
      slices++;
      from = to;
    }
    return duplicates > 0 && duplicates === slices ? { asset, accepted, duplicate: true } : { asset, accepted };
  } catch (e) {
    log.error("AppendFailed", { tenant, asset, accepted, error: String((e as Error).message ?? e) });
    return { asset, accepted, error: "unavailable" };
  }
}
