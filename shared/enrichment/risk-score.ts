/**
 * The enrichment risk score (docs/enrichment-and-redaction.md): an integer 0-100 from the
 * scores of the threat-intel indicators an event's addresses matched. Each match takes its
 * share of the risk still left, strongest first, in integer arithmetic, so the same matches
 * give the same score on every platform:
 *   r = 0; for s in scores, descending: r = r + floor((100 - r) * s / 100)
 * No match: 0. One match: its score. Scores 80 and 50: 80 + floor(20 * 50 / 100) = 90.
 * The same indicator matched by several addresses of one event counts once.
 */

export function riskScore(scores: readonly number[]): number {
  let r = 0;
  for (const s of [...scores].sort((a, b) => b - a)) {
    const clamped = Math.max(0, Math.min(100, Math.trunc(s)));
    r += Math.floor(((100 - r) * clamped) / 100);
  }
  return r;
}
