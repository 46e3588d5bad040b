/**
 * Live tail tokens. Browsers cannot set headers on a WebSocket, so a client holding a `read`
 * credential asks `POST /v1/assets/{asset}/tail/token` for a token that opens
 * `GET /v1/assets/{asset}/tail?token=` within TAIL_TOKEN_TTL_MS. The token, never the key, is
 * what travels in the URL.
 *
 * Format: `tt1.<payload>.<mac>` (base64url), payload `{"a":asset,"exp":epoch ms,"k":key id,"t":tenant}`,
 * mac = HMAC-SHA256("tt1." + payload). The MAC key is derived with HKDF-SHA256 from
 * TAIL_TOKEN_SECRET, or, when that is unset, from ADMIN_TOKEN under another info label: the admin
 * token is never itself a MAC key, and tokens made under one source never verify under the other.
 */
import { fromBase64, toBase64Url } from "../../shared/hex.ts";
import { TAIL_TOKEN_TTL_MS } from "../../shared/limits.ts";
import { err, ok, type Result } from "../../shared/result.ts";
import type { Env } from "../../durable-objects/env.ts";

const enc = new TextEncoder();
const PREFIX = "tt1.";
const MAX_TOKEN_CHARS = 2048;
const HKDF_SALT = enc.encode("telemetry-bridge");
const INFO = {
  TAIL_TOKEN_SECRET: "telemetry-bridge/tail-token/v1",
  ADMIN_TOKEN: "telemetry-bridge/tail-token/v1/from-admin-token",
} as const;

export interface TailGrant {
  tenant: string;
  asset: string;
  keyId: string;
  /** Expiry, epoch ms. */
  exp: number;
}

let cached: { source: string; secret: string; key: Promise<CryptoKey> } | undefined;

/** The HMAC key for this deployment, or null when neither secret is set. */
function macKey(env: Env): Promise<CryptoKey> | null {
  const source = env.TAIL_TOKEN_SECRET ? "TAIL_TOKEN_SECRET" : env.ADMIN_TOKEN ? "ADMIN_TOKEN" : null;
  if (!source) return null;
  const secret = env[source]!;
  if (cached?.source === source && cached.secret === secret) return cached.key;
  const key = crypto.subtle
    .importKey("raw", enc.encode(secret), "HKDF", false, ["deriveKey"])
    .then((base) => crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: HKDF_SALT, info: enc.encode(INFO[source]) },
      base, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign", "verify"],
    ));
  cached = { source, secret, key };
  return key;
}

/** Whether this deployment can make tail tokens. */
export function tailTokensEnabled(env: Env): boolean {
  return Boolean(env.TAIL_TOKEN_SECRET || env.ADMIN_TOKEN);
}

/** A token for (tenant, asset, key id), valid TAIL_TOKEN_TTL_MS from `nowMs`; null when no secret is configured. */
export async function mintTailToken(env: Env, grant: Omit<TailGrant, "exp">, nowMs: number): Promise<{ token: string; exp: number } | null> {
  const key = macKey(env);
  if (!key) return null;
  const exp = nowMs + TAIL_TOKEN_TTL_MS;
  const payload = toBase64Url(enc.encode(JSON.stringify({ a: grant.asset, exp, k: grant.keyId, t: grant.tenant })));
  const mac = await crypto.subtle.sign("HMAC", await key, enc.encode(PREFIX + payload));
  return { token: `${PREFIX}${payload}.${toBase64Url(new Uint8Array(mac))}`, exp };
}

/** Check a token's MAC and expiry; the caller checks that it names the requested asset. */
export async function verifyTailToken(env: Env, token: string, nowMs: number): Promise<Result<TailGrant, "invalid" | "expired">> {
  const key = macKey(env);
  if (!key || token.length > MAX_TOKEN_CHARS || !token.startsWith(PREFIX)) return err("invalid");
  const parts = token.slice(PREFIX.length).split(".");
  if (parts.length !== 2) return err("invalid");
  const [payload, macText] = parts as [string, string];
  const mac = fromBase64(macText);
  // crypto.subtle.verify compares in constant time.
  if (!mac || !(await crypto.subtle.verify("HMAC", await key, mac, enc.encode(PREFIX + payload)))) return err("invalid");
  const bytes = fromBase64(payload);
  let claims: unknown;
  try {
    claims = bytes ? JSON.parse(new TextDecoder().decode(bytes)) : null;
  } catch {
    return err("invalid");
  }
  const c = claims as { a?: unknown; exp?: unknown; k?: unknown; t?: unknown } | null;
  if (!c || typeof c.a !== "string" || typeof c.t !== "string" || typeof c.k !== "string" || !Number.isSafeInteger(c.exp)) return err("invalid");
  if ((c.exp as number) <= nowMs) return err("expired");
  return ok({ tenant: c.t, asset: c.a, keyId: c.k, exp: c.exp as number });
}
