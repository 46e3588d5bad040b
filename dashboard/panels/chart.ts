/**
 * The per-minute chart as SVG (no library): stacked bars of events by level, a line of p95
 * latency on the right axis, a legend, and the same numbers as a table for screen readers and
 * for reading exact values.
 */
import { h, s } from "../dom.ts";
import { clock, count, ms } from "../format.ts";
import { chartModel, LEVEL_ORDER, type SeriesPoint } from "./chart-model.ts";

const BOX = { width: 760, height: 240, left: 52, right: 64, top: 12, bottom: 28 };

function describe(series: SeriesPoint[], window: { since: string; until: string }): string {
  const total = series.reduce((n, p) => n + p.events, 0);
  const peak = Math.max(0, ...series.map((p) => p.events));
  const p95 = Math.max(0, ...series.map((p) => p.latency_p95_ms ?? 0));
  return `Events per step from ${clock(window.since)} to ${clock(window.until)}: ${count(total)} in all, at most ${count(peak)} in one step` +
    (p95 ? `; p95 latency up to ${ms(p95)}.` : "; no latencies.");
}

function barTitle(p: SeriesPoint): string {
  const levels = LEVEL_ORDER.filter((l) => p.levels[l]).map((l) => `${l} ${p.levels[l]}`).join(", ");
  return `${clock(p.at)}: ${count(p.events)} events${levels ? ` (${levels})` : ""}; p95 ${ms(p.latency_p95_ms)}`;
}

export function renderChart(series: SeriesPoint[], window: { since: string; until: string }, stepSeconds: number): HTMLElement {
  const m = chartModel(series, window, stepSeconds, BOX);
  const { box } = m;
  const bottom = box.height - box.bottom;
  const svg = s("svg", {
    viewBox: `0 0 ${box.width} ${box.height}`, class: "chart", role: "img", "aria-labelledby": "chart-desc",
  },
    s("desc", { id: "chart-desc" }, describe(series, window)),
    ...m.eventTicks.map((t) => s("g", { class: "grid" },
      s("line", { x1: box.left, x2: box.width - box.right, y1: t.y, y2: t.y }),
      s("text", { x: box.left - 6, y: t.y + 4, "text-anchor": "end" }, count(t.value)))),
    ...m.latencyTicks.map((t) => s("text", { class: "axis-latency", x: box.width - box.right + 6, y: t.y + 4 }, `${count(t.value)} ms`)),
    ...m.timeTicks.map((t) => s("text", { class: "axis-time", x: t.x, y: bottom + 18 }, clock(t.at))),
    ...m.bars.map((b, i) => s("g", { class: "bar" },
      s("title", null, barTitle(series[i]!)),
      ...b.segments.map((seg) => s("rect", { class: `lvl lvl-${seg.level}`, x: b.x, y: seg.y, width: b.width, height: Math.max(0.5, seg.height) })))),
    m.latency.length > 1 ? s("polyline", { class: "latency-line", points: m.latency.map((p) => `${p.x},${p.y}`).join(" ") }) : null,
    ...m.latency.map((p) => s("circle", { class: "latency-dot", cx: p.x, cy: p.y, r: 2.5 })),
  );
  const legend = h("ul", { class: "legend", "aria-label": "Legend" },
    ...LEVEL_ORDER.map((l) => h("li", null, h("span", { class: `swatch lvl-${l}`, "aria-hidden": "true" }), l === "NONE" ? "no level" : l)),
    h("li", null, h("span", { class: "swatch swatch-latency", "aria-hidden": "true" }), "p95 latency (right axis)"));
  const table = h("table", { class: "data" },
    h("caption", null, "Per step: events by level and p95 latency"),
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Time"), h("th", { scope: "col" }, "Events"),
      ...LEVEL_ORDER.map((l) => h("th", { scope: "col" }, l)), h("th", { scope: "col" }, "p95 latency"))),
    h("tbody", null, ...series.map((p) => h("tr", null, h("th", { scope: "row" }, clock(p.at)), h("td", null, count(p.events)),
      ...LEVEL_ORDER.map((l) => h("td", null, count(p.levels[l] ?? 0))), h("td", null, ms(p.latency_p95_ms))))));
  return h("figure", { class: "chart-figure" },
    series.length ? svg : h("p", { class: "empty" }, "No events in this window."),
    legend,
    h("details", null, h("summary", null, "Show the numbers as a table"), table));
}
