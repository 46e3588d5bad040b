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
