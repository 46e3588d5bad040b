/**
 * In-browser verification of evidence bundles with the same code the CLI runs
 * (shared/evidence/verify.ts): signature, both digests, line count, seq continuity, Merkle
 * roots and, given the previous bundle's statement, the chain. Hashing is @noble/hashes and
 * WebCrypto (Ed25519, SHA-256), gunzip is DecompressionStream; nothing leaves the browser.
 */
import { verifyBundle, type VerifyReport } from "../shared/evidence/verify.ts";
import { ApiProblem, getBytes } from "./api.ts";

export type { VerifyReport };

/** The bridge's published verification keys (public; no credential sent). */
export async function bridgeJwks(): Promise<unknown> {
  const res = await fetch("/.well-known/jwks.json", { cache: "no-store" });
  if (!res.ok) throw new ApiProblem(res.status, "JWKS unavailable", `GET /.well-known/jwks.json answered ${res.status}.`);
  return res.json();
}

/** Download a stored bundle's records and statement, then verify them. */
export async function verifyStoredBundle(id: string, jwks: unknown): Promise<VerifyReport> {
  const [records, statement] = await Promise.all([
    getBytes(`/v1/bundles/${encodeURIComponent(id)}/records.jsonl.gz`),
    getBytes(`/v1/bundles/${encodeURIComponent(id)}/statement.dsse.json`),
  ]);
  return verifyBundle({ records, statement: new TextDecoder().decode(statement) }, { jwks });
}

export interface LocalFiles {
  records: File;
  statement: File;
  previous?: File | undefined;
  jwks: unknown;
}

/** Verify files picked from disk (a copy an auditor was handed, for instance). */
export async function verifyLocalFiles(f: LocalFiles): Promise<VerifyReport> {
  const records = new Uint8Array(await f.records.arrayBuffer());
  const statement = await f.statement.text();
  const previous = f.previous ? { statement: await f.previous.text() } : undefined;
  return verifyBundle({ records, statement }, { jwks: f.jwks, ...(previous ? { previous } : {}) });
}
