/**
 * SSRF, through the API: private and link-local hosts cannot be configured for any outbound URL,
 * and loopback (configurable for local development) is refused when the bridge would call it,
 * in a deployment that does not set ALLOW_INSECURE_STORE_ENDPOINTS (the tests' default): the
 * FixOps and webhook sends fail as refused without a request, a JWT naming such a JWKS URL is
 * 401, an evidence store there is a 502 naming the policy.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { generateKeyPair, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import { admin, createTenant, env, expectProblem, getWithKey, post, tenantWithKey, createKey } from "../fixtures/bridge.ts";

afterEach(() => vi.restoreAllMocks());

describe("outbound URLs", () => {
  it("cannot name private, link-local or internal hosts in any config field", async () => {
    const problem = await expectProblem(await admin("/v1/admin/tenants", "POST", {
      tenant_id: "ssrf-cfg", config: {
        forwarding: { mode: "http", fixops_url: "https://169.254.169.254/latest/meta-data/" },
        alert_webhook: { url: "https://10.0.0.7/hook", secret_ref: "ALERT_WEBHOOK_TEST_SECRET" },
        jwt: { issuers: [{ issuer: "https://idp.example", audience: "ssrf-cfg", jwks_url: "https://metadata.google.internal/jwks" }] },
      },
    }), 422);
    expect((problem.errors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(["/config/alert_webhook/url", "/config/forwarding/fixops_url", "/config/jwt/issuers/0/jwks_url"]);
  });

  it("refuses loopback FixOps and webhook URLs when sending: no request, a refusal in the DLQ", async () => {
    const key = await tenantWithKey("ssrf-send", {
      alert_rules: [{ name: "errors", type: "level", levels: ["ERROR"] }],
      alert_webhook: { url: "https://127.0.0.1:9/hook", secret_ref: "ALERT_WEBHOOK_TEST_SECRET" },
      forwarding: { mode: "http", fixops_url: "https://127.0.0.1:9/fixops", api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 },
    });
    const reader = await createKey("ssrf-send", ["read"]);
    const sent = vi.spyOn(globalThis, "fetch");
    const t0 = Date.parse("2032-01-01T00:00:10Z");
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(t0);
      expect((await post("/v1/logs?asset=a", key, JSON.stringify({ level: "error", message: "x" }))).status).toBe(200);
      const stub = env.ASSET_LOG.getByName(assetObjectName("ssrf-send", "a"));
      for (let i = 1; i <= 8; i++) {
        vi.setSystemTime(t0 + i * 20 * 60_000);
        await runDurableObjectAlarm(stub);
      }
    } finally {
      vi.useRealTimers();
    }
    expect(sent.mock.calls.map((c) => String(c[0] instanceof Request ? c[0].url : c[0])).filter((u) => u.includes("127.0.0.1:9"))).toEqual([]);
    const dlq = (await (await getWithKey("/v1/assets/a/forwarding/dlq", reader)).json()) as { dead_letters: { last_error: string; payload: { target?: string } }[] };
    expect(dlq.dead_letters.length).toBeGreaterThanOrEqual(1);
    for (const d of dlq.dead_letters) expect(d.last_error).toMatch(/refused/);
  });

  it("refuses a JWT whose issuer's JWKS URL is loopback, without fetching it", async () => {
    await createTenant("ssrf-jwt", { jwt: { issuers: [{ issuer: "https://idp.ssrf", audience: "ssrf-jwt", jwks_url: "https://127.0.0.1:9/jwks", algorithms: ["ES256"], default_scopes: ["ingest"] }] } });
    const { privateKey } = await generateKeyPair("ES256");
    const token = await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setIssuer("https://idp.ssrf").setAudience("ssrf-jwt").setExpirationTime("5m").sign(privateKey);
    const logs: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((...a: unknown[]) => void logs.push(a.join(" ")));
    const sent = vi.spyOn(globalThis, "fetch");
    await expectProblem(await post("/v1/telemetry", token, '{"alerts":[],"latency_ms_p95":null}'), 401);
    expect(sent).not.toHaveBeenCalled();
    expect(logs.join("\n")).toContain("jwks_url_refused");
  });

  it("refuses a loopback evidence store with a 502 that names the policy", async () => {
    const key = await tenantWithKey("ssrf-store", {
      evidence_store: { provider: "s3", endpoint: "http://127.0.0.1:9", region: "auto", bucket: "evidence-bucket", path_style: true, access_key_id_ref: "EVIDENCE_TEST_S3_KEY_ID", secret_access_key_ref: "EVIDENCE_TEST_S3_SECRET" },
    });
    expect((await post("/v1/logs?asset=a", key, "{}")).status).toBe(200);
    const problem = await expectProblem(await getWithKey("/v1/assets/a/evidence?since=0", key), 502);
    expect(problem).toMatchObject({ reason: "config", detail: expect.stringMatching(/https|loopback/) });
  });
});
