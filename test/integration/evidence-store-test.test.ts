/**
 * POST /v1/admin/tenants/{tenant}/evidence-store/test, in workerd: R2 by default, and S3 and
 * Azure Blob stores reached over real HTTP on 127.0.0.1 (fakes started by the workers project's
 * globalSetup). The S3 and Azure clients run here unchanged from Node.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import worker from "../../workers/index.ts";
import { ADMIN_TOKEN, createKey, createTenant, expectProblem } from "../fixtures/bridge.ts";
import { FAKE_STORE_CREDENTIALS as CREDS } from "../support/fake-stores-setup.ts";

const fakes = inject("fakeStores");
const AZURE_SAS = `sv=2023-11-03&sr=c&sp=rcwdl&se=2099-01-01T00:00:00Z&sig=${CREDS.azureSig}`;
/** The deployment a developer runs locally: insecure endpoints allowed, the store secrets set. */
const localEnv = {
  ...env, ALLOW_INSECURE_STORE_ENDPOINTS: "true",
  T_S3_KEY_ID: CREDS.s3AccessKeyId, T_S3_SECRET: CREDS.s3Secret, T_S3_WRONG: "not-the-secret-3141", T_AZURE_SAS: AZURE_SAS,
  T_AZURE_FORGED: AZURE_SAS.replace(CREDS.azureSig, "forged-sig-2718"),
};
const SECRET_VALUES = [CREDS.s3Secret, CREDS.azureSig, "not-the-secret-3141", "forged-sig-2718"];

async function probe(tenant: string, body?: unknown, opts: { token?: string; env?: object } = {}): Promise<Response> {
  const req = new Request(`http://bridge.test/v1/admin/tenants/${tenant}/evidence-store/test`, {
    method: "POST",
    headers: { Authorization: `Bearer ${opts.token ?? ADMIN_TOKEN}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch!(req as Request<unknown, IncomingRequestCfProperties>, (opts.env ?? localEnv) as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

const s3 = (o: Record<string, unknown> = {}) => ({
  provider: "s3", endpoint: fakes.s3Endpoint, region: fakes.s3Region, bucket: fakes.s3Bucket, path_style: true,
  access_key_id_ref: "T_S3_KEY_ID", secret_access_key_ref: "T_S3_SECRET", ...o,
});

/** A store_unreachable problem with this reason and step; no secret anywhere in it. */
async function expectUnreachable(res: Response, reason: unknown, step: string): Promise<Record<string, unknown>> {
  const body = await expectProblem(res, 502);
  expect(body).toMatchObject({ type: "https://telemetry-bridge.dev/problems/store-unreachable", reason, step });
  const text = JSON.stringify(body);
  for (const v of SECRET_VALUES) expect(text).not.toContain(v);
  expect(text).not.toMatch(/sig=|Signature=|AWS4-HMAC/);
  return body;
}

describe("evidence store test endpoint", () => {
  it("writes and deletes a probe in the default R2 bucket", async () => {
    await createTenant("est-r2");
    const res = await probe("est-r2");
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ ok: true, provider: "r2", bucket: "telemetry-bridge-evidence", probe_deleted: true, write_ms: expect.any(Number), delete_ms: expect.any(Number) });
    expect(body.probe_key).toMatch(/^probe\/est-r2\/[0-9a-f-]{36}$/);
    expect(await env.EVIDENCE.head(body.probe_key as string)).toBeNull();
  });

  it("tests an S3 config before it is saved, over HTTP from workerd", async () => {
    await createTenant("est-s3");
    const res = await probe("est-s3", { evidence_store: s3() });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, provider: "s3", bucket: "tenant-evidence", probe_deleted: true });
  });

  it("tests the saved S3 config with Object Lock: the locked probe stays, and that is no failure", async () => {
    await createTenant("est-s3-lock", { evidence_store: s3({ object_lock: { mode: "COMPLIANCE", retain_days: 1 } }) });
    const res = await probe("est-s3-lock");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, provider: "s3", probe_deleted: false });
  });

  it("tests an Azure Blob config over HTTP from workerd", async () => {
    await createTenant("est-azure");
    const res = await probe("est-azure", { evidence_store: { provider: "azure-blob", container_url: `${fakes.azureBase}/${fakes.azureContainer}`, sas_token_ref: "T_AZURE_SAS" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, provider: "azure-blob", bucket: "evidence", probe_deleted: true });
  });

  it("explains each misconfiguration with a reason and no secret", async () => {
    await createTenant("est-bad");
    const auth = await expectUnreachable(await probe("est-bad", { evidence_store: s3({ secret_access_key_ref: "T_S3_WRONG" }) }), "auth", "write");
    expect(auth).toMatchObject({ provider: "s3", bucket: "tenant-evidence", detail: expect.stringContaining("SignatureDoesNotMatch") });
    await expectUnreachable(await probe("est-bad", { evidence_store: s3({ bucket: "no-such-bucket" }) }), "bucket_missing", "write");
    // Port 9 (discard) on loopback: nothing listens there. workerd's fetch throws (reason network);
    // behind a miniflare outboundService the refused connection arrives as a 500 instead
    // (unavailable). test/storage pins the network classification itself.
    const dead = await probe("est-bad", { evidence_store: s3({ endpoint: "http://127.0.0.1:9" }) });
    const deadBody = await expectUnreachable(dead, expect.stringMatching(/^(network|unavailable)$/) as unknown as string, "write");
    expect(deadBody.detail).toContain("S3 PUT probe/est-bad/");
    const missing = await expectUnreachable(await probe("est-bad", { evidence_store: s3({ secret_access_key_ref: "T_NOT_SET" }) }), "config", "config");
    expect(missing.detail).toContain("T_NOT_SET");
    const azure = await expectUnreachable(await probe("est-bad", { evidence_store: { provider: "azure-blob", container_url: `${fakes.azureBase}/${fakes.azureContainer}`, sas_token_ref: "T_AZURE_FORGED" } }), "auth", "write");
    expect(azure.detail).toContain("AuthenticationFailed");
  });

  it("refuses http and loopback endpoints in a deployment without ALLOW_INSECURE_STORE_ENDPOINTS", async () => {
    await createTenant("est-prod");
    const res = await probe("est-prod", { evidence_store: s3() }, { env: { ...localEnv, ALLOW_INSECURE_STORE_ENDPOINTS: "false" } });
    const body = await expectUnreachable(res, "config", "config");
    expect(body.detail).toContain("https");
  });

  it("lets a tenant admin test the saved config only, and only its own tenant", async () => {
    await createTenant("est-own");
    await createTenant("est-other");
    const key = await createKey("est-own", ["admin"]);
    const ingestKey = await createKey("est-own", ["ingest"]);
    expect((await probe("est-own", undefined, { token: key })).status).toBe(200);
    await expectProblem(await probe("est-own", { evidence_store: s3() }, { token: key }), 403);
    await expectProblem(await probe("est-other", undefined, { token: key }), 403);
    await expectProblem(await probe("est-own", undefined, { token: ingestKey }), 403);
    await expectProblem(await probe("est-own", undefined, { token: "nope" }), 401);
    await expectProblem(await probe("est-missing"), 404);
  });

  it("rejects an invalid config with pointers", async () => {
    await createTenant("est-invalid");
    const body = await expectProblem(await probe("est-invalid", { evidence_store: { provider: "s3", endpoint: "ftp://x" } }), 422);
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: "/evidence_store/endpoint" })]));
    await expectProblem(await probe("est-invalid", { other: 1 }), 422);
  });
});
