/** POST /v1/ingest/gcp/pubsub: push deliveries, wrapped and unwrapped, with OIDC or a key. */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import wrapped from "../fixtures/samples/gcp-pubsub-push-wrapped.json?raw";
import logEntry from "../fixtures/samples/gcp-cloud-logging-entry.json?raw";
import { call, createKey, createTenant, expectProblem, tenantWithKey, storedLines } from "../fixtures/bridge.ts";

const ROUTE = "/v1/ingest/gcp/pubsub";
const GOOGLE = "https://accounts.google.com";
const PUSH_SA = "bridge-push@acme-prod.iam.gserviceaccount.com";

const stored = storedLines;

const push = (path: string, body: string, headers: Record<string, string> = {}) =>
  call(path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

describe("Pub/Sub push", () => {
  it("stores a wrapped Cloud Logging entry under its resource, with its time and severity, once", async () => {
    const key = await tenantWithKey("ps-wrapped");
    const res = await push(`${ROUTE}?key=${key}`, wrapped);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, accepted: 1, message_id: "13571113171923", assets: { "http_load_balancer/web-be": 1 } });
    const [line] = await stored(key, "http_load_balancer/web-be");
    expect(line).toMatchObject({ source: "gcp.pubsub", id: "13571113171923", ts: "2025-11-24T08:00:00.000Z" });
    expect(line.record).toEqual(JSON.parse(logEntry));
    // Pub/Sub redelivers with the same messageId: stored once.
    expect((await push(`${ROUTE}?key=${key}`, wrapped)).status).toBe(200);
    expect(await stored(key, "http_load_balancer/web-be")).toHaveLength(1);
  });

  it("takes unwrapped pushes with the metadata in headers", async () => {
    const key = await tenantWithKey("ps-unwrapped");
    const res = await push(ROUTE, JSON.stringify([{ asset: "app", severity: "ERROR", textPayload: "boom" }, { asset: "app", n: 2 }]), {
      Authorization: `Bearer ${key}`, "x-goog-pubsub-message-id": "m-1", "x-goog-pubsub-publish-time": "2026-01-01T00:00:00Z",
    });
    expect(res.status).toBe(200);
    const lines = await stored(key, "app");
    expect(lines.map((l) => [l.id, l.ts])).toEqual([["m-1:0", "2026-01-01T00:00:00.000Z"], ["m-1:1", "2026-01-01T00:00:00.000Z"]]);
  });

  it("answers permanently bad messages with 4xx problems and stores nothing", async () => {
    const key = await tenantWithKey("ps-bad");
    const cases: [string, Record<string, string>, number][] = [
      ['{"message":{"data":"%%%","messageId":"1"}}', {}, 400],
      ['{"message":{"data":"e30="}}', {}, 422],
      ['{"message":{"data":"e30="}}', { "x-goog-pubsub-message-id": "" }, 400],
      ['{"message":{"data":"eyJuIjoxZTQwMH0=","messageId":"2"}}', {}, 422],
    ];
    for (const [body, headers, status] of cases) await expectProblem(await push(`${ROUTE}?key=${key}&asset=bad`, body, headers), status);
    await expectProblem(await push(ROUTE, wrapped), 401);
    expect(await stored(key, "bad")).toEqual([]);
  });
});

describe("Pub/Sub push OIDC", () => {
  let googleKey: CryptoKey;
  let otherKey: CryptoKey;
  let readKey: string;
  const token = (claims: Record<string, unknown>, o: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number } = {}) =>
    new SignJWT({ email: PUSH_SA, email_verified: true, ...claims }).setProtectedHeader({ alg: "RS256", kid: "g1" })
      .setIssuer(o.iss ?? GOOGLE).setAudience(o.aud ?? "telemetry-bridge:ps-oidc").setIssuedAt().setExpirationTime(o.exp ?? "5m").sign(o.key ?? googleKey);

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256", { extractable: true });
    googleKey = pair.privateKey as CryptoKey;
    otherKey = (await generateKeyPair("RS256")).privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "g1", alg: "RS256" };
    // Google's JWKS comes from config (a fixture here): nothing is fetched.
    await createTenant("ps-oidc", { jwt: { issuers: [{ issuer: GOOGLE, audience: "telemetry-bridge:ps-oidc", jwks: { keys: [jwk] }, algorithms: ["RS256"], default_scopes: ["ingest"], required_claims: { email: PUSH_SA, email_verified: true } }] } });
    readKey = await createKey("ps-oidc", ["evidence", "read"]);
  });

  it("accepts the push service account's token", async () => {
    const res = await push(ROUTE, wrapped, { Authorization: `Bearer ${await token({})}` });
    expect(res.status).toBe(200);
    expect(await stored(readKey, "http_load_balancer/web-be")).toHaveLength(1);
  });

  it("rejects wrong audience, wrong issuer, expiry, an unknown key and another service account with 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await token({}, { aud: "telemetry-bridge:someone-else" }),
      await token({}, { iss: "https://evil.example" }),
      await token({}, { exp: now - 300 }),
      await token({}, { key: otherKey }),
      await token({ email: "attacker@evil.iam.gserviceaccount.com" }),
    ];
    for (const t of bad) await expectProblem(await push(ROUTE, wrapped, { Authorization: `Bearer ${t}` }), 401);
  });
});
