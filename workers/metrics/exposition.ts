/**
 * Prometheus text exposition format 0.0.4: metric families in, text out. Pure: no clock,
 * no bindings; the registry and the asset index only build MetricFamily values.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

export interface ScalarFamily {
  type: "counter" | "gauge";
  name: string;
  help: string;
  samples: readonly { labels: Labels; value: number }[];
}

export interface HistogramSample {
  labels: Labels;
  /** Observations per bucket, not cumulative: `buckets[i]` counts values in (bounds[i-1], bounds[i]]. */
  buckets: readonly number[];
  sum: number;
  /** All observations, including those above the last bound (the +Inf bucket). */
  count: number;
}

export interface HistogramFamily {
  type: "histogram";
  name: string;
  help: string;
  /** Upper bounds, ascending, without +Inf. */
  bounds: readonly number[];
  samples: readonly HistogramSample[];
}

export type MetricFamily = ScalarFamily | HistogramFamily;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape `\`, `"` and line feed; HELP text escapes `\` and line feed only. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (ch) => (ch === "\n" ? "\\n" : `\\${ch}`));
}

function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (ch) => (ch === "\n" ? "\\n" : "\\\\"));
}

/** Go's float formatting as Prometheus parses it: integers plain, and +Inf, -Inf, NaN spelled out. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.entries(labels);
  if (extra) pairs.push(extra);
  if (pairs.length === 0) return "";
  return `{${pairs.map(([k, v]) => {
    // Names come from our code, never from input: a bad one is a bug, not data to escape.
    if (!LABEL_RE.test(k) || k.startsWith("__")) throw new Error(`invalid label name ${JSON.stringify(k)}`);
    return `${k}="${escapeLabelValue(v)}"`;
  }).join(",")}}`;
}

function histogramLines(f: HistogramFamily, s: HistogramSample, out: string[]): void {
  let cumulative = 0;
  f.bounds.forEach((le, i) => {
    cumulative += s.buckets[i] ?? 0;
    out.push(`${f.name}_bucket${labelText(s.labels, ["le", formatValue(le)])} ${formatValue(cumulative)}`);
  });
  out.push(`${f.name}_bucket${labelText(s.labels, ["le", "+Inf"])} ${formatValue(s.count)}`);
  out.push(`${f.name}_sum${labelText(s.labels)} ${formatValue(s.sum)}`);
  out.push(`${f.name}_count${labelText(s.labels)} ${formatValue(s.count)}`);
}

/** The exposition text of these families, in the given order, each with HELP and TYPE (also when it has no samples). */
export function renderExposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!NAME_RE.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === "histogram") for (const s of f.samples) histogramLines(f, s, out);
    else for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${formatValue(s.value)}`);
  }
  return out.length ? `${out.join("\n")}\n` : "";
}
