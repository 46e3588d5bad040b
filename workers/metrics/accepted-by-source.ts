/**
 * How many of a request's stored events came from each source. Outcomes count per asset
 * only; an asset's events are appended in request order and a failed slice stops the
 * rest, so the accepted ones are the first `accepted` events of that asset.
 */
import type { EventSource } from "../../shared/events.ts";

export interface IngestedBatch {
  events: readonly { asset: string; source: EventSource }[];
  outcomes: readonly { asset: string; accepted: number }[];
}

export function acceptedBySource(batch: IngestedBatch): Map<EventSource, number> {
  // The common case, cheaply: every event stored, all from one source (one connector per request).
  const { events, outcomes } = batch;
  let stored = 0;
  for (const o of outcomes) stored += o.accepted;
  if (events.length > 0 && stored === events.length) {
    const source = events[0]!.source;
    let one = true;
    for (let i = 1; i < events.length && one; i++) one = events[i]!.source === source;
    if (one) return new Map([[source, stored]]);
  }
  const left = new Map(batch.outcomes.map((o) => [o.asset, o.accepted]));
  const counts = new Map<EventSource, number>();
  for (const ev of batch.events) {
    const n = left.get(ev.asset) ?? 0;
    if (n <= 0) continue;
    left.set(ev.asset, n - 1);
    counts.set(ev.source, (counts.get(ev.source) ?? 0) + 1);
  }
  return counts;
}
