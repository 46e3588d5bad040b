/** evidenceStoreFor: R2 by default, S3 and Azure with secrets by name, endpoints checked (SSRF). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { endpointRefusal } from "../../shared/storage/endpoint-policy.ts";
import { evidenceStoreFor, type StoreDeps } from "../../shared/storage/store-for.ts";
import { decodeTenantConfig, type EvidenceStoreConfig } from "../../shared/tenant-config.ts";
import { FakeAzureBlob, sasToken } from "../support/fake-azure-blob.ts";
import { FakeS3 } from "../support/fake-s3.ts";

const S3_SECRET = "s3-secret-value-91b2";
const SIG = "azure-sas-sig-55";
const s3 = new FakeS3({ accessKeyId: "AKIDFACTORY", secretAccessKey: S3_SECRET, region: "auto", buckets: ["tenant-evidence"] });
const azure = new FakeAzureBlob({ account: "acct", containers: ["evidence"], sig: SIG });
const secrets: Record<string, string> = { S3_KEY_ID: "AKIDFACTORY", S3_SECRET, AZURE_SAS: sasToken({ sig: SIG }) };
let s3Endpoint = "";
let azureBase = "";

beforeAll(async () => {
  s3Endpoint = await s3.start();
  azureBase = await azure.start();
});
afterAll(async () => {
  await s3.close();
  await azure.close();
});

function deps(o: Partial<StoreDeps> = {}): StoreDeps {
  return { r2: {} as R2Bucket, r2BucketName: "bridge-evidence", secret: (n) => secrets[n], allowInsecureEndpoints: true, ...o };
}

const s3Config = (o: Record<string, unknown> = {}) => ({
  provider: "s3", endpoint: s3Endpoint, region: "auto", bucket: "tenant-evidence", path_style: true,
  access_key_id_ref: "S3_KEY_ID", secret_access_key_ref: "S3_SECRET", ...o,
}) as EvidenceStoreConfig;

describe("evidenceStoreFor", () => {
  it("builds the R2 store when nothing or r2 is configured", () => {
    for (const config of [undefined, { provider: "r2" } as const]) {
      const res = evidenceStoreFor(config, deps());
      expect(res.ok && [res.value.provider, res.value.bucket]).toEqual(["r2", "bridge-evidence"]);
    }
  });

  it("builds a working S3 store with credentials read from the named secrets", async () => {
    const res = evidenceStoreFor(s3Config(), deps());
    if (!res.ok) throw new Error(res.error.detail);
    expect([res.value.provider, res.value.bucket]).toEqual(["s3", "tenant-evidence"]);
    expect(await res.value.put("probe/x", "x", { contentType: "text/plain", ifNoneMatch: true })).toMatchObject({ ok: true });
    expect(s3.object("tenant-evidence", "probe/x")?.body.toString()).toBe("x");
  });

  it("honours conditional_writes: false with a HEAD before each create-only write", async () => {
    const decoded = decodeTenantConfig({ evidence_store: s3Config({ conditional_writes: false }) });
    if (!decoded.ok) throw new Error(JSON.stringify(decoded.error));
    expect(decodeTenantConfig({ evidence_store: s3Config({ conditional_writes: "no" }) })).toMatchObject({ ok: false, error: [{ pointer: "/evidence_store/conditional_writes" }] });
    const res = evidenceStoreFor(decoded.value.evidence_store, deps());
    if (!res.ok) throw new Error(res.error.detail);
    const before = s3.log.length;
    expect(await res.value.put("probe/head-first", "x", { contentType: "text/plain", ifNoneMatch: true })).toMatchObject({ ok: true });
    expect(await res.value.put("probe/head-first", "y", { contentType: "text/plain", ifNoneMatch: true })).toEqual({ ok: false, error: { code: "exists" } });
    expect(s3.log.slice(before).map((r) => [r.method, r.headers["if-none-match"]])).toEqual([["HEAD", undefined], ["PUT", undefined], ["HEAD", undefined]]);
  });

  it("builds a working Azure store from the SAS secret", async () => {
    const res = evidenceStoreFor({ provider: "azure-blob", container_url: `${azureBase}/evidence`, sas_token_ref: "AZURE_SAS" }, deps());
    if (!res.ok) throw new Error(res.error.detail);
    expect(await res.value.put("probe/x", "x", { contentType: "text/plain", ifNoneMatch: true })).toMatchObject({ ok: true });
    expect(azure.blob("evidence", "probe/x")).toBeDefined();
  });

  it("names a missing secret without showing any secret value", () => {
    const res = evidenceStoreFor(s3Config({ secret_access_key_ref: "TENANT_A_S3_SECRET" }), deps());
    expect(res).toEqual({ ok: false, error: { code: "missing_secret", ref: "TENANT_A_S3_SECRET", detail: expect.stringContaining("TENANT_A_S3_SECRET") } });
    const az = evidenceStoreFor({ provider: "azure-blob", container_url: `${azureBase}/evidence`, sas_token_ref: "NOPE_SAS" }, deps());
    expect(az).toMatchObject({ ok: false, error: { code: "missing_secret", ref: "NOPE_SAS" } });
    const text = JSON.stringify([res, az]);
    for (const v of Object.values(secrets)) expect(text).not.toContain(v);
  });

  it("refuses http and private endpoints unless insecure endpoints are allowed", () => {
    const res = evidenceStoreFor(s3Config(), deps({ allowInsecureEndpoints: false }));
    expect(res).toMatchObject({ ok: false, error: { code: "endpoint_refused", detail: expect.stringContaining("https") } });
    const az = evidenceStoreFor({ provider: "azure-blob", container_url: "https://10.1.2.3/c", sas_token_ref: "AZURE_SAS" }, deps({ allowInsecureEndpoints: false }));
    expect(az).toMatchObject({ ok: false, error: { code: "endpoint_refused", detail: expect.stringContaining("private") } });
  });
});

describe("endpointRefusal", () => {
  it("allows https to public hosts only", () => {
    for (const ok of ["https://s3.eu-central-1.amazonaws.com", "https://acct.r2.cloudflarestorage.com", "https://acct.blob.core.windows.net/c", "https://8.8.8.8", "https://[2606:4700::1111]"]) {
      expect(endpointRefusal(ok, false), ok).toBeNull();
    }
    for (const bad of [
      "http://s3.amazonaws.com", "https://localhost", "https://minio", "https://x.localhost", "https://db.internal", "https://127.0.0.1",
      "https://2130706433", "https://10.0.0.5", "https://172.20.1.1", "https://192.168.1.1", "https://169.254.169.254", "https://100.64.0.1",
      "https://[::1]", "https://[fd00::1]", "https://[fe80::1]", "https://[::ffff:127.0.0.1]", "https://user:pw@s3.amazonaws.com", "ftp://x.example",
    ]) {
      expect(endpointRefusal(bad, false), bad).not.toBeNull();
    }
    expect(endpointRefusal("http://127.0.0.1:9000", true)).toBeNull();
    expect(endpointRefusal("ftp://127.0.0.1", true)).not.toBeNull();
  });
});
