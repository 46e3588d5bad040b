/** The Hono app: middleware order, route mounting, and the only error handler. */
import { Hono } from "hono";
import { RETRY_AFTER_SECONDS } from "../shared/limits.ts";
import { makeProblem, PROBLEM_CONTENT_TYPE, type Problem } from "../shared/problem.ts";
import { ApiError } from "./api-error.ts";
import type { AppEnv } from "./app-env.ts";
import { log } from "./log.ts";
import { INGEST_PATHS } from "./ingest-paths.ts";
import { recordIdempotentAnswer, Replay } from "./idempotency.ts";
import { logRequest } from "./request-log.ts";
import { recordMetrics } from "./metrics/middleware.ts";
import { requestUrl } from "./request-url.ts";
import { setResponseHeaders } from "./response-headers.ts";
import { admin } from "./routes/admin.ts";
import { assets } from "./routes/assets.ts";
import { bundles } from "./routes/bundles.ts";
import { evidence } from "./routes/evidence.ts";
import { incidents } from "./routes/incident.ts";
import { evidenceStore } from "./routes/evidence-store.ts";
import { health } from "./routes/health.ts";
import { serviceInfo } from "./routes/service-info.ts";
import { ingest } from "./routes/ingest.ts";
import { ingestAws } from "./routes/ingest-aws.ts";
import { ingestAzure } from "./routes/ingest-azure.ts";
import { ingestGcp } from "./routes/ingest-gcp.ts";
import { ingestNetwork } from "./routes/ingest-network.ts";
import { indicators } from "./routes/indicators.ts";
import { jwks } from "./routes/jwks.ts";
import { metrics } from "./routes/metrics.ts";
import { otlp } from "./routes/otlp.ts";
import { retention } from "./routes/retention.ts";
import { splunkHec } from "./routes/splunk-hec.ts";
import { alerts } from "./routes/alerts.ts";
import { apiDocs } from "./routes/api-docs.ts";
import { forwarding } from "./routes/forwarding.ts";
import { exportsAdmin } from "./routes/exports.ts";
import { summary } from "./routes/summary.ts";
import { tail } from "./routes/tail.ts";

export const app = new Hono<AppEnv>();

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

app.use(async (c, next) => {
  const given = c.req.header("x-request-id");
  const id = given && REQUEST_ID_RE.test(given) ? given : crypto.randomUUID();
  c.set("requestId", id);
  const started = Date.now();
  await next();
  setResponseHeaders(c, { "X-Request-ID": id, "X-API-Version": "v1" });
  // Authenticated requests go to the tenant's request log (after the answer is ready).
  const principal = c.get("principal");
  if (principal) {
    logRequest(c.env, (p) => c.executionCtx.waitUntil(p), principal.tenant, {
      at: started, method: c.req.method, path: requestUrl(c.req.raw).pathname.slice(0, 256), status: c.res.status,
      ms: Date.now() - started, key: principal.keyId, request_id: id,
      bytes: Number(c.req.header("content-length") ?? 0) || 0, events: c.get("events") ?? 0,
    });
  }
});
app.use(recordMetrics);

// Keyed ingest requests: the final answer is recorded for replay (workers/idempotency.ts).
for (const path of INGEST_PATHS) app.use(path, recordIdempotentAnswer);

app.route("/", health);
app.route("/", serviceInfo);
app.route("/", ingest);
app.route("/", ingestAws);
app.route("/", ingestGcp);
app.route("/", ingestAzure);
app.route("/", ingestNetwork);
app.route("/", otlp);
app.route("/", splunkHec);
app.route("/", tail);
app.route("/", assets);
app.route("/", summary);
app.route("/", alerts);
app.route("/", forwarding);
app.route("/", indicators);
app.route("/", exportsAdmin);
app.route("/", evidence);
app.route("/", bundles);
app.route("/", jwks);
app.route("/", metrics);
app.route("/", evidenceStore);
app.route("/", incidents);
app.route("/", retention);
app.route("/", admin);
// /openapi.json reads app.routes when asked, so it lists every route mounted here.
app.route("/", apiDocs(() => app.routes));

function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "Content-Type": PROBLEM_CONTENT_TYPE, ...headers },
  });
}

app.notFound((c) => problemResponse(makeProblem("not_found", `No route for ${c.req.method} ${requestUrl(c.req.raw).pathname}.`, { request_id: c.get("requestId") })));

app.onError((e, c) => {
  const requestId = c.get("requestId") ?? crypto.randomUUID();
  if (e instanceof ApiError) return problemResponse(e.problem(requestId), { ...e.headers, "X-Request-ID": requestId });
  if (e instanceof Replay) return e.response(requestId);
  // Durable Object errors flagged by the runtime as transient (reset, overloaded): the client may retry.
  const flags = e as { retryable?: boolean; overloaded?: boolean };
  if (flags.retryable || flags.overloaded) {
    log.warn("DurableObjectUnavailable", { request_id: requestId, overloaded: Boolean(flags.overloaded), error: String(e.message) });
    const problem = makeProblem("unavailable", "A storage object is temporarily unavailable; retry shortly.", { request_id: requestId });
    return problemResponse(problem, { "Retry-After": String(RETRY_AFTER_SECONDS), "X-Request-ID": requestId });
  }
  // Anything else is our bug: log it, tell the client nothing about internals.
  log.error("UnhandledError", { request_id: requestId, error: String(e?.stack ?? e) });
  return problemResponse(makeProblem("internal", "An internal error occurred.", { request_id: requestId }), { "X-Request-ID": requestId });
});
