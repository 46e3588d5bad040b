/**
 * One endpoint policy for every outbound URL (stores, FixOps, webhooks, exports, JWKS): config time
 * refuses private, link-local and internal hosts outright (loopback passes, for local
 * development), and the call-time check refuses loopback and http too unless the deployment sets
 * ALLOW_INSECURE_STORE_ENDPOINTS. Both read the same host classification.
 */
import { describe, expect, it } from "vitest";
import { decodeTenantConfig } from "../../shared/tenant-config.ts";
import { endpointRefusal, isLoopbackHost, isPrivateHost } from "../../shared/storage/endpoint-policy.ts";

const PRIVATE = [
  "https://10.0.0.5", "https://172.20.1.1", "https://192.168.1.1", "https://169.254.169.254/latest/meta-data", "https://100.64.0.1",
  "https://0.0.0.0", "https://224.0.0.1", "https://255.255.255.255", "https://metadata.google.internal", "https://printer.local", "https://minio",
  "https://[fd00::1]", "https://[fe80::1]", "https://[fec0::1]", "https://[ff02::1]", "https://[::ffff:10.0.0.1]", "https://[::10.0.0.1]",
  "https://[64:ff9b::a00:1]", "https://[2002:a00:1::]", "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "https://[::]",
  // Other spellings of 169.254.169.254 and 10.0.0.1 that the URL parser normalises.
  "https://0xa9fea9fe", "https://2852039166", "https://0251.0376.0251.0376", "https://10.1", "https://0x0a.0.0.1",
];
const LOOPBACK = ["https://127.0.0.1", "http://127.0.0.1:9000", "https://127.1", "https://2130706433", "https://0x7f000001", "https://localhost", "https://a.localhost", "https://[::1]"];
const PUBLIC = ["https://s3.eu-central-1.amazonaws.com", "https://acct.blob.core.windows.net/c", "https://fixops.example/api", "https://8.8.8.8", "https://[2606:4700::1111]"];

/** Every URL field of a tenant config, set to `url` (with what else each section needs). */
function configWith(url: string): [Record<string, unknown>, string][] {
  const s3 = { provider: "s3", region: "auto", bucket: "evidence-bucket", path_style: true, access_key_id_ref: "K", secret_access_key_ref: "S" };
  return [
    [{ forwarding: { mode: "http", fixops_url: url } }, "/forwarding/fixops_url"],
    [{ alert_webhook: { url, secret_ref: "HOOK_SECRET" } }, "/alert_webhook/url"],
    [{ evidence_store: { ...s3, endpoint: url } }, "/evidence_store/endpoint"],
    [{ evidence_store: { provider: "azure-blob", container_url: `${url}/c`, sas_token_ref: "SAS" } }, "/evidence_store/container_url"],
    [{ jwt: { issuers: [{ issuer: "https://idp.example", audience: "t", jwks_url: `${url}/jwks` }] } }, "/jwt/issuers/0/jwks_url"],
    [{ exports: [{ name: "siem", type: "splunk_hec", url: `${url}/services/collector`, token_ref: "HEC_TOKEN" }] }, "/exports/0/url"],
  ];
}

const pointers = (config: Record<string, unknown>) => {
  const r = decodeTenantConfig(config);
  return r.ok ? [] : r.error.map((e) => e.pointer);
};

describe("outbound endpoint policy", () => {
  it("classifies hosts: private and internal, loopback, public", () => {
    for (const u of PRIVATE) expect(isPrivateHost(new URL(u).hostname), u).toBe(true);
    for (const u of LOOPBACK) expect([isPrivateHost(new URL(u).hostname), isLoopbackHost(new URL(u).hostname)], u).toEqual([true, true]);
    for (const u of PUBLIC) expect(isPrivateHost(new URL(u).hostname), u).toBe(false);
  });

  it("refuses private, link-local and internal hosts in every configured URL", () => {
    for (const url of PRIVATE) for (const [config, pointer] of configWith(url)) expect(pointers(config), url).toContain(pointer);
    for (const url of PUBLIC) for (const [config, pointer] of configWith(url)) expect(pointers(config), url).not.toContain(pointer);
  });

  it("lets loopback be configured (local development) but refuses it, and http, at call time unless allowed", () => {
    for (const url of LOOPBACK) {
      for (const [config, pointer] of configWith(url)) expect(pointers(config), url).not.toContain(pointer);
      expect(endpointRefusal(url, false), url).toMatch(/https|loopback/);
      expect(endpointRefusal(url, true), url).toBeNull();
    }
    expect(endpointRefusal("http://fixops.example", false)).toMatch(/https/);
    for (const url of PRIVATE) expect(endpointRefusal(url, false), url).not.toBeNull();
    for (const url of PUBLIC) expect(endpointRefusal(url, false), url).toBeNull();
  });
});
