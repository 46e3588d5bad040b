/** OpenAPI metadata of the public and operational routes: health, keys, metrics, these docs, the dashboard. */
import { anyObject, ref, str } from "./schema.ts";
import { json, type Op } from "./operation.ts";

const health: Op = { summary: "Liveness", tag: "operations", auth: "public", responses: { "200": json(ref("Health"), "Up.") } };
const toDashboard: Op = {
  summary: "Redirect to the dashboard (/dashboard/, served as static assets)", tag: "meta", auth: "public", docs: "docs/dashboard.md",
  responses: { "302": { description: "Location: /dashboard/", headers: { Location: "/dashboard/" } } },
};

export const META_OPS: Record<string, Op> = {
  "GET /health": health,
  "GET /v1/health": health,
  "GET /v1/version": {
    summary: "Service name, version, API version, git sha and build time", tag: "operations", auth: "public", docs: "docs/deploy.md",
    responses: { "200": json(ref("Version"), "The running version.") },
  },
  "GET /v1/system": {
    summary: "Live checks of what the caller's tenant depends on, and its effective config (no secrets)", tag: "operations", auth: "read",
    responses: { "200": json(ref("System"), "Every check passed."), "503": json(ref("System"), "A check failed: ok false, the check says why.") },
  },
  "GET /.well-known/jwks.json": {
    summary: "Evidence verification keys (public Ed25519 JWKs, retired ones included)", tag: "evidence", auth: "public", docs: "docs/evidence.md",
    responses: { "200": json(ref("Jwks"), "The keys.") }, problems: ["unavailable"],
  },
  "GET /metrics": {
    summary: "Prometheus text exposition", tag: "operations", auth: "metrics", docs: "docs/metrics.md",
    description: 'A key with scope metrics sees its tenant; the ADMIN_TOKEN every tenant; no credential only where METRICS_PUBLIC = "true".',
    responses: { "200": { description: "text/plain; version=0.0.4", type: "text/plain", schema: str() } },
  },
  "GET /openapi.json": {
    summary: "This document (OpenAPI 3.1)", tag: "meta", auth: "public", responses: { "200": json(anyObject("OpenAPI 3.1"), "The document.") },
  },
  "GET /docs": {
    summary: "A readable rendering of this document", tag: "meta", auth: "public", responses: { "200": { description: "HTML.", type: "text/html", schema: str() } },
  },
  "GET /": toDashboard,
  "GET /dashboard": toDashboard,
};
