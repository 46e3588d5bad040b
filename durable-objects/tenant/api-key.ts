/**
 * API key format: `tb_<tenant>_<key_id>_<secret>`. The tenant id in the key tells
 * the edge which Tenant DO to ask without a global index; the secret is 256 random bits.
 * Only SHA-256(key) is stored.
 */
import { randomBase64Url, toHex } from "../../shared/hex.ts";
import { TENANT_ID_RE } from "../../shared/scopes.ts";

const KEY_ID_BYTES = 8;
const SECRET_BYTES = 32;

export interface ParsedKey {
  tenant: string;
  keyId: string;
}

export function newApiKey(tenant: string): { keyId: string; key: string } {
  const keyId = toHex(crypto.getRandomValues(new Uint8Array(KEY_ID_BYTES)));
  return { keyId, key: `tb_${tenant}_${keyId}_${randomBase64Url(SECRET_BYTES)}` };
}

/** Split a presented key; null when it cannot be one of ours (no lookup is made then). */
export function parseApiKey(key: string): ParsedKey | null {
  const m = /^tb_([a-z0-9-]{1,63})_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/.exec(key);
  if (!m || !TENANT_ID_RE.test(m[1]!)) return null;
  return { tenant: m[1]!, keyId: m[2]! };
}

/** What list shows instead of the secret. */
export function maskedKey(tenant: string, keyId: string): string {
  return `tb_${tenant}_${keyId}_…`;
}
