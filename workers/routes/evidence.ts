/**
 * Evidence: `GET /v1/assets/{asset}/evidence?since=S` and the original collector's
 * `GET /evidence?since=S&asset=A`. Builds, stores and describes a bundle of the
 * lines received in the last S seconds (0 = the whole buffer).
 */
import { Hono, type Context } from "hono";
import { effectiveRing } from "../../shared/config.ts";
import { DEFAULT_ASSET, isValidAssetId } from "../../shared/events.ts";
import { DEFAULT_EVIDENCE_SINCE_SECONDS, RETRY_AFTER_SECONDS } from "../../shared/limits.ts";
import { assetObjectName } from "../../durable-objects/env.ts";
import type { BundleInfo } from "../../durable-objects/asset-log/bundle-builder.ts";
import type { Since } from "../../durable-objects/asset-log/asset-log.ts";
import { BUNDLE_FILES } from "../../shared/evidence/bundle-layout.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireScope } from "../auth/require.ts";
import { log } from "../log.ts";

export const evidence = new Hono<AppEnv>();

function parseSince(raw: string | undefined): Since {
  if (raw === undefined || raw === "") return DEFAULT_EVIDENCE_SINCE_SECONDS;
  if (raw === "continue") return raw;
  if (!/^\d{1,12}$/.test(raw)) {
    throw new ApiError("invalid_parameter", 'since must be a non-negative integer number of seconds (0 = whole buffer), or "continue".', {
      errors: [{ pointer: "/query/since", detail: "not a non-negative integer" }],
    });
  }
  return Number(raw);
}

async function build(c: Context<AppEnv>, asset: string) {
  if (!isValidAssetId(asset)) {
    throw new ApiError("invalid_parameter", "Asset ids are 1-128 characters of [A-Za-z0-9._:/@-].", {
      errors: [{ pointer: "/path/asset", detail: "invalid asset id" }],
    });
  }
  const since = parseSince(c.req.query("since"));
  const { tenant } = c.get("principal");
  const config = c.get("tenantConfig");
  const ring = effectiveRing(c.env, config);
  const stub = c.env.ASSET_LOG.getByName(assetObjectName(tenant, asset));
  const sealed = await stub.seal({ tenant, asset, ring, ...(config?.evidence_store ? { store: config.evidence_store } : {}) }, since);
  if (!sealed.ok) {
    log.error("EvidenceSealFailed", { tenant, asset, code: sealed.error.code, detail: sealed.error.detail });
    if (sealed.error.code === "store_misconfigured") {
      // Names the secret or setting at fault (never a value): the tenant's operator can fix it.
      throw new ApiError("store_unreachable", `${sealed.error.detail} No bundle was sealed.`, { reason: "config", step: "configure" });
    }
    // Key problems go to the operator's log, not to the client.
    throw new ApiError("unavailable", "Evidence signing is not configured on this deployment; no bundle was written.", {
      headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
    });
  }
  if (sealed.value.empty) return c.json({ ok: true, line_count: 0, message: "No logs found matching criteria" });
  const { bundle: b, reused } = sealed.value;
  // Sealed and signed either way; 202 while the store has not taken it yet (retried by the asset).
  return c.json({
    ok: true,
    metadata: {
      timestamp: b.created_at, line_count: b.line_count, since_seconds: b.since_seconds,
      asset, sha256: b.gz_sha256, compressed_size_bytes: b.gz_bytes,
    },
    upload: uploadView(b),
    bundle: { ...bundleView(b), reused },
  }, b.upload_status === "pending" ? 202 : 200);
}

/** Where the bundle's records are, and honestly whether they are there yet. */
export function uploadView(b: BundleInfo) {
  return {
    provider: b.provider, bucket: b.bucket, key: b.records_key, url: b.records_url,
    status: b.upload_status, attempts: b.upload_attempts,
    ...(b.upload_status === "pending" ? { next_attempt_at: b.upload_next_at } : {}),
    ...(b.upload_error !== null ? { error: b.upload_error } : {}),
  };
}

/** How a bundle is described in evidence and listing responses. */
export function bundleView(b: BundleInfo) {
  return {
    id: b.id, created_at: b.created_at, first_seq: b.first_seq, end_seq: b.end_seq, line_count: b.line_count,
    prefix: b.prefix, records: b.records_key, statement: b.statement_key, metadata: b.metadata_key,
    kid: b.kid, sha256: b.gz_sha256, compressed_size_bytes: b.gz_bytes,
    uncompressed_sha256: b.jsonl_sha256, uncompressed_size_bytes: b.jsonl_bytes,
    statement_sha256: b.statement_sha256, merkle_root: b.root_after, upload: uploadView(b),
    download: Object.fromEntries(BUNDLE_FILES.map((f) => [f, `/v1/bundles/${b.id}/${f}`])),
  };
}

evidence.get("/v1/assets/:asset/evidence", requireScope("evidence"), (c) => build(c, c.req.param("asset")));
evidence.get("/evidence", requireScope("evidence"), (c) => build(c, c.req.query("asset") ?? DEFAULT_ASSET));
