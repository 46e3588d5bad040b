/** JWT bearer tokens from a tenant-registered issuer: accepted when valid, 401 for every kind of bad token. */
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, createTenant, expectProblem, getWithKey, post } from "../fixtures/bridge.ts";

const ISSUER = "https://idp.example.com";
const AUDIENCE = "telemetry-bridge:jwt-a";
const SUMMARY = '{"alerts":[{"rule":"waf-blocks","count":5}],"latency_ms_p95":125}';

let signingKey: CryptoKey;
let strangerKey: CryptoKey;
let rsaKey: CryptoKey;

async function token(claims: Record<string, unknown>, opts: { key?: CryptoKey; alg?: string; iss?: string; aud?: string; exp?: number | string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? "ES256" })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setSubject("svc-shipper")
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "5m")
    .sign(opts.key ?? signingKey);
}

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  signingKey = pair.privateKey as CryptoKey;
  strangerKey = (await generateKeyPair("ES256")).privateKey as CryptoKey;
  rsaKey = (await generateKeyPair("RS256")).privateKey as CryptoKey;
  const jwk: JWK = await exportJWK(pair.publicKey);
  await createTenant("jwt-a", {
    jwt: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [jwk] }, algorithms: ["ES256"], scope_map: { "telemetry.write": ["ingest"], "telemetry.audit": ["evidence"] } }] },
  });
  await createTenant("jwt-b");
});

describe("JWT bearer tokens", () => {
  it("accepts a valid token as the tenant's principal, with mapped scopes", async () => {
    const t = await token({ scope: "telemetry.write" });
    const res = await post("/v1/telemetry?asset=fw", t, SUMMARY);
    expect(res.status).toBe(200);
    // Mapped scopes only: this token cannot read evidence.
    await expectProblem(await getWithKey("/v1/assets/fw/evidence", t), 403);
    const auditor = await token({ scope: "telemetry.audit" });
    const evidence = (await (await getWithKey("/v1/assets/fw/evidence?since=0", auditor)).json()) as any;
    expect(evidence.metadata.line_count).toBe(1);
    expect(evidence.upload.key.startsWith("evidence/jwt-a/")).toBe(true);
  });

  it("rejects a bad signature, wrong issuer, wrong audience, expiry, alg none and an unexpected alg with 401", async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${btoa(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: now + 300, scope: "telemetry.write" })).replace(/=+$/, "")}.`;
    const bad = {
      "bad signature": await token({ scope: "telemetry.write" }, { key: strangerKey }),
      "wrong issuer": await token({ scope: "telemetry.write" }, { iss: "https://evil.example" }),
      "wrong audience": await token({ scope: "telemetry.write" }, { aud: "someone-else" }),
      expired: await token({ scope: "telemetry.write" }, { exp: now - 120 }),
      "alg none": unsigned,
      "unexpected alg": await token({ scope: "telemetry.write" }, { key: rsaKey, alg: "RS256" }),
      "tampered payload": (await token({ scope: "telemetry.write" })).replace(/\.([^.]+)\./, (_m, p: string) => `.${p.slice(0, -2)}AA.`),
    };
    for (const [what, t] of Object.entries(bad)) {
      const problem = await expectProblem(await post("/v1/telemetry?asset=fw", t, SUMMARY), 401);
      expect(JSON.stringify(problem), what).not.toContain(t.slice(0, 40));
    }
  });

  it("gives tenant A's token nothing of tenant B", async () => {
    const bKey = (await (await admin("/v1/admin/tenants/jwt-b/keys", "POST", { scopes: ["ingest", "evidence"] })).json()) as any;
    await post("/v1/telemetry?asset=shared", bKey.key, SUMMARY);
    const aToken = await token({ scope: "telemetry.audit" });
    expect(await (await getWithKey("/v1/assets/shared/evidence?since=0", aToken)).json()).toMatchObject({ line_count: 0 });
    await expectProblem(await getWithKey("/v1/admin/tenants/jwt-b/keys", aToken), 403);
  });

  it("refuses an audience that does not name the tenant, and a pair another tenant holds", async () => {
    // B cannot claim A's audience: it does not name B.
    const theft = await expectProblem(await admin("/v1/admin/tenants/jwt-b/config", "PUT", { jwt: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks_url: "https://idp.example.com/jwks" }] } }), 422);
    expect(theft.errors).toEqual([{ pointer: "/jwt/issuers/0/audience", detail: expect.stringMatching(/jwt-b/) }]);
    // An audience naming both tenants belongs to whichever registered it first.
    const both = { jwt: { issuers: [{ issuer: ISSUER, audience: "shared:jwt-a:jwt-b", jwks_url: "https://idp.example.com/jwks" }] } };
    await createTenant("jwt-d");
    expect((await admin("/v1/admin/tenants/jwt-b/config", "PUT", both)).status).toBe(200);
    const a = (await (await admin("/v1/admin/tenants/jwt-a/config")).json()) as any;
    await expectProblem(await admin("/v1/admin/tenants/jwt-a/config", "PUT", { jwt: { issuers: [...a.jwt.issuers, both.jwt.issuers[0]] } }), 409);
    // The same pair twice in one config is a 422, not a crash.
    await expectProblem(await admin("/v1/admin/tenants/jwt-b/config", "PUT", { jwt: { issuers: [both.jwt.issuers[0], both.jwt.issuers[0]] } }), 422);
  });

  it("ignores scope claim values that only exist on Object.prototype", async () => {
    const t = await token({ scope: "constructor telemetry.write" });
    expect((await post("/v1/telemetry?asset=fw", t, SUMMARY)).status).toBe(200);
  });

  it("stops accepting a disabled tenant's tokens", async () => {
    await createTenant("jwt-c", { jwt: { issuers: [{ issuer: ISSUER, audience: "aud:jwt-c", jwks: { keys: [await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey)] } }] } });
    const pair = await generateKeyPair("ES256", { extractable: true });
    await admin("/v1/admin/tenants/jwt-c/config", "PUT", { jwt: { issuers: [{ issuer: ISSUER, audience: "aud:jwt-c", jwks: { keys: [await exportJWK(pair.publicKey)] }, default_scopes: ["ingest"] }] } });
    const t = await token({}, { key: pair.privateKey as CryptoKey, aud: "aud:jwt-c" });
    expect((await post("/v1/telemetry", t, SUMMARY)).status).toBe(200);
    await admin("/v1/admin/tenants/jwt-c", "PATCH", { status: "disabled" });
    await expectProblem(await post("/v1/telemetry", t, SUMMARY), 401);
  });
});
