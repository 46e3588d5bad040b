/**
 * Keys and secrets never leave in logs, errors, metrics, request and audit logs, DLQ listings or
 * bundles. Every secret the deployment holds is planted (ADMIN_TOKEN, API keys, JWTs, tail tokens,
 * the signing keys' private parts, S3/Azure store credentials, the FixOps key, the webhook
 * secret); then a run that fails in every way it can (bad credentials, failing FixOps, webhook and
 * evidence store, store probes with wrong secrets, push keys in query strings) is captured:
 * every console line of the Worker and its Durable Objects, and every answer, is searched.
 * Only the two answers whose job is to hand out a credential (key creation, tail token) may hold one.
 */
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import worker from "../../workers/index.ts";
import { ADMIN_TOKEN, call, createKey, createTenant, env, gunzipText, secretOf } from "../fixtures/bridge.ts";
import { FAKE_STORE_CREDENTIALS as CREDS } from "../support/fake-stores-setup.ts";
import testKeys from "../fixtures/test-signing-keys.json";

const fakes = inject("fakeStores");
const AZURE_SIG = "planted-azure-sig-5521";
const PLANTED_ENV = {
  ...env, ALLOW_INSECURE_STORE_ENDPOINTS: "true", TAIL_TOKEN_SECRET: "planted-tail-secret-8812",
  T_S3_KEY_ID: CREDS.s3AccessKeyId, T_S3_SECRET: CREDS.s3Secret, T_S3_WRONG: "planted-wrong-s3-secret-1205",
  T_AZURE_SAS: `sv=2023-11-03&sr=c&sp=rcwdl&se=2099-01-01T00:00:00Z&sig=${AZURE_SIG}`,
};
/** Values that must never be seen; API keys, JWTs and tail tokens are added as they are made. */
const secrets = new Set<string>([
  ADMIN_TOKEN, "fixops-test-key-not-a-secret", "webhook-test-secret-not-a-secret", "down-store-secret-not-a-secret",
  CREDS.s3Secret, "planted-wrong-s3-secret-1205", AZURE_SIG, "planted-tail-secret-8812",
  ...(testKeys.keys as { d: string }[]).map((k) => k.d),
]);
const logs: string[] = [];
const answers: { what: string; text: string }[] = [];

async function record(what: string, res: Response): Promise<Response> {
  const lines: string[] = [];
  res.headers.forEach((v, k) => void lines.push(`${k}: ${v}`));
  const headers = lines.join("\n");
  const body = res.webSocket ? "" : new TextDecoder().decode(await res.clone().arrayBuffer());
  answers.push({ what, text: `${res.status}\n${headers}\n${body}` });
  return res;
}

async function req(path: string, credential: string | null, init: RequestInit & { scheme?: string } = {}): Promise<Response> {
  const headers = { ...(credential ? { Authorization: `${init.scheme ?? "Bearer"} ${credential}` } : {}), "Content-Type": "application/json", ...init.headers };
  return record(`${init.method ?? "GET"} ${path}`, await call(path, { ...init, headers }));
}

/** Through the Worker with the planted deployment env (store secrets, tail secret). */
async function planted(path: string, credential: string, body?: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch!(new Request(`http://bridge.test${path}`, {
    method: body === undefined ? "GET" : "POST", headers: { Authorization: `Bearer ${credential}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }) as Request<unknown, IncomingRequestCfProperties>, PLANTED_ENV as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return record(path, res);
}

beforeAll(() => {
  for (const m of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logs.push(a.map((x) => (typeof x === "string" ? x : (() => { try { return JSON.stringify(x) ?? String(x); } catch { return String(x); } })())).join(" ")));
  }
});
afterAll(() => vi.restoreAllMocks());

describe("secrets", () => {
  it("appear in no log line, error, listing, metric or bundle across a run that fails every way it can", async () => {
    await fetch("https://fixops.test/__script/sec-down", { method: "PUT", body: JSON.stringify([503, "net", 500, 503, 503, 503, 503]) });
    await createTenant("sec-t", {
      alert_rules: [{ name: "errors", type: "level", levels: ["ERROR"] }],
      alert_webhook: { url: "https://fixops.test/ingest/sec-down", secret_ref: "ALERT_WEBHOOK_TEST_SECRET" },
      forwarding: { mode: "http", fixops_url: "https://fixops.test/ingest/sec-down", api_key_secret_ref: "FIXOPS_TEST_API_KEY", interval_seconds: 60 },
      evidence_store: { provider: "s3", endpoint: "https://s3.down.test", region: "auto", bucket: "evidence-bucket", path_style: true, access_key_id_ref: "EVIDENCE_TEST_S3_KEY_ID", secret_access_key_ref: "EVIDENCE_TEST_S3_SECRET" },
    });
    const created = await req("/v1/admin/tenants/sec-t/keys", ADMIN_TOKEN, { method: "POST", body: JSON.stringify({ scopes: ["ingest", "read", "evidence", "metrics", "admin"] }) });
    answers.pop(); // the one answer that shows the key
    const key = ((await created.json()) as { key: string }).key;
    secrets.add(key).add(secretOf(key));
    const pair = await generateKeyPair("ES256", { extractable: true });
    await req("/v1/admin/tenants/sec-t/config", ADMIN_TOKEN, { method: "PUT", body: JSON.stringify({ ...(await (await call("/v1/admin/tenants/sec-t/config", { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json() as object), jwt: { issuers: [{ issuer: "https://idp.sec", audience: "sec-t", jwks: { keys: [await exportJWK(pair.publicKey)] }, default_scopes: ["ingest", "read"] }] } }) });
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setIssuer("https://idp.sec").setAudience("sec-t").setExpirationTime("5m").sign(pair.privateKey);
    const badJwt = await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setIssuer("https://idp.sec").setAudience("sec-t").setExpirationTime("5m").sign((await generateKeyPair("ES256")).privateKey);
    secrets.add(jwt).add(badJwt);

    // Ingest that works, with the key in headers, in ?key= (push sources) and as a JWT.
    await req("/v1/logs?asset=a", key, { method: "POST", body: JSON.stringify([{ level: "error", message: "boom" }, { n: 2 }]) });
    await req("/v1/logs?asset=a", jwt, { method: "POST", body: "{}" });
    await req(`/v1/ingest/gcp/pubsub?key=${key}`, null, { method: "POST", body: JSON.stringify({ message: { data: btoa('{"n":1}'), messageId: "m1" } }) });
    await req(`/v1/ingest/azure/eventhub?key=${encodeURIComponent(key)}`, null, { method: "POST", body: "not json" });
    await req("/services/collector/event", key, { method: "POST", scheme: "Splunk", body: '{"event":"x"}' });
    await record("firehose", await call("/v1/ingest/aws/firehose", { method: "POST", headers: { "X-Amz-Firehose-Access-Key": key.slice(0, -1) + "x" }, body: "{}" }));
    // Every kind of bad credential.
    for (const bad of [key.slice(0, -2) + "zz", key + "x", key.replace("sec-t", "sec-u"), ADMIN_TOKEN + "x", ADMIN_TOKEN.slice(0, -1), badJwt, `${jwt}x`]) {
      secrets.add(bad);
      await req("/v1/logs", bad, { method: "POST", body: "{}" });
      await req("/v1/admin/tenants/sec-t/keys", bad);
      await req("/metrics", bad);
      await req("/v1/assets/a/tail", bad, { headers: { Upgrade: "websocket" } });
    }
    // Tail tokens: one made, one forged, one expired-looking.
    const tokenRes = await planted("/v1/assets/a/tail/token", key, {});
    answers.pop(); // the one answer that shows the token
    const token = ((await tokenRes.json()) as { token: string }).token;
    secrets.add(token);
    await req(`/v1/assets/a/tail?token=${encodeURIComponent(token.slice(0, -4) + "AAAA")}`, null, { headers: { Upgrade: "websocket" } });
    // Evidence into a store that is down (pending, retried by the alarm); FixOps and the webhook failing.
    await req("/v1/assets/a/evidence?since=0", key);
    const stub = env.ASSET_LOG.getByName(assetObjectName("sec-t", "a"));
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      for (let i = 1; i <= 8; i++) {
        vi.setSystemTime(Date.now() + 20 * 60_000);
        await runDurableObjectAlarm(stub);
      }
    } finally {
      vi.useRealTimers();
    }
    // Store probes with good, wrong and missing secrets, S3 and Azure.
    const s3 = { provider: "s3", endpoint: fakes.s3Endpoint, region: fakes.s3Region, bucket: fakes.s3Bucket, path_style: true, access_key_id_ref: "T_S3_KEY_ID" };
    for (const ref of ["T_S3_SECRET", "T_S3_WRONG", "T_NOT_SET"]) await planted("/v1/admin/tenants/sec-t/evidence-store/test", ADMIN_TOKEN, { evidence_store: { ...s3, secret_access_key_ref: ref } });
    await planted("/v1/admin/tenants/sec-t/evidence-store/test", ADMIN_TOKEN, { evidence_store: { provider: "azure-blob", container_url: `${fakes.azureBase}/${fakes.azureContainer}`, sas_token_ref: "T_AZURE_SAS" } });
    await planted("/v1/admin/tenants/sec-t/evidence-store/test", ADMIN_TOKEN, { evidence_store: { provider: "azure-blob", container_url: `${fakes.azureBase}/no-such-container`, sas_token_ref: "T_AZURE_SAS" } });
    // Everything an operator or tenant reads back.
    for (const path of ["/v1/assets/a/forwarding/dlq", "/v1/assets/a/alerts", "/v1/assets/a/bundles", "/v1/assets/a/summary", "/v1/assets", "/metrics"]) await req(path, key);
    for (const path of ["/metrics", "/v1/admin/tenants/sec-t", "/v1/admin/tenants/sec-t/config", "/v1/admin/tenants/sec-t/keys", "/v1/admin/tenants/sec-t/audit", "/v1/admin/tenants/sec-t/requests", "/.well-known/jwks.json"]) await req(path, ADMIN_TOKEN);
    // The bundles as stored (the store was down, so they fell back nowhere: list what R2 holds too).
    for (const o of (await env.EVIDENCE.list({ prefix: "evidence/sec-t/" })).objects) {
      const bytes = new Uint8Array(await (await env.EVIDENCE.get(o.key))!.arrayBuffer());
      answers.push({ what: o.key, text: o.key.endsWith(".gz") ? await gunzipText(bytes) : new TextDecoder().decode(bytes) });
    }

    // The run did fail in the ways meant: rejections, store, FixOps and webhook failures were logged.
    const all = logs.join("\n");
    expect(all).toMatch(/JwtRejected/);
    expect(all).toMatch(/EvidenceStoreTested|EvidenceUpload|Upload/);
    expect(answers.some((a) => a.text.startsWith("401"))).toBe(true);
    expect(answers.some((a) => a.text.startsWith("502"))).toBe(true);
    expect(answers.some((a) => a.text.startsWith("202"))).toBe(true);
    // FixOps and the webhook were called (and answered 503 or failed), with the key and the signature.
    expect(((await (await fetch("https://fixops.test/__requests/sec-down")).json()) as unknown[]).length).toBeGreaterThan(0);
    // Whole secrets, and pieces of them (a truncated secret in a log is still a leak).
    const pieces = [...secrets].flatMap((s) => (s.length <= 24 ? [s] : [s.slice(-16), s.slice(s.length / 2 - 8, s.length / 2 + 8)]));
    for (const p of pieces) {
      expect(all.includes(p), `a log line holds ${p}`).toBe(false);
      for (const a of answers) expect(a.text.includes(p), `${a.what} holds ${p}`).toBe(false);
    }
  }, 60_000);
});
