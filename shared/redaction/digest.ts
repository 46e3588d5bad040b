/**
 * `redactionProfileDigest`: a stable name for the redaction that applied to a record, for
 * evidence bundle predicates. SHA-256 hex of the JCS of the effective profile: selectors
 * lowercased, de-duplicated and sorted (matching ignores case and order), built-in patterns
 * that are on, custom patterns in order (their order decides overlaps), the string bound, and
 * how values are hashed: the salt's secret name is included, the salt itself never.
 * Two configs that redact the same way have the same digest; changing any of these changes it.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { canonicalize } from "../evidence/jcs.ts";
import { toHex } from "../hex.ts";
import { BUILTIN_PATTERNS, type RedactionProfile } from "./profile.ts";

/** Bumped whenever what a profile does changes meaning (matching, hash input, token format). */
export const REDACTION_ALGORITHM_VERSION = 1;

const normal = (list: readonly string[] | undefined) => [...new Set((list ?? []).map((s) => s.toLowerCase()))].sort();

/** The profile as it behaves, in one canonical shape. */
export function effectiveRedactionProfile(p: RedactionProfile): Record<string, unknown> {
  return {
    version: REDACTION_ALGORITHM_VERSION,
    drop_keys: normal(p.drop_keys),
    hash_keys: normal(p.hash_keys),
    allow_keys: p.allow_keys ? normal(p.allow_keys) : null,
    patterns: Object.fromEntries(BUILTIN_PATTERNS.filter((n) => p.patterns?.[n]).map((n) => [n, p.patterns![n]])),
    custom_patterns: (p.custom_patterns ?? []).map((c) => ({ name: c.name, pattern: c.pattern, action: c.action })),
    max_string_length: p.max_string_length ?? null,
    hash: p.hash_salt_ref ? { alg: "hmac-sha256", salt_ref: p.hash_salt_ref } : { alg: "sha256" },
  };
}

// Every ingest request of a tenant with a profile asks; configs (and so profiles) are cached per
// isolate with the credential, so this is JCS + SHA-256 once per profile object, not per request.
const digests = new WeakMap<RedactionProfile, string>();

/** Digest of a tenant config's redaction profile; null when it has none (nothing is redacted). */
export function redactionProfileDigest(config: { redaction?: RedactionProfile } | undefined): string | null {
  const p = config?.redaction;
  if (!p) return null;
  let d = digests.get(p);
  if (d === undefined) digests.set(p, (d = toHex(sha256(new TextEncoder().encode(canonicalize(effectiveRedactionProfile(p)))))));
  return d;
}
