/**
 * Enrichment tables of the caller's tenant, scope admin (docs/enrichment-and-redaction.md):
 * indicator lists (`GET/PUT /v1/indicators`, `DELETE /v1/indicators/{list}`) and the ASN table
 * (`GET/PUT/DELETE /v1/asn-ranges`, JSON or iptoasn TSV). The edge builds the compact table
 * (CPU at the stateless tier), the Tenant object stores it; a change applies to the next
 * request in this isolate at once and everywhere within ENRICHMENT_TABLES_CHECK_MS.
 */
import { Hono, type Context } from "hono";
import { encodeRangeTable, segmentCount } from "../../shared/enrichment/range-table.ts";
import { decodeAsnRanges, decodeAsnTsv, decodeIndicatorList, LIST_NAME, type DecodedTable } from "../../shared/enrichment/table-input.ts";
import { MAX_RANGE_TABLES_BYTES } from "../../shared/limits.ts";
import type { FieldIssue } from "../../shared/problem.ts";
import type { Result } from "../../shared/result.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import type { RangeKind, RangeStoreError } from "../../durable-objects/tenant/range-store.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { mediaType, parseJson } from "../connectors/json-text.ts";
import { forgetTables } from "../enrichment-tables.ts";

export const indicators = new Hono<AppEnv>();

const tenantOf = (c: Context<AppEnv>) => c.env.TENANT.getByName(tenantObjectName(c.get("principal").tenant));

function fail(e: RangeStoreError): never {
  if (e.code === "too_large") throw new ApiError("payload_too_large", e.detail ?? "The tables are too large.");
  if (e.code === "too_many_lists") throw new ApiError("conflict", e.detail ?? "Too many indicator lists.");
  throw new ApiError("not_found", e.code === "tenant_not_found" ? "No such tenant." : "No such table.");
}

async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await readBodyText(c.req.raw);
  if (!text.trim()) throw new ApiError("invalid_body", "The request body is empty.");
  const parsed = parseJson(text);
  if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.detail, parsed.error.errors ? { errors: parsed.error.errors } : {});
  return parsed.value;
}

/** Validate, build, bound and store one table; the answer describes what was stored. */
async function store(c: Context<AppEnv>, kind: RangeKind, name: string, decoded: Result<DecodedTable, FieldIssue[]>) {
  if (!decoded.ok) throw new ApiError("unprocessable", "The table is invalid; nothing was changed.", { errors: decoded.error });
  const data = encodeRangeTable(decoded.value.table);
  if (data.byteLength > MAX_RANGE_TABLES_BYTES) throw new ApiError("payload_too_large", `The table takes ${data.byteLength} bytes; the limit is ${MAX_RANGE_TABLES_BYTES}.`);
  const res = await tenantOf(c).putRangeTable(kind, name, data, decoded.value.entries, `key:${c.get("principal").keyId}`);
  if (!res.ok) fail(res.error);
  forgetTables(c.get("principal").tenant);
  return c.json({ ...res.value, segments: segmentCount(decoded.value.table) });
}

indicators.get("/v1/indicators", requireScope("admin"), async (c) => {
  const res = await tenantOf(c).listRangeTables();
  if (!res.ok) fail(res.error);
  return c.json({ version: res.value.version, lists: res.value.tables.filter((t) => t.kind === "indicators") });
});

indicators.put("/v1/indicators", requireScope("admin"), async (c) => {
  const decoded = decodeIndicatorList(await jsonBody(c));
  return store(c, "indicators", decoded.ok ? decoded.value.list : "", decoded);
});

indicators.delete("/v1/indicators/:list", requireScope("admin"), async (c) => {
  const list = c.req.param("list");
  if (!LIST_NAME.re.test(list) || list.length > LIST_NAME.max) throw new ApiError("not_found", "No such indicator list.");
  const res = await tenantOf(c).deleteRangeTable("indicators", list, `key:${c.get("principal").keyId}`);
  if (!res.ok) fail(res.error);
  forgetTables(c.get("principal").tenant);
  return c.json({ list, deleted: true, version: res.value.version });
});

indicators.get("/v1/asn-ranges", requireScope("admin"), async (c) => {
  const res = await tenantOf(c).listRangeTables();
  if (!res.ok) fail(res.error);
  return c.json({ version: res.value.version, table: res.value.tables.find((t) => t.kind === "asn") ?? null });
});

indicators.put("/v1/asn-ranges", requireScope("admin"), async (c) => {
  const mt = mediaType(c.req.header("content-type"));
  if (mt === "text/tab-separated-values") {
    const text = await readBodyText(c.req.raw);
    if (!text.trim()) throw new ApiError("invalid_body", "The request body is empty.");
    return store(c, "asn", "asn", decodeAsnTsv(text));
  }
  if (mt !== "" && mt !== "application/json") throw new ApiError("unsupported_media_type", "Send application/json or text/tab-separated-values (iptoasn ip2asn format).");
  return store(c, "asn", "asn", decodeAsnRanges(await jsonBody(c)));
});

indicators.delete("/v1/asn-ranges", requireScope("admin"), async (c) => {
  const res = await tenantOf(c).deleteRangeTable("asn", "asn", `key:${c.get("principal").keyId}`);
  if (!res.ok) fail(res.error);
  forgetTables(c.get("principal").tenant);
  return c.json({ deleted: true, version: res.value.version });
});
