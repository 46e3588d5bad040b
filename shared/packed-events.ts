/**
 * PreparedEvent[] packed into a few flat values for the RPC from the edge to AssetLog.append.
 * Structured clone costs per object: 1,000 events with nested facts took ~2.5-13 µs per event
 * to send (docs/performance.md), a string and typed arrays next to nothing. Lossless:
 * unpackEvents(packEvents(evs)) gives events equal to evs.
 */
import type { AlertHit, EventFacts } from "./aggregates/event-facts.ts";
import type { PreparedEvent, StoredSource } from "./events.ts";
import { LEVELS, type Level } from "./levels.ts";

export interface PackedEvents {
  packed: 1;
  /** Each event's recordJcs, joined by "\n" (JCS escapes every control character, so none holds one). */
  records: string;
  /** Event times, epoch ms. */
  ts: Float64Array;
  /** One source for all events, or one per event. */
  source: StoredSource | StoredSource[];
  /** Source message ids by event (null: none), when any event has one. */
  ids?: (string | null)[];
  /** One character per event: its level's index in LEVELS, or "-" for no facts and "." for facts without a level. */
  levels: string;
  /** latency_ms by event (NaN: none), when any event has one. */
  latency?: Float64Array;
  /** Counting-rule matches and alert hits, by event index, for the events that have any. */
  extra?: [number, string[] | null, AlertHit[] | null][];
}

export function isPacked(v: PreparedEvent[] | PackedEvents): v is PackedEvents {
  return !Array.isArray(v) && v.packed === 1;
}

export function packEvents(events: readonly PreparedEvent[]): PackedEvents {
  const n = events.length;
  const ts = new Float64Array(n);
  const first = events[0]?.source;
  let sources: StoredSource[] | undefined;
  let ids: (string | null)[] | undefined;
  let latency: Float64Array | undefined;
  let extra: [number, string[] | null, AlertHit[] | null][] | undefined;
  let levels = "";
  for (let i = 0; i < n; i++) {
    const ev = events[i]!;
    ts[i] = ev.ts;
    if (ev.source !== first) sources ??= events.slice(0, i).map((e) => e.source);
    sources?.push(ev.source);
    if (ev.id !== undefined) (ids ??= new Array<string | null>(n).fill(null))[i] = ev.id;
    const f = ev.facts;
    levels += f === undefined ? "-" : f.level === undefined ? "." : String(LEVELS.indexOf(f.level));
    if (f?.latency_ms !== undefined) (latency ??= new Float64Array(n).fill(NaN))[i] = f.latency_ms;
    if (f?.counts || f?.hits) (extra ??= []).push([i, f.counts ?? null, f.hits ?? null]);
  }
  const out: PackedEvents = { packed: 1, records: events.map((e) => e.recordJcs).join("\n"), ts, source: sources ?? first ?? "http", levels };
  if (ids) out.ids = ids;
  if (latency) out.latency = latency;
  if (extra) out.extra = extra;
  return out;
}

export function unpackEvents(p: PackedEvents): PreparedEvent[] {
  const n = p.ts.length;
  const records = n === 0 ? [] : p.records.split("\n");
  if (records.length !== n || p.levels.length !== n) throw new Error(`packed events disagree: ${records.length} records, ${n} times, ${p.levels.length} levels`);
  const out = new Array<PreparedEvent>(n);
  for (let i = 0; i < n; i++) {
    const ev: PreparedEvent = { ts: p.ts[i]!, source: typeof p.source === "string" ? p.source : p.source[i]!, recordJcs: records[i]! };
    const id = p.ids?.[i];
    if (id !== undefined && id !== null) ev.id = id;
    const l = p.levels[i]!;
    if (l !== "-") {
      const facts: EventFacts = {};
      if (l !== ".") facts.level = LEVELS[Number(l)] as Level;
      const latency = p.latency?.[i];
      if (latency !== undefined && !Number.isNaN(latency)) facts.latency_ms = latency;
      ev.facts = facts;
    }
    out[i] = ev;
  }
  for (const [i, counts, hits] of p.extra ?? []) {
    const facts = (out[i]!.facts ??= {});
    if (counts) facts.counts = counts;
    if (hits) facts.hits = hits;
  }
  return out;
}
