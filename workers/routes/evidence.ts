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
  const ring = effectiveRing(c.env, c.get("tenantConfig"));
  const bucket = c.env.EVIDENCE_BUCKET_NAME ?? "evidence";
  const stub = c.env.ASSET_LOG.getByName(assetObjectName(tenant, asset));
  const sealed = await stub.seal({ tenant, asset, ring }, since, bucket);
  if (!sealed.ok) {
    // Details (store messages, key problems) go to the operator's log, not to the client.
    log.error("EvidenceSealFailed", { tenant, asset, code: sealed.error.code, detail: sealed.error.detail });
    const detail = sealed.error.code === "signing_unavailable"
      ? "Evidence signing is not configured on this deployment; no bundle was written."
      : "The evidence store is unavailable; no bundle was written. Retry later.";
    throw new ApiError("unavailable", detail, { headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } });
  }
  if (sealed.value.empty) return c.json({ ok: true, line_count: 0, message: "No logs found matching criteria" });
  const { bundle: b, reused } = sealed.value;
  return c.json({
    ok: true,
    metadata: {
      timestamp: b.created_at, line_count: b.line_count, since_seconds: b.since_seconds,
      asset, sha256: b.gz_sha256, compressed_size_bytes: b.gz_bytes,
    },
    upload: { provider: b.provider, bucket: b.bucket, key: b.records_key, url: b.records_url },
    bundle: { ...bundleView(b), reused },
  });
}

/** How a bundle is described in evidence and listing responses. */
export function bundleView(b: BundleInfo) {
  return {
    id: b.id, created_at: b.created_at, first_seq: b.first_seq, end_seq: b.end_seq, line_count: b.line_count,
    prefix: b.prefix, records: b.records_key, statement: b.statement_key, metadata: b.metadata_key,
    kid: b.kid, sha256: b.gz_sha256, compressed_size_bytes: b.gz_bytes,
    uncompressed_sha256: b.jsonl_sha256, uncompressed_size_bytes: b.jsonl_bytes,
    statement_sha256: b.statement_sha256, merkle_root: b.root_after,
    download: Object.fromEntries(BUNDLE_FILES.map((f) => [f, `/v1/bundles/${b.id}/${f}`])),
  };
}

evidence.get("/v1/assets/:asset/evidence", requireScope("evidence"), (c) => build(c, c.req.param("asset")));
evidence.get("/evidence", requireScope("evidence"), (c) => build(c, c.req.query("asset") ?? DEFAULT_ASSET));
