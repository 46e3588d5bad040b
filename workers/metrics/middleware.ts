/**
 * Records every answered request into this isolate's series: route pattern and status
 * class, latency, stored events by source, and the problem code of rejected ingest requests.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { PROBLEM_CODES, type ProblemCode } from "../../shared/problem.ts";
import { ApiError } from "../api-error.ts";
import type { AppEnv } from "../app-env.ts";
import { acceptedBySource } from "./accepted-by-source.ts";
import { recordIngested, recordRejected, recordRequest } from "./edge-metrics.ts";

export const UNMATCHED_ROUTE = "unmatched";

/** Route patterns of the ingest surface (DESIGN.md section 7): their failures count as rejections. */
const INGEST_ROUTE_RE = /^\/(?:v1\/(?:telemetry|logs|ingest\/|otlp\/)|telemetry$|services\/collector)/;

/**
 * The pattern of the route that answered. Middleware registered with `use` (method "ALL")
 * is not a route; when only middleware matched, the request had no route.
 */
export function routePattern(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  const here = routes[c.req.routeIndex];
  if (here && here.method !== "ALL") return here.path;
  // A middleware answered (e.g. refused the body) before the route it guards ran.
  return routes.find((r, i) => i > c.req.routeIndex && r.method !== "ALL")?.path ?? UNMATCHED_ROUTE;
}

const CODE_BY_STATUS = new Map<number, ProblemCode>();
for (const [code, [status]] of Object.entries(PROBLEM_CODES) as [ProblemCode, readonly [number, string]][]) {
  if (!CODE_BY_STATUS.has(status)) CODE_BY_STATUS.set(status, code);
}

/**
 * The problem code of a failed answer. Routes that answer in a source's own protocol
 * (Splunk HEC, Firehose) throw nothing, so their status names the code.
 */
export function rejectionReason(error: unknown, status: number): string {
  if (error instanceof ApiError) return error.code;
  const flags = error as { retryable?: boolean; overloaded?: boolean } | undefined;
  if (flags?.retryable || flags?.overloaded) return "unavailable";
  if (error instanceof Error) return "internal";
  return CODE_BY_STATUS.get(status) ?? `http_${status}`;
}

export const recordMetrics = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const route = routePattern(c);
  const status = c.res.status;
  const tenant = c.get("principal")?.tenant;
  recordRequest(tenant, route, status, (Date.now() - started) / 1000);
  const batch = c.get("ingested");
  if (batch && tenant) for (const [source, n] of acceptedBySource(batch)) recordIngested(tenant, source, n);
  if (status >= 400 && INGEST_ROUTE_RE.test(route)) recordRejected(tenant, rejectionReason(c.error, status));
});
