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
