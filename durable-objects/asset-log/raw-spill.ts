/**
 * Raw spill (docs/retention.md): with the tenant's `raw_spill` on, lines leaving the ring
 * buffer are written to the evidence store as gzip JSONL segments before their chunks are
 * trimmed, and kept there `retention_days.raw` days at object-storage cost. Trimming stays
 * below what has been spilled, so nothing leaves the object unwritten. A store that fails
 * holds trimming back (retried with backoff) for at most UPLOAD_PENDING_MAX_MS, or until the
 * database passes HELD_DATABASE_MAX_BYTES; past that the lines are let go and counted, so a dead
 * store cannot fill the object's storage.
 *
 * Segment keys: raw/<tenant>/<asset>/<yyyy>/<mm>/<dd>/raw-<first rts>-<last rts>-<first_seq>-<end_seq>.jsonl.gz
 * (times `yyyymmdd-hhmmss` UTC, the date folders from the first line's receive time; the asset
 * percent-encoded as in bundle keys). Same lines, same bytes: a retried put finds its own object.
 */
import { bundleStamp } from "../../shared/evidence/bundle-layout.ts";
import { RAW_SEGMENT_MAX_BYTES, RAW_SEGMENTS_PER_RUN, UPLOAD_PENDING_MAX_MS, UPLOAD_RETRY_BASE_MS, UPLOAD_RETRY_MAX_MS } from "../../shared/limits.ts";
import type { EvidenceStore } from "../../shared/storage/evidence-store.ts";
import { gzipParts } from "./gzip-parts.ts";
import { readLines } from "./read-lines.ts";

export interface SpillState {
  /** Lines below this seq are spilled (or were let go). */
  spilled_to: number;
  segments: number;
  lines: number;
  /** Lines let go after the store failed for UPLOAD_PENDING_MAX_MS. */
  dropped: number;
  /** Failed attempts in the current outage (0 once a segment is written again). */
  failures: number;
  /** Since when the store has been failing, and when to try again. */
  failing_since?: number;
  next_at?: number;
  last_error?: string;
}

export interface SpillDeps {
  sql: SqlStorage;
  tenant: string;
  asset: string;
  /** The store, or why it cannot be built. */
  store: () => { ok: true; value: EvidenceStore } | { ok: false; error: { detail: string } };
  random?: () => number;
}

/** Segment key for lines [first, end) received from firstRts to lastRts. */
export function segmentKey(tenant: string, asset: string, first: number, end: number, firstRts: number, lastRts: number): string {
  const d = new Date(firstRts);
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `raw/${tenant}/${encodeURIComponent(asset)}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/` +
    `raw-${bundleStamp(firstRts)}-${bundleStamp(lastRts)}-${first}-${end}.jsonl.gz`
  );
}

/**
 * Spill what lies below `upTo` (the ring's start) and is not spilled yet, a bounded number of
 * segments per call. Returns the new state; `more` when a further call has work now.
 */
export async function spill(d: SpillDeps, state: SpillState, upTo: number, now: number): Promise<{ state: SpillState; more: boolean }> {
  const s = { ...state };
  if (s.spilled_to >= upTo) return { state: s, more: false };
  if (s.next_at !== undefined && now < s.next_at) return { state: s, more: false };
  const store = d.store();
  for (let n = 0; n < RAW_SEGMENTS_PER_RUN && s.spilled_to < upTo; n++) {
    const seg = nextSegment(d.sql, s.spilled_to, upTo);
    if (!seg) {
      // Nothing stored below upTo any more (trimmed before spill was turned on): skip ahead.
      s.spilled_to = upTo;
      break;
    }
    const error = store.ok ? await putSegment(d, store.value, seg) : `config: ${store.error.detail}`;
    if (error === null) {
      s.spilled_to = seg.end;
      s.segments++;
      s.lines += seg.end - seg.first;
      // A success ends the outage: the next one backs off from the start again.
      s.failures = 0;
      delete s.failing_since;
      delete s.next_at;
      delete s.last_error;
      continue;
    }
    s.failures++;
    s.last_error = error;
    s.failing_since ??= now;
    if (now - s.failing_since >= UPLOAD_PENDING_MAX_MS) {
      // Given up on these lines: trimming may proceed; the loss is counted and reported.
      s.dropped += upTo - s.spilled_to;
      s.spilled_to = upTo;
      delete s.failing_since;
      delete s.next_at;
      return { state: s, more: false };
    }
    const attempt = Math.min(20, s.failures);
    const backoff = Math.min(UPLOAD_RETRY_MAX_MS, UPLOAD_RETRY_BASE_MS * 2 ** (attempt - 1));
    s.next_at = now + Math.round(backoff * (0.5 + 0.5 * (d.random ?? Math.random)()));
    return { state: s, more: false };
  }
  return { state: s, more: s.spilled_to < upTo };
}

interface Segment {
  first: number;
  end: number;
  firstRts: number;
  lastRts: number;
}

/** The next segment from `from`: whole chunks up to RAW_SEGMENT_MAX_BYTES (at least one), cut at `upTo`. */
function nextSegment(sql: SqlStorage, from: number, upTo: number): Segment | null {
  const rows = sql
    .exec<{ first_seq: number; end_seq: number; rts: number; bytes: number }>(
      "SELECT first_seq, end_seq, rts, bytes FROM chunks WHERE end_seq > ? AND first_seq < ? ORDER BY first_seq LIMIT 64", from, upTo,
    )
    .toArray();
  if (!rows.length) return null;
  const first = Math.max(from, rows[0]!.first_seq);
  let end = first;
  let bytes = 0;
  let lastRts = rows[0]!.rts;
  for (const r of rows) {
    if (bytes > 0 && bytes + r.bytes > RAW_SEGMENT_MAX_BYTES) break;
    bytes += r.bytes;
    end = Math.min(r.end_seq, upTo);
    lastRts = r.rts;
  }
  return { first, end, firstRts: rows[0]!.rts, lastRts };
}

async function putSegment(d: SpillDeps, store: EvidenceStore, seg: Segment): Promise<string | null> {
  let gz: Uint8Array = new Uint8Array();
  // A segment is at most RAW_SEGMENT_MAX_BYTES of JSONL; even incompressible, its gzip fits one part of twice that.
  for await (const part of gzipParts(readLines(d.sql, seg.first, seg.end), 2 * RAW_SEGMENT_MAX_BYTES, {})) gz = part;
  const res = await store.put(segmentKey(d.tenant, d.asset, seg.first, seg.end, seg.firstRts, seg.lastRts), gz, {
    contentType: "application/gzip", ifNoneMatch: true,
  });
  if (res.ok || res.error.code === "exists") return null;
  return `${res.error.reason ?? "other"}: ${res.error.detail}`;
}
