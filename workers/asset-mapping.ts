/**
 * A tenant's asset mapping (config `asset_mapping`), applied to decoded events before fan-out:
 * `record_field` names a dot path whose value is the asset for records that carry no explicit
 * `asset` (and when the request names none: X-Asset-Id and ?asset= come first, DESIGN section 4); `aliases` then renames assets (e.g. host names onto the asset ids FixOps knows).
 */
import { isValidAssetId, type TelemetryEvent } from "../shared/events.ts";
import type { TenantConfig } from "../shared/tenant-config.ts";

function at(record: Record<string, unknown>, path: string): unknown {
  let v: unknown = record;
  for (const key of path.split(".")) {
    if (typeof v !== "object" || v === null || !Object.hasOwn(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

export function applyAssetMapping(events: TelemetryEvent[], mapping: TenantConfig["asset_mapping"], requestNamedAsset = false): void {
  if (!mapping || (!mapping.record_field && !mapping.aliases)) return;
  for (const ev of events) {
    if (mapping.record_field && !requestNamedAsset && ev.record.asset === undefined) {
      const v = at(ev.record, mapping.record_field);
      if (isValidAssetId(v)) ev.asset = v;
    }
    // A stored alias is checked again: the asset id grammar may have tightened since it was saved.
    if (mapping.aliases && Object.hasOwn(mapping.aliases, ev.asset) && isValidAssetId(mapping.aliases[ev.asset])) ev.asset = mapping.aliases[ev.asset]!;
  }
}
