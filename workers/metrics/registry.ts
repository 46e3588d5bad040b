/**
 * Per-isolate counters and histograms, kept in Worker memory and keyed by tenant, so a
 * scrape shows a tenant its own series only. They start at zero whenever the runtime
 * starts a new isolate; see docs/metrics.md for what that means for queries.
 */
import { METRICS_MAX_TENANTS_PER_ISOLATE } from "../../shared/limits.ts";
import type { HistogramFamily, Labels, ScalarFamily } from "./exposition.ts";

/** Which series a scrape may see. */
export type MetricsView =
  /** One tenant's series, without a tenant label. */
  | { kind: "tenant"; tenant: string }
  /** Every series, with a `tenant` label where the request had a tenant. */
  | { kind: "operator" }
  /** Sums over all tenants, without a tenant label. */
  | { kind: "public" };

/** Requests without a tenant (no or bad credentials, the operator, public routes). */
const NO_TENANT = "";
/** Tenants beyond the per-isolate cap share this key (tenant ids never contain "_"). */
export const OVERFLOW_TENANT = "_other";

interface Entry<T> { values: readonly string[]; data: T }

class TenantSeries<T> {
  readonly #tenants = new Map<string, Map<string, Entry<T>>>();
  readonly labelNames: readonly string[];
  readonly #make: () => T;
  readonly #merge: (into: T, from: T) => void;

  constructor(labelNames: readonly string[], make: () => T, merge: (into: T, from: T) => void) {
    this.labelNames = labelNames;
    this.#make = make;
    this.#merge = merge;
  }

  at(tenant: string | undefined, values: readonly string[]): T {
    if (values.length !== this.labelNames.length) throw new Error(`expected labels ${this.labelNames.join(",")}`);
    let key = tenant ?? NO_TENANT;
    if (!this.#tenants.has(key) && this.#tenants.size >= METRICS_MAX_TENANTS_PER_ISOLATE) key = OVERFLOW_TENANT;
    let series = this.#tenants.get(key);
    if (!series) this.#tenants.set(key, (series = new Map()));
    const id = JSON.stringify(values);
    let entry = series.get(id);
    if (!entry) series.set(id, (entry = { values: [...values], data: this.#make() }));
    return entry.data;
  }

  select(view: MetricsView): { labels: Labels; data: T }[] {
    const labels = (values: readonly string[], tenant?: string): Labels => ({
      ...(tenant ? { tenant } : {}),
      ...Object.fromEntries(this.labelNames.map((n, i) => [n, values[i]!])),
    });
    if (view.kind === "tenant") {
      return [...(this.#tenants.get(view.tenant)?.values() ?? [])].map((e) => ({ labels: labels(e.values), data: e.data }));
    }
    if (view.kind === "operator") {
      return [...this.#tenants].flatMap(([tenant, series]) => [...series.values()].map((e) => ({ labels: labels(e.values, tenant), data: e.data })));
    }
    const merged = new Map<string, Entry<T>>();
    for (const series of this.#tenants.values()) {
      for (const [id, e] of series) {
        let into = merged.get(id);
        if (!into) merged.set(id, (into = { values: e.values, data: this.#make() }));
        this.#merge(into.data, e.data);
      }
    }
    return [...merged.values()].map((e) => ({ labels: labels(e.values), data: e.data }));
  }
}

export class Counter {
  readonly name: string;
  readonly help: string;
  readonly #series: TenantSeries<{ value: number }>;

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.#series = new TenantSeries(labelNames, () => ({ value: 0 }), (into, from) => { into.value += from.value; });
  }

  /** Add `by` (>= 0) to the series of these label values, in labelNames order. */
  inc(tenant: string | undefined, values: readonly string[], by = 1): void {
    if (!(by >= 0)) throw new Error("a counter only goes up");
    this.#series.at(tenant, values).value += by;
  }

  family(view: MetricsView): ScalarFamily {
    return { type: "counter", name: this.name, help: this.help, samples: this.#series.select(view).map((s) => ({ labels: s.labels, value: s.data.value })) };
  }
}

interface HistogramData { buckets: number[]; sum: number; count: number }

export class Histogram {
  readonly name: string;
  readonly help: string;
  /** Upper bounds of the buckets, ascending, without +Inf. */
  readonly bounds: readonly number[];
  readonly #series: TenantSeries<HistogramData>;

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.bounds = bounds;
    this.#series = new TenantSeries(
      labelNames,
      () => ({ buckets: bounds.map(() => 0), sum: 0, count: 0 }),
      (into, from) => {
        from.buckets.forEach((n, i) => { into.buckets[i]! += n; });
        into.sum += from.sum;
        into.count += from.count;
      },
    );
  }

  observe(tenant: string | undefined, values: readonly string[], v: number): void {
    const h = this.#series.at(tenant, values);
    // The first bound >= v; values above the last bound are only in count (the +Inf bucket).
    const i = this.bounds.findIndex((le) => v <= le);
    if (i >= 0) h.buckets[i]!++;
    h.sum += v;
    h.count++;
  }

  family(view: MetricsView): HistogramFamily {
    return {
      type: "histogram", name: this.name, help: this.help, bounds: this.bounds,
      samples: this.#series.select(view).map((s) => ({ labels: s.labels, buckets: [...s.data.buckets], sum: s.data.sum, count: s.data.count })),
    };
  }
}
