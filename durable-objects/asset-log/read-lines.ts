/**
 * Page through stored chunks for a seq range, yielding JSONL text (each line ends
 * in "\n") without ever holding more than one page of chunks.
 */
import { BUNDLE_READ_PAGE_CHUNKS } from "../../shared/limits.ts";

type ChunkRow = { first_seq: number; end_seq: number; lines: string };

export function* readLines(sql: SqlStorage, first: number, end: number): Generator<string> {
  let cursor = first;
  // Pages are looked up on the primary key (first_seq): the chunk holding `first`, then onwards.
  // (Filtering on end_seq instead made every page scan from the oldest chunk: rows read grew
  // with the square of the window.)
  const start = sql
    .exec<{ first_seq: number }>("SELECT first_seq FROM chunks WHERE first_seq <= ? ORDER BY first_seq DESC LIMIT 1", first)
    .toArray()[0]?.first_seq ?? first;
  let from = start;
  while (cursor < end) {
    const rows = sql
      .exec<ChunkRow>(
        "SELECT first_seq, end_seq, lines FROM chunks WHERE first_seq >= ? AND first_seq < ? ORDER BY first_seq LIMIT ?",
        from, end, BUNDLE_READ_PAGE_CHUNKS,
      )
      .toArray();
    if (!rows.length || rows[0]!.first_seq > cursor || rows[0]!.end_seq <= cursor) {
      // Seals pin their range against trimming, so this means corrupted storage.
      throw new Error(`stored lines missing from seq ${cursor}`);
    }
    for (const row of rows) {
      let text = row.lines;
      if (row.end_seq > end) text = text.slice(0, lineOffset(text, end - row.first_seq));
      if (cursor > row.first_seq) text = text.slice(lineOffset(text, cursor - row.first_seq));
      yield text;
      cursor = Math.min(row.end_seq, end);
      from = row.end_seq;
    }
  }
}

/** Offset just after the n-th "\n" (stored lines are JCS, which never holds a raw newline). */
function lineOffset(text: string, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = text.indexOf("\n", at) + 1;
  return at;
}
