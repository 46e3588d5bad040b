/**
 * The edge's own series (per isolate): requests by route and status class, their latency,
 * events stored by source, and ingest rejections by problem code. Label values come from
 * fixed vocabularies (route patterns, sources, problem codes), so cardinality is bounded.
 */
import type { MetricFamily } from "./exposition.ts";
import { Counter, Histogram, type MetricsView } from "./registry.ts";

/** Prometheus' default buckets, in seconds. */
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

const requests = new Counter("telemetry_requests_total", "HTTP requests answered by this isolate, by route pattern and status class.", ["route", "status_class"]);
const duration = new Histogram(
  "telemetry_request_duration_seconds",
  "Time from request to answer in this isolate, by route pattern (the Workers clock advances across I/O only, so this is mostly time spent waiting on storage).",
  ["route"], DURATION_BUCKETS_SECONDS,
);
const ingested = new Counter("telemetry_events_ingested_total", "Events stored by requests to this isolate, by event source.", ["source"]);
const rejected = new Counter("telemetry_ingest_rejected_total", "Ingest requests this isolate answered with 4xx or 5xx, by problem code.", ["reason"]);

/** A request answered: `route` is the route pattern (or "unmatched"), never the raw path. */
export function recordRequest(tenant: string | undefined, route: string, status: number, seconds: number): void {
  requests.inc(tenant, [route, `${Math.floor(status / 100)}xx`]);
  duration.observe(tenant, [route], seconds);
}

export function recordIngested(tenant: string, source: string, events: number): void {
  if (events > 0) ingested.inc(tenant, [source], events);
}

export function recordRejected(tenant: string | undefined, reason: string): void {
  rejected.inc(tenant, [reason]);
}

export function edgeFamilies(view: MetricsView): MetricFamily[] {
  return [requests.family(view), duration.family(view), ingested.family(view), rejected.family(view)];
}
