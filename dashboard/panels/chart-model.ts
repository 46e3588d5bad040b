/**
 * Geometry of the per-minute chart: stacked bars of events per level and a line of p95 latency
 * on its own axis, from a summary's series (GET /v1/assets/{asset}/summary). Pure, so it is
 * tested without a browser; panels/chart.ts draws it as SVG.
 */

export interface SeriesPoint {
  at: string;
  events: number;
  levels: Record<string, number>;
  latency_p95_ms: number | null;
}

/** Stacking order, bottom first; NONE counts events with no recognised level. */
export const LEVEL_ORDER = ["CRITICAL", "ERROR", "WARN", "INFO", "DEBUG", "NONE"] as const;

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface Segment { level: string; count: number; y: number; height: number }
export interface Bar { at: string; x: number; width: number; total: number; segments: Segment[] }
export interface LatencyPoint { at: string; x: number; y: number; value: number }
export interface Tick { value: number; y: number }

export interface ChartModel {
  box: Box;
  bars: Bar[];
  latency: LatencyPoint[];
  eventTicks: Tick[];
  latencyTicks: Tick[];
  timeTicks: { at: string; x: number }[];
  eventsMax: number;
  latencyMax: number;
}

const TICKS = 4;

/** The smallest of 1, 2, 5 x 10^k that is >= n (at least 1). */
export function niceStep(n: number): number {
  if (!(n > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/** An axis top that TICKS whole, round steps reach: 23 -> 40 (steps of 10), 1,500 -> 2,000. */
export function axisMax(n: number): number {
  return niceStep(n / TICKS) * TICKS;
}
const TIME_TICKS = 6;

export function chartModel(series: SeriesPoint[], window: { since: string; until: string }, stepSeconds: number, box: Box): ChartModel {
  const since = Date.parse(window.since);
  const step = Math.max(1, stepSeconds) * 1000;
  const slots = Math.max(1, Math.ceil((Date.parse(window.until) - since) / step));
  const innerW = box.width - box.left - box.right;
  const innerH = box.height - box.top - box.bottom;
  const slotW = innerW / slots;
  const barW = Math.max(1, slotW * 0.8);
  const eventsMax = axisMax(Math.max(0, ...series.map((p) => p.events)));
  const latencyMax = axisMax(Math.max(0, ...series.map((p) => p.latency_p95_ms ?? 0)));
  const yEvents = (v: number) => box.top + innerH - (v / eventsMax) * innerH;
  const yLatency = (v: number) => box.top + innerH - (v / latencyMax) * innerH;
  const xOf = (at: string) => box.left + Math.min(slots - 1, Math.max(0, Math.floor((Date.parse(at) - since) / step))) * slotW;

  const bars: Bar[] = series.map((p) => {
    const x = xOf(p.at) + (slotW - barW) / 2;
    let base = 0;
    const segments: Segment[] = [];
    for (const level of LEVEL_ORDER) {
      const n = p.levels[level] ?? 0;
      if (n <= 0) continue;
      segments.push({ level, count: n, y: yEvents(base + n), height: yEvents(base) - yEvents(base + n) });
      base += n;
    }
    return { at: p.at, x, width: barW, total: p.events, segments };
  });
  const latency = series
    .filter((p) => p.latency_p95_ms !== null)
    .map((p) => ({ at: p.at, x: xOf(p.at) + slotW / 2, y: yLatency(p.latency_p95_ms!), value: p.latency_p95_ms! }));
  const ticks = (max: number, y: (v: number) => number) =>
    Array.from({ length: TICKS + 1 }, (_, i) => (max * i) / TICKS).map((value) => ({ value, y: y(value) }));
  const every = Math.max(1, Math.ceil(slots / TIME_TICKS));
  const timeTicks = [];
  for (let i = 0; i < slots; i += every) timeTicks.push({ at: new Date(since + i * step).toISOString(), x: box.left + i * slotW });
  return { box, bars, latency, eventTicks: ticks(eventsMax, yEvents), latencyTicks: ticks(latencyMax, yLatency), timeTicks, eventsMax, latencyMax };
}
