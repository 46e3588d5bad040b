/**
 * The tenant config section `enrichment` (docs/enrichment-and-redaction.md): opt-in ASN,
 * threat-intel and sender-geo enrichment at ingest. Validated in the style of tenant-config.ts.
 */
import { MAX_ENRICHMENT_IP_FIELDS } from "../limits.ts";
import { array, boolean, fieldPath, type Issues, object, onlyKeys } from "../validate.ts";

export interface EnrichmentConfig {
  enabled: boolean;
  /** Look addresses up in the tenant's ASN table (PUT /v1/asn-ranges). */
  asn: boolean;
  /** Match addresses against the tenant's indicator lists (PUT /v1/indicators) and score the risk. */
  threat_intel: boolean;
  /** Add the sender's country and AS from Cloudflare's request.cf. */
  geo: boolean;
  /** Dot paths holding addresses to look up (default DEFAULT_IP_FIELDS). */
  ip_fields?: string[];
}

/**
 * Where addresses usually are: the canonical flow fields (POST /v1/ingest/flows and /zeek),
 * then common log fields (AWS WAF, Cloud Load Balancing, Azure Application Gateway, generic).
 */
export const DEFAULT_IP_FIELDS = [
  "flow.src_ip", "flow.dst_ip", "src_ip", "dst_ip", "client_ip", "clientIp", "source_ip", "remote_addr",
  "httpRequest.clientIp", "httpRequest.remoteIp", "properties.clientIP", "properties.clientIp",
] as const;

export function decodeEnrichmentConfig(v: unknown, at: string, issues: Issues): EnrichmentConfig | undefined {
  const o = object(v, at, issues);
  if (!o) return undefined;
  onlyKeys(o, ["enabled", "asn", "threat_intel", "geo", "ip_fields"], at, issues);
  const flag = (k: string, dflt: boolean) => (o[k] === undefined ? dflt : boolean(o[k], `${at}/${k}`, issues));
  const enabled = flag("enabled", true);
  const asn = flag("asn", false);
  const threat_intel = flag("threat_intel", false);
  const geo = flag("geo", false);
  const out: EnrichmentConfig = { enabled: enabled ?? false, asn: asn ?? false, threat_intel: threat_intel ?? false, geo: geo ?? false };
  if (o.ip_fields !== undefined) {
    const list = array(o.ip_fields, `${at}/ip_fields`, MAX_ENRICHMENT_IP_FIELDS, issues) ?? [];
    out.ip_fields = list.map((x, i) => fieldPath(x, `${at}/ip_fields/${i}`, issues)).filter((x): x is string => x !== undefined);
  }
  return out;
}
