/**
 * JWT algorithm confusion: a tenant's issuer publishes an RSA public key; tokens that try to pass
 * with HS256 keyed by that public key (as PEM, as JWK JSON, as its modulus), with `alg: none`,
 * with an embedded `jwk` or a `jku` pointing elsewhere, are all 401, and no config can allow
 * HMAC, `none` or a symmetric key in the first place.
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, createTenant, expectProblem, post } from "../fixtures/bridge.ts";

const ISSUER = "https://idp.confusion.example";
const AUDIENCE = "telemetry-bridge:jwt-conf";
const BODY = '{"alerts":[{"rule":"waf-blocks","count":1}],"latency_ms_p95":1}';
const enc = new TextEncoder();
let rsaPrivate: CryptoKey;
let publicJwk: JWK;
let publicPem: string;

const b64url = (bytes: Uint8Array | string) => btoa(String.fromCharCode(...(typeof bytes === "string" ? enc.encode(bytes) : bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const claims = () => ({ iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300, scope: "ingest" });

/** A token with any header, HMAC-SHA256-signed with `secret` (how an attacker would forge one). */
async function hmacToken(header: Record<string, unknown>, secret: Uint8Array): Promise<string> {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims()))}`;
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `${input}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(input))))}`;
}

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  rsaPrivate = pair.privateKey as CryptoKey;
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "rsa-1" };
  publicPem = await exportSPKI(pair.publicKey);
  await createTenant("jwt-conf", { jwt: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, jwks: { keys: [publicJwk] }, algorithms: ["RS256"], default_scopes: ["ingest"] }] } });
});

describe("JWT algorithm confusion", () => {
  it("accepts the issuer's real RS256 token (the baseline)", async () => {
    const t = await new SignJWT({ scope: "ingest" }).setProtectedHeader({ alg: "RS256", kid: "rsa-1" }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime("5m").sign(rsaPrivate);
    expect((await post("/v1/telemetry?asset=a", t, BODY)).status).toBe(200);
  });

  it("refuses HS256 keyed with the public key, alg none, and keys the token brings itself", async () => {
    const attacker = await generateKeyPair("RS256", { extractable: true });
    const attackerJwk = await exportJWK(attacker.publicKey);
    const forged = {
      "HS256, key = public key PEM": await hmacToken({ alg: "HS256", typ: "JWT", kid: "rsa-1" }, enc.encode(publicPem)),
      "HS256, key = public JWK JSON": await hmacToken({ alg: "HS256", kid: "rsa-1" }, enc.encode(JSON.stringify(publicJwk))),
      "HS256, key = modulus": await hmacToken({ alg: "HS256", kid: "rsa-1" }, enc.encode(publicJwk.n!)),
      "HS512, key = public key PEM": await hmacToken({ alg: "HS512", kid: "rsa-1" }, enc.encode(publicPem)),
      "alg none": `${b64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${b64url(JSON.stringify(claims()))}.`,
      "alg None, signature kept": `${b64url(JSON.stringify({ alg: "None" }))}.${b64url(JSON.stringify(claims()))}.c2ln`,
      "embedded jwk": await new SignJWT({ scope: "ingest" }).setProtectedHeader({ alg: "RS256", jwk: attackerJwk }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime("5m").sign(attacker.privateKey),
      "jku elsewhere": await new SignJWT({ scope: "ingest" }).setProtectedHeader({ alg: "RS256", kid: "rsa-1", jku: "https://attacker.example/jwks" }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime("5m").sign(attacker.privateKey),
    };
    for (const [what, token] of Object.entries(forged)) {
      const problem = await expectProblem(await post("/v1/telemetry?asset=a", token, BODY), 401);
      expect(JSON.stringify(problem), what).not.toContain(token.slice(-20));
    }
  });

  it("never lets a config allow HMAC or none, or register a symmetric or private key", async () => {
    const issuer = (o: Record<string, unknown>) => ({ jwt: { issuers: [{ issuer: ISSUER, audience: "conf2:jwt-conf", jwks: { keys: [publicJwk] }, ...o }] } });
    const cases: [Record<string, unknown>, string][] = [
      [issuer({ algorithms: ["HS256"] }), "/jwt/issuers/0/algorithms/0"],
      [issuer({ algorithms: ["none"] }), "/jwt/issuers/0/algorithms/0"],
      [issuer({ jwks: { keys: [{ kty: "oct", k: b64url(publicPem) }] } }), "/jwt/issuers/0/jwks"],
      [issuer({ jwks: { keys: [{ ...(await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey)) }] } }), "/jwt/issuers/0/jwks"],
    ];
    for (const [config, pointer] of cases) {
      const problem = await expectProblem(await admin("/v1/admin/tenants/jwt-conf/config", "PUT", config), 422);
      expect((problem.errors as { pointer: string }[]).map((e) => e.pointer).join(" "), pointer).toContain(pointer);
    }
  });
});
