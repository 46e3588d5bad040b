/**
 * The Merkle frontier of an asset's log at any stored seq: each chunk row keeps the
 * frontier before its first line, so the frontier at a seq is that chunk's frontier
 * plus the leaves of the lines before the seq in it (at most one chunk to hash).
 */
import { CompactRange } from "../../shared/evidence/merkle.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { merkleAppender } from "./merkle-appender.ts";

type Row = { first_seq: number; frontier: ArrayBuffer; lines: string };

/** Frontier just before `seq` (seq may be the head); null when nothing at or before it is stored. */
export function frontierAt(sql: SqlStorage, seq: number): CompactRange | null {
  const row = sql
    .exec<Row>("SELECT first_seq, frontier, lines FROM chunks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1", seq)
    .toArray()[0];
  if (!row) return seq === 0 ? new CompactRange(0, [], nodeHasher) : null;
  const range = CompactRange.decode(row.first_seq, new Uint8Array(row.frontier), nodeHasher);
  // The chunk's lines before `seq` become leaves: one WASM call, not two hashes per line.
  const lines: string[] = [];
  for (let start = 0, n = row.first_seq; n < seq; n++) {
    const nl = row.lines.indexOf("\n", start);
    if (nl < 0) break;
    lines.push(row.lines.slice(start, nl));
    start = nl + 1;
  }
  merkleAppender.appendLines(range, lines, Infinity, () => {});
  if (range.size !== seq) throw new Error(`stored lines end before seq ${seq}`);
  return range;
}

/** Frontier after the newest stored line: the log's current tree (empty for a new log). */
export function headFrontier(sql: SqlStorage, nextSeq: number): CompactRange {
  return frontierAt(sql, nextSeq) ?? new CompactRange(0, [], nodeHasher);
}
