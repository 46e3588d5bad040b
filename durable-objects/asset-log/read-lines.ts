/**
 * Page through stored chunks for a seq range, yielding JSONL text (each line ends
 * in "\n") without ever holding more than one page of chunks.
 */
import { BUNDLE_READ_PAGE_CHUNKS } from "../../shared/limits.ts";

type ChunkRow = { first_seq: number; end_seq: number; lines: string };

export function* readLines(sql: SqlStorage, first: number, end: number): Generator<string> {
  let cursor = first;
  while (cursor < end) {
    const rows = sql
      .exec<ChunkRow>(
        "SELECT first_seq, end_seq, lines FROM chunks WHERE end_seq > ? AND first_seq < ? ORDER BY first_seq LIMIT ?",
        cursor, end, BUNDLE_READ_PAGE_CHUNKS,
      )
      .toArray();
    if (!rows.length || rows[0]!.first_seq > cursor) {
      // Seals pin their range against trimming, so this means corrupted storage.
      throw new Error(`stored lines missing from seq ${cursor}`);
    }
    for (const row of rows) {
      let text = row.lines;
      if (row.end_seq > end) text = text.slice(0, lineOffset(text, end - row.first_seq));
      if (cursor > row.first_seq) text = text.slice(lineOffset(text, cursor - row.first_seq));
      yield text;
      cursor = Math.min(row.end_seq, end);
    }
  }
}

/** Offset just after the n-th "\n" (stored lines are JCS, which never holds a raw newline). */
function lineOffset(text: string, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = text.indexOf("\n", at) + 1;
  return at;
}
