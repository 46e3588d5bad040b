/**
 * Enrichment of one record (docs/enrichment-and-redaction.md): the addresses at the configured
 * fields looked up in the tenant's ASN table and indicator lists, the risk score of what matched,
 * and the sender's geo. The result goes into the stored record as its `_enrichment` member, so
 * it is part of the evidence. Pure: tables and sender come from the caller.
 */
import { valueAt } from "../field-path.ts";
import { DEFAULT_IP_FIELDS, type EnrichmentConfig } from "./config.ts";
import { formatIp, parseIp } from "./ip-address.ts";
import { lookupRange, type RangeTable } from "./range-table.ts";
import { riskScore } from "./risk-score.ts";
import type { AsnValue, IndicatorValue } from "./table-input.ts";

/** The record member enrichment writes; a record's own member of this name is refused when enrichment is on. */
export const ENRICHMENT_MEMBER = "_enrichment";

export interface EnrichmentTables {
  /** Changes with every upload or delete, so a stored record says which tables it was matched against. */
  version: number;
  asn: RangeTable | null;
  lists: { name: string; table: RangeTable }[];
}

/** The sender as Cloudflare saw it (request.cf). */
export interface Sender {
  country?: string;
  asn?: number;
  as_org?: string;
}

export interface IpEnrichment {
  ip: string;
  asn?: number;
  as_name?: string;
  as_country?: string;
  threats?: { list: string; range: string; labels: string[]; score: number }[];
}

export interface EnrichmentMember {
  ips?: Record<string, IpEnrichment>;
  /** With threat_intel: 0-100 (risk-score.ts). */
  risk?: number;
  /** With asn or threat_intel: the tables' version. */
  tables_version?: number;
  sender?: Sender;
}

/** What enrichment adds to a record, or undefined when it has nothing to say. */
export function enrichRecord(record: Record<string, unknown>, cfg: EnrichmentConfig, tables: EnrichmentTables | null, sender: Sender | null): EnrichmentMember | undefined {
  if (!cfg.enabled) return undefined;
  const out: EnrichmentMember = {};
  const lookups = (cfg.asn || cfg.threat_intel) && tables !== null;
  if (lookups) {
    const ips: Record<string, IpEnrichment> = {};
    const matched = new Map<string, number>();
    for (const field of cfg.ip_fields ?? DEFAULT_IP_FIELDS) {
      const ip = parseIp(valueAt(record, field));
      if (!ip) continue;
      const e: IpEnrichment = { ip: formatIp(ip) };
      if (cfg.asn && tables.asn) {
        const i = lookupRange(tables.asn, ip);
        const v = i >= 0 ? (tables.asn.values[i] as AsnValue) : undefined;
        if (v) {
          e.asn = v.asn;
          if (v.name !== undefined) e.as_name = v.name;
          if (v.country !== undefined) e.as_country = v.country;
        }
      }
      if (cfg.threat_intel) {
        for (const { name, table } of tables.lists) {
          const i = lookupRange(table, ip);
          if (i < 0) continue;
          const v = table.values[i] as IndicatorValue;
          (e.threats ??= []).push({ list: name, range: v.range, labels: v.labels, score: v.score });
          matched.set(`${name}\u0000${i}`, v.score);
        }
      }
      if (e.asn !== undefined || e.threats) ips[field] = e;
    }
    if (Object.keys(ips).length) out.ips = ips;
    if (cfg.threat_intel) out.risk = riskScore([...matched.values()]);
    out.tables_version = tables.version;
  }
  if (cfg.geo && sender && Object.keys(sender).length) out.sender = sender;
  return Object.keys(out).length ? out : undefined;
}

/** The sender fields of a request.cf object that are well-formed; null when there are none. */
export function senderOf(cf: unknown): Sender | null {
  if (typeof cf !== "object" || cf === null) return null;
  const o = cf as Record<string, unknown>;
  const s: Sender = {};
  if (typeof o.country === "string" && /^[A-Z0-9]{2}$/.test(o.country)) s.country = o.country;
  if (typeof o.asn === "number" && Number.isSafeInteger(o.asn) && o.asn >= 0) s.asn = o.asn;
  if (typeof o.asOrganization === "string" && o.asOrganization.length > 0) s.as_org = o.asOrganization.slice(0, 128);
  return Object.keys(s).length ? s : null;
}
