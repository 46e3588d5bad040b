/**
 * A signed evidence bundle of N stored lines, built in plain Node with the production code
 * (storedLine, CompactRange, the JCS statement, DSSE over WebCrypto Ed25519, gzip), for the
 * verifier's tests and benchmark. `edit` may change a line after it was hashed (a tamper whose
 * digests are then fixed and re-signed, so only the Merkle check can catch it).
 */
import { gzipSync } from "node:zlib";
import { signEnvelope } from "../../shared/evidence/dsse.ts";
import { CompactRange } from "../../shared/evidence/merkle.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { generateSigningKey, jwkThumbprint, publicJwk } from "../../shared/evidence/signing-keys.ts";
import { buildStatement, MERKLE_ALG, PAYLOAD_TYPE, statementBytes, type EvidencePredicate } from "../../shared/evidence/statement.ts";
import { storedLine } from "../../shared/events.ts";
import { toHex } from "../../shared/hex.ts";

export interface SyntheticBundle {
  records: Uint8Array;
  statement: string;
  jwks: { keys: unknown[] };
  jsonl: Uint8Array;
  bundle_id: string;
  /** SHA-256 of the statement (the DSSE payload), as the next bundle's `previous` names it. */
  statement_sha256: string;
}

async function sha256Hex(b: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
}

export async function syntheticBundle(
  n: number, recordJcs: (seq: number, rts: number) => string, edit?: (seq: number, line: string) => string,
  opts: { rts?: number; jwk?: Awaited<ReturnType<typeof generateSigningKey>>; bundleId?: string; previous?: SyntheticBundle } = {},
): Promise<SyntheticBundle> {
  const jwk = opts.jwk ?? (await generateSigningKey());
  const kid = await jwkThumbprint(jwk);
  const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d }, { name: "Ed25519" }, false, ["sign"]);
  const enc = new TextEncoder();
  const tree = new CompactRange(0, [], nodeHasher);
  const parts: string[] = [];
  const rts = opts.rts ?? Date.now();
  for (let seq = 0; seq < n; seq++) {
    const line = storedLine("web", seq, rts, { ts: rts - 1000, source: "http", recordJcs: recordJcs(seq, rts) });
    tree.append(enc.encode(line));
    parts.push((edit ? edit(seq, line) : line) + "\n");
  }
  const jsonl = enc.encode(parts.join(""));
  const gz = gzipSync(jsonl, { level: 6 });
  const empty = new CompactRange(0, [], nodeHasher);
  const predicate: EvidencePredicate = {
    tenant: "synthetic", asset: "web", bundle_id: opts.bundleId ?? "evidence-synthetic", created_at: new Date(rts).toISOString(),
    window: { since: new Date(rts).toISOString(), until: new Date(rts).toISOString(), since_seconds: 0 },
    records: { first_seq: 0, end_seq: n, count: n, bytes_uncompressed: jsonl.byteLength },
    merkle: { alg: MERKLE_ALG, tree_size_before: 0, root_before: toHex(empty.root()), frontier_before: [], tree_size_after: n, root_after: toHex(tree.root()) },
    previous: opts.previous ? { bundle_id: opts.previous.bundle_id, statement_sha256: opts.previous.statement_sha256 } : null, buffer: { oldest_seq_available: 0, truncated: false, evicted_total: 0 }, producer: { service: "synthetic", version: "0" },
  };
  const statement = buildStatement(await sha256Hex(gz), await sha256Hex(jsonl), predicate);
  const payload = statementBytes(statement);
  const envelope = await signEnvelope(PAYLOAD_TYPE, payload, { kid, key });
  return {
    records: new Uint8Array(gz), statement: JSON.stringify(envelope), jwks: { keys: [publicJwk(jwk)] }, jsonl,
    bundle_id: predicate.bundle_id, statement_sha256: await sha256Hex(payload),
  };
}
