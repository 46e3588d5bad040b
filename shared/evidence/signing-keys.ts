/**
 * Ed25519 evidence signing keys as JWKs (RFC 8037), with RFC 7638 thumbprints as
 * `kid`. WebCrypto only, so it runs in workerd, Node 22 and browsers alike.
 */
import { toBase64Url } from "../hex.ts";

export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "Ed25519";
  use: "sig";
}

export interface Ed25519PrivateJwk extends Ed25519PublicJwk {
  d: string;
}

/** RFC 7638 thumbprint of an OKP key: SHA-256 over {"crv","kty","x"} in that order, base64url. */
export async function jwkThumbprint(jwk: { crv: string; kty: string; x: string }): Promise<string> {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical))));
}

/** A new private signing key, with `kid` set to its thumbprint. */
export async function generateSigningKey(): Promise<Ed25519PrivateJwk> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  if (!jwk.x || !jwk.d) throw new Error("Ed25519 key export lacks x or d");
  const base = { kty: "OKP" as const, crv: "Ed25519" as const, x: jwk.x };
  return { ...base, d: jwk.d, kid: await jwkThumbprint(base), alg: "Ed25519", use: "sig" };
}

/** The public half of a private JWK (what /.well-known/jwks.json publishes). */
export function publicJwk(jwk: Ed25519PrivateJwk): Ed25519PublicJwk {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: jwk.alg, use: jwk.use };
}

/** Parsed EVIDENCE_SIGNING_KEYS: the active (first) key to sign with, and every public key. */
export interface SigningKeySet {
  active: { kid: string; key: CryptoKey };
  publicKeys: Ed25519PublicJwk[];
}

function isPrivateJwk(k: unknown): k is { kty: string; crv: string; x: string; d: string; kid?: string } {
  const j = k as Record<string, unknown>;
  return typeof j === "object" && j !== null && j.kty === "OKP" && j.crv === "Ed25519" && typeof j.x === "string" && typeof j.d === "string";
}

/**
 * Parse the secret. Errors name the problem, never the key material. `kid` is always
 * recomputed as the RFC 7638 thumbprint, whatever the secret says.
 */
export async function parseSigningKeys(secret: string | undefined): Promise<{ ok: true; value: SigningKeySet } | { ok: false; error: string }> {
  if (!secret) return { ok: false, error: "EVIDENCE_SIGNING_KEYS is not set" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    return { ok: false, error: "EVIDENCE_SIGNING_KEYS is not JSON" };
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) return { ok: false, error: "EVIDENCE_SIGNING_KEYS has no keys array" };
  const publicKeys: Ed25519PublicJwk[] = [];
  let active: SigningKeySet["active"] | undefined;
  for (const [i, k] of keys.entries()) {
    if (!isPrivateJwk(k)) return { ok: false, error: `EVIDENCE_SIGNING_KEYS key ${i} is not a private Ed25519 OKP JWK` };
    const kid = await jwkThumbprint(k);
    publicKeys.push({ kty: "OKP", crv: "Ed25519", x: k.x, kid, alg: "Ed25519", use: "sig" });
    if (i === 0) {
      try {
        const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: k.x, d: k.d }, { name: "Ed25519" }, false, ["sign"]);
        active = { kid, key };
      } catch {
        return { ok: false, error: "EVIDENCE_SIGNING_KEYS key 0 cannot be imported" };
      }
    }
  }
  return { ok: true, value: { active: active!, publicKeys } };
}

/** Import the public keys of a JWKS for verification, by kid (recomputed, so a lying kid cannot alias). */
export async function importJwks(jwks: unknown): Promise<Map<string, CryptoKey>> {
  const out = new Map<string, CryptoKey>();
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) return out;
  for (const k of keys as Record<string, unknown>[]) {
    if (k?.kty !== "OKP" || k.crv !== "Ed25519" || typeof k.x !== "string") continue;
    const kid = await jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: k.x });
    try {
      out.set(kid, await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: k.x }, { name: "Ed25519" }, true, ["verify"]));
    } catch {
      // not a usable key: leave it out, signatures by it will read as unknown_key
    }
  }
  return out;
}
