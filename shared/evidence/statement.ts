/**
 * The signed statement of an evidence bundle (DESIGN.md section 6, a contract):
 * an in-toto Statement v1 whose subjects are the gzip and the JSONL, and whose
 * predicate proves which contiguous seq range of which asset's log it holds.
 * Integers and lowercase hex only (no floats); serialised with JCS.
 */
import { canonicalize } from "./jcs.ts";

export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const PREDICATE_TYPE = "https://telemetry-bridge.dev/evidence-bundle/v1";
export const PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const MERKLE_ALG = "rfc6962-sha256";

export interface EvidencePredicate {
  tenant: string;
  asset: string;
  bundle_id: string;
  created_at: string;
  /** Receive-time window asked for: since = now - since_seconds (the oldest line's time for since=0). */
  window: { since: string; until: string; since_seconds: number };
  records: { first_seq: number; end_seq: number; count: number; bytes_uncompressed: number };
  merkle: {
    alg: typeof MERKLE_ALG;
    tree_size_before: number;
    root_before: string;
    frontier_before: string[];
    tree_size_after: number;
    root_after: string;
  };
  previous: { bundle_id: string; statement_sha256: string } | null;
  buffer: { oldest_seq_available: number; truncated: boolean; evicted_total: number };
  producer: { service: string; version: string };
  /**
   * The redaction profiles applied at ingest to the lines (docs/enrichment-and-redaction.md):
   * SHA-256 of each profile, from the first seq it applied to. Absent when none applied.
   */
  redaction?: { profiles: { from_seq: number; sha256: string }[] };
  /**
   * The incident the bundle was sealed under (docs/incident-mode.md): who started it, when, why,
   * until when (ended_at when ended early). Absent outside incidents.
   */
  incident?: { id: string; reason: string; by: string; started_at: string; until: string; ended_at?: string };
}

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface EvidenceStatement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: EvidencePredicate;
}

export function buildStatement(gzSha256: string, jsonlSha256: string, predicate: EvidencePredicate): EvidenceStatement {
  return {
    _type: STATEMENT_TYPE,
    subject: [
      { name: "records.jsonl.gz", digest: { sha256: gzSha256 } },
      { name: "records.jsonl", digest: { sha256: jsonlSha256 } },
    ],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

/** The exact bytes that are signed: JCS of the statement, UTF-8. */
export function statementBytes(statement: EvidenceStatement): Uint8Array {
  return new TextEncoder().encode(canonicalize(statement));
}
