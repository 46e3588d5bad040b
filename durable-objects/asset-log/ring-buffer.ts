/**
 * Ring buffer bounds over the chunk table. The logical window is exact at every
 * read; physical deletion is lazy (alarm), so reads never depend on trimming.
 * `seq` is gap-free from 0, so everything below the window start was evicted:
 * the start is also the eviction count.
 */
import type { RingConfig } from "../../shared/config.ts";

export interface Head {
  /** Next seq to assign (= lines ever accepted). */
  nextSeq: number;
  /** Receive time of the newest chunk, epoch ms (receive times never go backwards). */
  lastRts: number;
}

export interface RingWindow {
  /** Oldest seq still inside the buffer. */
  start: number;
  /** One past the newest seq. */
  end: number;
}

export function readHead(sql: SqlStorage): Head {
  const row = sql
    .exec<{ end_seq: number; rts: number }>("SELECT end_seq, rts FROM chunks ORDER BY first_seq DESC LIMIT 1")
    .toArray()[0];
  return row ? { nextSeq: row.end_seq, lastRts: row.rts } : { nextSeq: 0, lastRts: 0 };
}

type ChunkPos = { first_seq: number; end_seq: number; rts: number };

/** The chunk holding `seq` (or the newest one starting at or before it): one row read, by rowid. */
function chunkAt(sql: SqlStorage, seq: number): ChunkPos | undefined {
  return sql
    .exec<ChunkPos>("SELECT first_seq, end_seq, rts FROM chunks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1", seq)
    .toArray()[0];
}

/**
 * First seq received at or after `sinceMs`; `head.nextSeq` when none. Receive times never
 * decrease with seq, so this is a binary search over chunks: about log2(chunks) one-row reads,
 * however many expired chunks trimming has not yet deleted.
 */
export function firstSeqReceivedSince(sql: SqlStorage, head: Head, sinceMs: number): number {
  if (head.nextSeq === 0 || head.lastRts < sinceMs) return head.nextSeq;
  const oldest = sql.exec<ChunkPos>("SELECT first_seq, end_seq, rts FROM chunks ORDER BY first_seq LIMIT 1").toArray()[0];
  if (!oldest || oldest.rts >= sinceMs) return oldest ? oldest.first_seq : head.nextSeq;
  // Invariant: lines before `lo` were received before sinceMs; the line at `hi` was not.
  let lo = oldest.end_seq;
  let hi = head.nextSeq - 1;
  while (lo < hi) {
    const c = chunkAt(sql, Math.floor((lo + hi) / 2))!;
    if (c.rts >= sinceMs) hi = c.first_seq;
    else lo = c.end_seq;
  }
  return chunkAt(sql, lo)!.first_seq;
}

/** The buffer's logical window at time `nowMs` under `ring`'s bounds. */
export function ringWindow(sql: SqlStorage, head: Head, ring: RingConfig, nowMs: number): RingWindow {
  const byCount = Math.max(0, head.nextSeq - ring.max_lines);
  const byAge = firstSeqReceivedSince(sql, head, nowMs - ring.max_seconds * 1000);
  return { start: Math.min(head.nextSeq, Math.max(byCount, byAge, ring.floor_seq ?? 0)), end: head.nextSeq };
}

/**
 * Delete up to `limit` chunks lying wholly below `start` and below `floor` (a seal in
 * progress pins its range), by rowid range. The newest chunk is always kept: it carries
 * the head. `more` tells whether a full batch was cut and more remain.
 */
export function trimChunks(sql: SqlStorage, start: number, floor: number, limit: number): { deleted: number; more: boolean } {
  const boundary = chunkAt(sql, Math.min(start, floor));
  if (!boundary) return { deleted: 0, more: false };
  // Every chunk starting before the one that holds the boundary seq ends at or before it.
  const capped = sql
    .exec<{ first_seq: number }>("SELECT first_seq FROM chunks WHERE first_seq < ? ORDER BY first_seq LIMIT 1 OFFSET ?", boundary.first_seq, limit)
    .toArray()[0];
  const cut = capped ? capped.first_seq : boundary.first_seq;
  const last = sql.exec<{ rts: number }>("SELECT rts FROM chunks WHERE first_seq < ? ORDER BY first_seq DESC LIMIT 1", cut).toArray()[0];
  if (!last) return { deleted: 0, more: false };
  const deleted = sql.exec("DELETE FROM chunks WHERE first_seq < ?", cut).rowsWritten;
  // Keep the receive time of the newest deleted line: evidence uses it to tell whether a window lost lines.
  sql.exec("INSERT INTO meta (k, v) VALUES ('trimmed_rts', ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v", String(last.rts));
  return { deleted, more: capped !== undefined };
}

/** The oldest stored chunk other than the head chunk, or undefined when only the head is left. */
export function oldestTrimmable(sql: SqlStorage, head: Head): ChunkPos | undefined {
  return sql
    .exec<ChunkPos>("SELECT first_seq, end_seq, rts FROM chunks WHERE end_seq < ? ORDER BY first_seq LIMIT 1", head.nextSeq)
    .toArray()[0];
}
