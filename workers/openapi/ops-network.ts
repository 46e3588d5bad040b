/** OpenAPI metadata of network telemetry ingest and the enrichment tables (docs/connectors.md, docs/enrichment-and-redaction.md). */
import { anyObject, arr, bool, int, map, nullable, obj, str, time } from "./schema.ts";
import { INGEST_PROBLEMS, json, type Op, type Param } from "./operation.ts";

const ASSET_PARAMS: Param[] = [
  { name: "asset", in: "query", description: "Asset for records that name none (a record's own asset field wins)." },
  { name: "X-Asset-Id", in: "header", description: "Same as ?asset=." },
  { name: "Idempotency-Key", in: "header", description: "Makes a retried request store nothing twice (1-200 visible ASCII)." },
  { name: "Content-Encoding", in: "header", description: "gzip (multi-member allowed; 50 MiB inflated at most)." },
];
const recordError = obj({ index: int("the record's index in the body"), pointer: str("JSON pointer"), detail: str() });
const assetError = obj({ asset: str(), accepted: int(), status: int(), detail: str() });
const networkAnswer = obj({
  ok: bool(), accepted: int("records stored"), refused: int("records refused"), assets: map(int(), "records stored per asset"),
  errors: arr({ oneOf: [recordError, assetError] }, "refused records (the first 100), then assets that could not store"),
  redactions: map(int(), "values redacted in the stored records, by reason"),
}, ["errors", "redactions"]);
const network = (summary: string, description: string): Op => ({
  summary, description, tag: "ingest", auth: "ingest", docs: "docs/connectors.md", params: ASSET_PARAMS,
  body: { schema: anyObject("NDJSON (one record per line), a JSON array of records, or one record"), types: ["application/x-ndjson", "application/json"], required: true },
  responses: { "200": json(networkAnswer, "Every record stored."), "207": json(networkAnswer, "Some records refused (listed) or some assets not stored; the rest stored.") },
  problems: INGEST_PROBLEMS,
});
const tableInfo = obj({ name: str(), kind: str(undefined, { enum: ["asn", "indicators"] }), entries: int(), bytes: int(), updated_at: time() });
const stored = obj({ name: str(), kind: str(), entries: int(), bytes: int(), updated_at: time(), version: int("the tables' version after the change"), segments: int("disjoint ranges after flattening") });
const TABLE_PROBLEMS = ["invalid_body", "invalid_json", "invalid_encoding", "unprocessable", "payload_too_large", "unsupported_media_type"] as const;

export const NETWORK_OPS: Record<string, Op> = {
  "POST /v1/ingest/flows": network("Ingest NetFlow/IPFIX flow records (JSON)",
    "goflow2, pmacct/nfacctd, Logstash netflow and IPFIX field names are mapped onto the canonical `flow` member; invalid records are refused one by one."),
  "POST /v1/ingest/zeek": network("Ingest Zeek conn.log records (JSON, one per line)",
    "id.orig_h/id.resp_h/... are mapped onto the canonical `flow` member; the uid is the event id; invalid records are refused one by one."),
  "GET /v1/indicators": {
    summary: "The tenant's threat-intel indicator lists", tag: "admin", auth: "admin", docs: "docs/enrichment-and-redaction.md",
    responses: { "200": json(obj({ version: int(), lists: arr(tableInfo) }), "Lists in name order.") }, problems: ["not_found"],
  },
  "PUT /v1/indicators": {
    summary: "Replace (or create) an indicator list", tag: "admin", auth: "admin", docs: "docs/enrichment-and-redaction.md",
    description: "Applies to the next request in the serving isolate at once, everywhere within 5 s. At most 20 lists of 50,000 entries.",
    body: { schema: obj({ list: str(), indicators: arr(obj({ cidr: str("CIDR block or address"), ip: str("address"), labels: arr(str()), score: int(undefined, { minimum: 0, maximum: 100 }) }, ["cidr", "ip", "labels", "score"])) }), types: ["application/json"], required: true },
    responses: { "200": json(stored, "Stored.") }, problems: [...TABLE_PROBLEMS, "conflict", "not_found"],
  },
  "DELETE /v1/indicators/{list}": {
    summary: "Delete an indicator list", tag: "admin", auth: "admin", docs: "docs/enrichment-and-redaction.md",
    responses: { "200": json(obj({ list: str(), deleted: bool(), version: int() }), "Deleted.") }, problems: ["not_found"],
  },
  "GET /v1/asn-ranges": {
    summary: "The tenant's ASN table", tag: "admin", auth: "admin", docs: "docs/enrichment-and-redaction.md",
    responses: { "200": json(obj({ version: int(), table: nullable(tableInfo) }), "The table, or null.") }, problems: ["not_found"],
  },
  "PUT /v1/asn-ranges": {
    summary: "Replace the ASN table (JSON or iptoasn TSV)", tag: "admin", auth: "admin", docs: "docs/enrichment-and-redaction.md",
    body: {
      schema: obj({ ranges: arr(obj({ cidr: str(), ip: str(), start: str(), end: str(), asn: int(), name: str(), country: str() }, ["cidr", "ip", "start", "end", "name", "country"])) }),
      types: ["application/json", "text/tab-separated-values"], required: true,
    },
    responses: { "200": json(stored, "Stored.") }, problems: [...TABLE_PROBLEMS, "not_found"],
  },
  "DELETE /v1/asn-ranges": {
    summary: "Delete the ASN table", tag: "admin", auth: "admin", docs: "docs/enrichment-and-redaction.md",
    responses: { "200": json(obj({ deleted: bool(), version: int() }), "Deleted.") }, problems: ["not_found"],
  },
};
