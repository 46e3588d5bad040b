/**
 * Bundles: `GET /v1/assets/{asset}/bundles` (paged, newest first) and
 * `GET /v1/bundles/{id}/{file}` (download; the id is looked up in the caller's tenant only).
 */
import { Hono } from "hono";
import { effectiveRing } from "../../shared/config.ts";
import { BUNDLE_FILES, BUNDLE_ID_RE, type BundleFile } from "../../shared/evidence/bundle-layout.ts";
import { isValidAssetId } from "../../shared/events.ts";
import { assetObjectName, tenantObjectName } from "../../durable-objects/env.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { bundleView } from "./evidence.ts";
import { StoreFailure } from "../../shared/storage/evidence-store.ts";
import { evidenceStoreFor, storeDeps } from "../../shared/storage/store-for.ts";
import type { EvidenceStoreConfig } from "../../shared/tenant-config.ts";

export const bundles = new Hono<AppEnv>();

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;
const CURSOR_RE = /^\d{1,15}$/;
const CONTENT_TYPES: Record<BundleFile, string> = {
  "records.jsonl.gz": "application/gzip",
  "statement.dsse.json": "application/json",
  "metadata.json": "application/json",
};

bundles.get("/v1/assets/:asset/bundles", requireScope("evidence"), async (c) => {
  const asset = c.req.param("asset");
  if (!isValidAssetId(asset)) throw new ApiError("invalid_parameter", "Asset ids are 1-128 characters of [A-Za-z0-9._:/@-].");
  const limitRaw = c.req.query("limit");
  const limit = limitRaw === undefined ? DEFAULT_PAGE : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ApiError("invalid_parameter", `limit must be an integer from 1 to ${MAX_PAGE}.`, { errors: [{ pointer: "/query/limit", detail: "out of range" }] });
  }
  const cursor = c.req.query("cursor");
  if (cursor !== undefined && !CURSOR_RE.test(cursor)) {
    throw new ApiError("invalid_parameter", "cursor must be a value returned by a previous page.", { errors: [{ pointer: "/query/cursor", detail: "not a cursor" }] });
  }
  const { tenant } = c.get("principal");
  const stub = c.env.ASSET_LOG.getByName(assetObjectName(tenant, asset));
  const page = await stub.bundles({ tenant, asset, ring: effectiveRing(c.env, c.get("tenantConfig")) }, limit, cursor);
  return c.json({ asset, bundles: page.bundles.map(bundleView), next_cursor: page.cursor });
});

bundles.get("/v1/bundles/:id/:file", requireScope("evidence"), async (c) => {
  const id = c.req.param("id");
  const file = c.req.param("file") as BundleFile;
  if (!BUNDLE_FILES.includes(file)) throw new ApiError("not_found", `A bundle holds ${BUNDLE_FILES.join(", ")}.`);
  if (!BUNDLE_ID_RE.test(id)) throw new ApiError("not_found", "No such bundle.");
  const { tenant } = c.get("principal");
  const found = await c.env.TENANT.getByName(tenantObjectName(tenant)).findBundle(id);
  if (!found) throw new ApiError("not_found", "No such bundle.");
  // From the store the bundle went to (bundles are indexed only once stored there).
  const storeConfig = found.store ? (JSON.parse(found.store) as EvidenceStoreConfig) : c.get("tenantConfig")?.evidence_store;
  const store = evidenceStoreFor(storeConfig, storeDeps(c.env));
  if (!store.ok) throw new ApiError("store_unreachable", store.error.detail, { reason: "config", step: "configure" });
  let body: ReadableStream<Uint8Array> | null;
  try {
    body = await store.value.get(found.prefix + file);
  } catch (e) {
    const reason = e instanceof StoreFailure ? e.reason : "other";
    throw new ApiError("store_unreachable", "The evidence store did not return the file; retry later.", { reason, step: "read" });
  }
  if (!body) throw new ApiError("not_found", "This bundle's file is no longer stored (retention may have removed it).");
  return new Response(body, {
    headers: { "Content-Type": CONTENT_TYPES[file], "Content-Disposition": `attachment; filename="${file}"` },
  });
});
