/**
 * Admin: test a tenant's evidence store. Writes a small probe object under
 * `probe/<tenant>/<uuid>`, reads it back, finds it in a listing and deletes it, timing each step;
 * a failure is a `store_unreachable` problem with the step and a reason, never a secret.
 */
import { Hono, type Context } from "hono";
import { decodeTenantConfig, type TenantConfig } from "../../shared/config.ts";
import { storeErrorReason, StoreFailure, type EvidenceStore, type StoreErrorReason } from "../../shared/storage/evidence-store.ts";
import { evidenceStoreFor, storeDeps } from "../../shared/storage/store-for.ts";
import { TENANT_ID_RE } from "../../shared/scopes.ts";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { requireTenantAdmin } from "../auth/require.ts";
import { readBodyText } from "../body.ts";
import { parseJson } from "../connectors/json-text.ts";
import { log } from "../log.ts";

export const evidenceStore = new Hono<AppEnv>();

type Step = "config" | "write" | "read" | "list" | "delete";

function unreachable(step: Step, reason: StoreErrorReason, detail: string, store?: EvidenceStore): never {
  throw new ApiError("store_unreachable", detail, { reason, step, ...(store ? { provider: store.provider, bucket: store.bucket } : {}) });
}

/** The config under test: the body's `evidence_store` (operator only), else the tenant's saved one. */
async function configUnderTest(c: Context<AppEnv>, tenant: string): Promise<TenantConfig["evidence_store"]> {
  const saved = await c.env.TENANT.getByName(tenantObjectName(tenant)).get();
  if (!saved.ok) throw new ApiError("not_found", "No such tenant.");
  const text = await readBodyText(c.req.raw);
  if (text.trim()) {
    const parsed = parseJson(text);
    if (!parsed.ok) throw new ApiError(parsed.error.code, parsed.error.detail);
    const body = parsed.value;
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError("unprocessable", "The body must be a JSON object.");
    const keys = Object.keys(body);
    if (keys.some((k) => k !== "evidence_store")) {
      throw new ApiError("unprocessable", "The body is invalid.", { errors: keys.filter((k) => k !== "evidence_store").map((k) => ({ pointer: `/${k}`, detail: "unknown key" })) });
    }
    if (keys.length) {
      // A proposed config makes the bridge send credentials (secrets named in it) to the endpoint
      // named in it: only the operator, who sets evidence_store anyway, may do that.
      if (c.get("actor") !== "operator") throw new ApiError("forbidden", "Only the operator may test an evidence store config that is not saved.");
      const decoded = decodeTenantConfig(body);
      if (!decoded.ok) throw new ApiError("unprocessable", "The evidence store config is invalid.", { errors: decoded.error });
      return decoded.value.evidence_store;
    }
  }
  return saved.value.config.evidence_store;
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const v = await f();
  return [v, Date.now() - t0];
}

evidenceStore.post("/v1/admin/tenants/:tenant/evidence-store/test", requireTenantAdmin, async (c) => {
  const tenant = c.req.param("tenant");
  if (!TENANT_ID_RE.test(tenant)) throw new ApiError("not_found", "No such tenant.");
  const config = await configUnderTest(c, tenant);
  const built = evidenceStoreFor(config, storeDeps(c.env));
  if (!built.ok) unreachable("config", "config", built.error.detail);
  const store = built.value;
  const key = `probe/${tenant}/${crypto.randomUUID()}`;
  const body = JSON.stringify({ probe: "telemetry-bridge evidence store test", tenant, at: new Date().toISOString() });
  const [put, write_ms] = await timed(() => store.put(key, body, { contentType: "application/json", ifNoneMatch: true }));
  if (!put.ok) {
    const detail = put.error.code === "exists" ? "A fresh probe key already exists: the store does not behave as expected." : put.error.detail;
    unreachable("write", storeErrorReason(put.error) ?? "other", `The probe object could not be written: ${detail}`, store);
  }
  const probe = async <T>(step: Step, f: () => Promise<T>): Promise<[T, number]> => {
    try {
      return await timed(f);
    } catch (e) {
      if (!(e instanceof StoreFailure)) throw e;
      return unreachable(step, e.reason, `The probe object could not be ${step === "read" ? "read back" : "listed"}: ${e.message}`, store);
    }
  };
  const [got, read_ms] = await probe("read", async () => {
    const stream = await store.get(key);
    return stream ? new Response(stream).text() : null;
  });
  if (got !== body) unreachable("read", "other", "The probe object read back differs from what was written.", store);
  const [listed, list_ms] = await probe("list", () => store.list(key));
  if (!listed.objects.some((o) => o.key === key)) unreachable("list", "other", "The probe object is missing from the listing.", store);
  const [deleted, delete_ms] = await timed(() => store.delete([key]));
  const failure = deleted.failed[0];
  // Under Object Lock (AWS without versioning semantics, or a locked fake) the probe may outlive
  // the test: that is the lock working, not a failure.
  if (failure && !(failure.reason === "locked" && config?.provider === "s3" && config.object_lock)) {
    unreachable("delete", failure.reason, `The probe object could not be deleted: ${failure.detail}`, store);
  }
  log.info("EvidenceStoreTested", { tenant, provider: store.provider, bucket: store.bucket, write_ms, delete_ms, actor: c.get("actor") });
  return c.json({ ok: true, provider: store.provider, bucket: store.bucket, probe_key: key, probe_deleted: !failure, write_ms, read_ms, list_ms, delete_ms });
});
