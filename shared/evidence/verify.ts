/**
 * Offline verification of an evidence bundle (DESIGN.md section 6), with only the
 * bundle's files and a JWKS: signature over the exact payload bytes before parsing,
 * subject digests, line count, seq continuity, Merkle roots, and optionally the chain
 * to the previous bundle. Pure: runs in Node (the CLI), workerd (tests) and browsers.
 */
import { fromHex, toHex } from "../hex.ts";
import { parseEnvelope, verifyEnvelope } from "./dsse.ts";
import { CompactRange, nobleHasher, type MerkleHasher } from "./merkle.ts";
import { importJwks } from "./signing-keys.ts";
import { MERKLE_ALG, PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, type EvidencePredicate, type EvidenceStatement } from "./statement.ts";

export const VERIFY_CODES = {
  ok: 0,
  malformed: 3,
  bad_payload_type: 4,
  unknown_key: 5,
  bad_signature: 6,
  digest_mismatch: 7,
  count_mismatch: 8,
  sequence_mismatch: 9,
  merkle_mismatch: 10,
  chain_break: 11,
  chain_gap: 12,
} as const;
export type VerifyCode = keyof typeof VERIFY_CODES;

export interface VerifyReport {
  ok: boolean;
  code: VerifyCode;
  message: string;
  bundle_id?: string;
  tenant?: string;
  asset?: string;
  kid?: string;
  first_seq?: number;
  end_seq?: number;
  root_after?: string;
  previous_bundle_id?: string;
  /** Checks passed, in order. */
  checks: string[];
  /** True facts an auditor should know that do not make the bundle invalid (e.g. a truncated window). */
  warnings: string[];
}

export interface BundleFiles {
  /** records.jsonl.gz bytes. */
  records: Uint8Array;
  /** statement.dsse.json text. */
  statement: string;
}

export interface VerifyOptions {
  jwks: unknown;
  previous?: { statement: string };
  hasher?: MerkleHasher;
  /** A faster gunzip where the platform has one (the CLI passes node:zlib); default DecompressionStream. */
  gunzip?: (gz: Uint8Array) => Promise<Uint8Array>;
  /**
   * Append every line of `text` (whole lines, each ending in a newline) to `tree` at once, where a
   * bulk path is faster (node-verify.ts: the WASM appender); default one `hasher.leaf` per line.
   */
  appendLines?: (tree: CompactRange, text: Uint8Array) => void;
}

class Failure extends Error {
  readonly code: Exclude<VerifyCode, "ok">;
  constructor(code: Exclude<VerifyCode, "ok">, message: string) {
    super(message);
    this.code = code;
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

async function sha256(bytes: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
}

async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Check a signed statement and return its predicate (shared by the bundle and --previous). */
async function openStatement(text: string, keys: Map<string, CryptoKey>): Promise<{ statement: EvidenceStatement; payload: Uint8Array; kid: string }> {
  const envelope = parseEnvelope(text);
  if (!envelope) throw new Failure("malformed", "statement.dsse.json is not a DSSE envelope");
  if (envelope.payloadType !== PAYLOAD_TYPE) throw new Failure("bad_payload_type", `payloadType is "${envelope.payloadType}", expected "${PAYLOAD_TYPE}"`);
  const sig = await verifyEnvelope(envelope, keys);
  if (!sig.ok) throw new Failure(sig.code, sig.message);
  let statement: EvidenceStatement;
  try {
    statement = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(sig.payload)) as EvidenceStatement;
  } catch {
    throw new Failure("malformed", "the signed payload is not JSON");
  }
  checkShape(statement);
  return { statement, payload: sig.payload, kid: sig.kid };
}

function checkShape(s: EvidenceStatement): void {
  const bad = (what: string) => new Failure("malformed", `statement: ${what}`);
  if (s?._type !== STATEMENT_TYPE) throw bad(`_type is not ${STATEMENT_TYPE}`);
  if (s.predicateType !== PREDICATE_TYPE) throw bad(`predicateType is not ${PREDICATE_TYPE}`);
  const p = s.predicate;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  if (!p || typeof p.asset !== "string" || typeof p.tenant !== "string" || typeof p.bundle_id !== "string") throw bad("predicate lacks tenant, asset or bundle_id");
  if (!p.records || !int(p.records.first_seq) || !int(p.records.end_seq) || !int(p.records.count) || !int(p.records.bytes_uncompressed)) throw bad("predicate.records is not integers");
  const m = p.merkle;
  if (!m || m.alg !== MERKLE_ALG || !int(m.tree_size_before) || !int(m.tree_size_after)) throw bad("predicate.merkle is incomplete");
  if (![m.root_before, m.root_after, ...(Array.isArray(m.frontier_before) ? m.frontier_before : [0])].every((h) => typeof h === "string" && SHA256_HEX.test(h))) {
    throw bad("predicate.merkle hashes are not lowercase SHA-256 hex");
  }
  if (!Array.isArray(s.subject) || !s.subject.every((x) => typeof x?.digest?.sha256 === "string")) throw bad("subjects lack sha256 digests");
}

function subjectDigest(s: EvidenceStatement, name: string): string {
  const found = s.subject.find((x) => x.name === name);
  if (!found) throw new Failure("malformed", `statement has no subject ${name}`);
  return found.digest.sha256;
}

export async function verifyBundle(files: BundleFiles, opts: VerifyOptions): Promise<VerifyReport> {
  const checks: string[] = [];
  const report: VerifyReport = { ok: false, code: "malformed", message: "", checks, warnings: [] };
  try {
    const keys = await importJwks(opts.jwks);
    if (keys.size === 0) throw new Failure("unknown_key", "the JWKS holds no Ed25519 keys");
    const { statement, kid } = await openStatement(files.statement, keys);
    const p: EvidencePredicate = statement.predicate;
    Object.assign(report, { bundle_id: p.bundle_id, tenant: p.tenant, asset: p.asset, kid, first_seq: p.records.first_seq, end_seq: p.records.end_seq, root_after: p.merkle.root_after });
    checks.push(`signature by ${kid}`);

    // Digests run off the main thread where the platform allows (WebCrypto in Node), so start
    // them early and check them first: a corrupted file is reported as such, not as a later symptom.
    const gzDigestP = sha256(files.records);
    const jsonlP = (opts.gunzip ?? gunzip)(files.records).then((v) => ({ ok: true as const, v }), () => ({ ok: false as const }));
    const gzDigest = await gzDigestP;
    if (gzDigest !== subjectDigest(statement, "records.jsonl.gz")) throw new Failure("digest_mismatch", `records.jsonl.gz has sha256 ${gzDigest}, the statement says ${subjectDigest(statement, "records.jsonl.gz")}`);
    checks.push("records.jsonl.gz digest");
    const unzipped = await jsonlP;
    if (!unzipped.ok) throw new Failure("digest_mismatch", "records.jsonl.gz does not decompress");
    const jsonl = unzipped.v;
    const jsonlDigestP = sha256(jsonl);
    let lines: Uint8Array[] = [];
    let linesError: unknown;
    try {
      lines = splitLines(jsonl);
    } catch (e) {
      linesError = e;
    }
    const jsonlDigest = await jsonlDigestP;
    if (jsonlDigest !== subjectDigest(statement, "records.jsonl") || jsonl.byteLength !== p.records.bytes_uncompressed) {
      throw new Failure("digest_mismatch", `records.jsonl has sha256 ${jsonlDigest} and ${jsonl.byteLength} bytes; the statement disagrees`);
    }
    checks.push("records.jsonl digest");
    if (linesError) throw linesError;

    const { first_seq: first, end_seq: end, count } = p.records;
    if (end - first !== count) throw new Failure("count_mismatch", `records says count ${count} for seq ${first}..${end}`);
    if (lines.length !== count) throw new Failure("count_mismatch", `records.jsonl has ${lines.length} lines, the statement says ${count}`);
    checks.push(`${count} lines`);

    const m = p.merkle;
    if (m.tree_size_before !== first || m.tree_size_after !== end) throw new Failure("merkle_mismatch", "tree sizes do not match the seq range");
    const hashes = m.frontier_before.map((h) => fromHex(h)!);
    let tree: CompactRange;
    try {
      tree = new CompactRange(first, hashes, opts.hasher ?? nobleHasher);
    } catch (e) {
      throw new Failure("merkle_mismatch", `frontier_before does not fit a tree of ${first}: ${(e as Error).message}`);
    }
    if (toHex(tree.root()) !== m.root_before) throw new Failure("merkle_mismatch", "frontier_before does not hash to root_before");

    const prev = opts.previous ? await openPrevious(opts.previous.statement, keys, statement) : undefined;
    let rootAtPrevEnd: string | undefined = prev && prev.end === first ? toHex(tree.root()) : undefined;
    const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    for (let i = 0; i < lines.length; i++) {
      let line: { seq?: unknown; asset?: unknown };
      try {
        line = JSON.parse(decoder.decode(lines[i]!));
      } catch {
        throw new Failure("sequence_mismatch", `line ${i + 1} is not JSON`);
      }
      if (typeof line !== "object" || line === null) throw new Failure("sequence_mismatch", `line ${i + 1} is not a stored event`);
      if (line.seq !== first + i) throw new Failure("sequence_mismatch", `line ${i + 1} has seq ${String(line.seq)}, expected ${first + i}`);
      if (line.asset !== p.asset) throw new Failure("sequence_mismatch", `line ${i + 1} belongs to asset ${String(line.asset)}, not ${p.asset}`);
    }
    if (opts.appendLines) {
      // In two parts when the previous bundle ends inside this one: its root is checked there.
      const split = prev && prev.end > first && prev.end < end ? prev.end - first : 0;
      const cut = split ? lines[split - 1]!.byteOffset - jsonl.byteOffset + lines[split - 1]!.byteLength + 1 : 0;
      if (split) {
        opts.appendLines(tree, jsonl.subarray(0, cut));
        rootAtPrevEnd = toHex(tree.root());
      }
      opts.appendLines(tree, jsonl.subarray(cut));
      if (prev && tree.size === prev.end) rootAtPrevEnd = toHex(tree.root());
    } else {
      for (let i = 0; i < lines.length; i++) {
        tree.append(lines[i]!);
        if (prev && tree.size === prev.end) rootAtPrevEnd = toHex(tree.root());
      }
    }
    checks.push(`seq ${first}..${end} consecutive`);
    if (toHex(tree.root()) !== m.root_after) throw new Failure("merkle_mismatch", "the lines do not hash to root_after");
    checks.push("merkle root_before -> root_after");

    if (prev) {
      if (prev.end > end) throw new Failure("chain_break", `the previous bundle ends at seq ${prev.end}, after this one (${end})`);
      if (prev.end < first) throw new Failure("chain_gap", `seq ${prev.end}..${first} lies between the previous bundle and this one`);
      if (rootAtPrevEnd !== prev.root) throw new Failure("chain_break", `this bundle's log at seq ${prev.end} differs from the previous bundle's root_after`);
      report.previous_bundle_id = prev.id;
      checks.push(`continues ${prev.id}`);
    }
    Object.assign(report, { ok: true, code: "ok", message: `bundle ${p.bundle_id} is authentic and complete (${count} lines, seq ${first}..${end})` });
    if (p.buffer?.truncated) {
      report.warnings.push(`the window was truncated: lines received in it had been evicted from the ring buffer before sealing (oldest available seq ${p.buffer.oldest_seq_available})`);
    }
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    report.code = e.code;
    report.message = e.message;
  }
  return report;
}

async function openPrevious(text: string, keys: Map<string, CryptoKey>, current: EvidenceStatement) {
  let opened;
  try {
    opened = await openStatement(text, keys);
  } catch (e) {
    if (e instanceof Failure) throw new Failure("chain_break", `the previous bundle's statement does not verify: ${e.message}`);
    throw e;
  }
  const prev = opened.statement.predicate;
  const link = current.predicate.previous;
  if (prev.tenant !== current.predicate.tenant || prev.asset !== current.predicate.asset) throw new Failure("chain_break", "the previous bundle is of another tenant or asset");
  if (!link || link.bundle_id !== prev.bundle_id) throw new Failure("chain_break", `this bundle names ${link?.bundle_id ?? "no"} previous bundle, not ${prev.bundle_id}`);
  if (link.statement_sha256 !== (await sha256(opened.payload))) throw new Failure("chain_break", "the previous bundle's statement is not the one this bundle names");
  return { id: prev.bundle_id, end: prev.merkle.tree_size_after, root: prev.merkle.root_after };
}

/** Lines of a JSONL buffer (each must end in "\n"), as byte views without the newline. */
function splitLines(jsonl: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  // indexOf is native: several times faster than a byte loop over 50 MB.
  for (let nl = jsonl.indexOf(0x0a); nl !== -1; nl = jsonl.indexOf(0x0a, start)) {
    out.push(jsonl.subarray(start, nl));
    start = nl + 1;
  }
  if (start !== jsonl.byteLength) throw new Failure("count_mismatch", "records.jsonl does not end with a newline (truncated?)");
  return out;
}

