/** The classes of data the retention pass deletes, and per-class counts (DESIGN.md section 9). */

/** `evidence` bundle objects, `raw` spilled segments, `summary` rollup minutes. */
export const RETENTION_CLASSES = ["evidence", "raw", "summary"] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];
export type RetentionCounts = Record<RetentionClass, number>;

export function zeroCounts(): RetentionCounts {
  return { evidence: 0, raw: 0, summary: 0 };
}

export function countsTotal(c: RetentionCounts): number {
  return c.evidence + c.raw + c.summary;
}
