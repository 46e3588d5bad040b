/**
 * What storeEvents does to decoded events before they are counted, fingerprinted, mapped and
 * stored, in this order: decode -> redact -> enrich -> facts and canonical JSON (fanout.ts).
 * Redaction comes first so nothing downstream (the Idempotency-Key fingerprint, asset mapping,
 * enrichment, counting rules, alert facts, stored lines, bundles, the live tail) ever sees a
 * redacted value. Enrichment comes after it because what it writes is stored too: ASN and
 * indicator matches of an address (a matched /32 names it) would put a redacted address back
 * into the record. (docs/enrichment-and-redaction.md)
 */
import type { Context } from "hono";
import type { TenantConfig } from "../shared/config.ts";
import { ENRICHMENT_MEMBER, enrichRecord, senderOf } from "../shared/enrichment/enrich.ts";
import type { TelemetryEvent } from "../shared/events.ts";
import { RETRY_AFTER_SECONDS } from "../shared/limits.ts";
import { compileProfile, containsString, redactRecord, type RedactionCounts } from "../shared/redaction/redact.ts";
import type { Env } from "../durable-objects/env.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { tenantTables } from "./enrichment-tables.ts";
import type { AssetOutcome } from "./fanout.ts";
import { log } from "./log.ts";

/** Refuse records that carry the member enrichment writes: with enrichment on, it must be only the bridge's. */
export function refuseReservedMembers(config: TenantConfig | undefined, events: readonly TelemetryEvent[]): void {
  if (!config?.enrichment?.enabled) return;
  const i = events.findIndex((ev) => Object.hasOwn(ev.record, ENRICHMENT_MEMBER));
  if (i < 0) return;
  throw new ApiError("unprocessable", `Event ${i} carries "${ENRICHMENT_MEMBER}", which this tenant's enrichment writes; rename the field. Nothing was stored.`, {
    errors: [{ pointer: `/${i}/${ENRICHMENT_MEMBER}`, detail: "reserved for the bridge's enrichment" }],
  });
}

/**
 * Apply the tenant's redaction profile to every event's record, in place. The connector's
 * message goes too when it is no longer in the redacted record as is (pattern alert rules then
 * read the record's own, redacted, message fields). Returns each event's counts, or null
 * without a profile.
 */
export function redactEvents(env: Env, config: TenantConfig | undefined, events: TelemetryEvent[]): (RedactionCounts | null)[] | null {
  const profile = config?.redaction;
  if (!profile) return null;
  let salt: Uint8Array | null = null;
  if (profile.hash_salt_ref) {
    const secret = (env as unknown as Record<string, unknown>)[profile.hash_salt_ref];
    if (typeof secret !== "string" || secret === "") {
      // Unsalted hashes would be weaker than the profile promises: store nothing instead.
      log.error("RedactionSaltMissing", { secret: profile.hash_salt_ref });
      throw new ApiError("unavailable", `The redaction salt secret ${profile.hash_salt_ref} is not set in this deployment; nothing was stored.`, {
        headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
      });
    }
    salt = new TextEncoder().encode(secret);
  }
  const compiled = compileProfile(profile);
  return events.map((ev) => {
    const { record, counts } = redactRecord(ev.record, compiled, salt);
    if (counts) {
      ev.record = record;
      if (ev.message !== undefined && !containsString(record, ev.message)) delete ev.message;
      delete ev.attrs;
    }
    return counts;
  });
}

/** Add `_enrichment` to each record the tenant's enrichment has something to say about. */
export async function enrichEvents(c: Context<AppEnv>, events: TelemetryEvent[]): Promise<void> {
  const cfg = c.get("tenantConfig")?.enrichment;
  if (!cfg?.enabled || events.length === 0) return;
  const tables = cfg.asn || cfg.threat_intel ? await tenantTables(c.env, c.get("principal").tenant) : null;
  const sender = cfg.geo ? senderOf(c.req.raw.cf) : null;
  for (const ev of events) {
    const member = enrichRecord(ev.record, cfg, tables, sender);
    if (member) ev.record = { ...ev.record, [ENRICHMENT_MEMBER]: member };
  }
}

/**
 * Redaction counts of the events that were stored: an asset's events are appended in request
 * order, so its first `accepted` were; a redelivered batch stored nothing again.
 */
export function storedRedactions(events: readonly TelemetryEvent[], perEvent: readonly (RedactionCounts | null)[], outcomes: readonly AssetOutcome[]): RedactionCounts {
  const left = new Map(outcomes.map((o) => [o.asset, o.duplicate ? 0 : o.accepted]));
  const total: RedactionCounts = {};
  events.forEach((ev, i) => {
    const n = left.get(ev.asset) ?? 0;
    if (n <= 0) return;
    left.set(ev.asset, n - 1);
    for (const [reason, k] of Object.entries(perEvent[i] ?? {})) total[reason] = (total[reason] ?? 0) + k;
  });
  return total;
}
