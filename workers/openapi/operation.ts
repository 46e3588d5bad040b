/**
 * What the OpenAPI document says about one route, beyond its method and path (which come from
 * the mounted Hono app): summary, who may call it, parameters, body, answers, problem types.
 * Keyed by "METHOD /path/{param}"; test/integration/openapi.test.ts holds every mounted route
 * and every entry to each other.
 */
import type { ProblemCode } from "../../shared/problem.ts";
import type { Scope } from "../../shared/scopes.ts";
import type { Schema } from "./schema.ts";

/**
 * Who may call: a scope (API key or JWT), the operator's ADMIN_TOKEN, the operator or the
 * tenant's admin key, or a push source's credential forms.
 */
export type Auth = Scope | "public" | "operator" | "tenant_admin" | "push_ingest" | "firehose" | "splunk" | "tail" | "metrics";

export interface Param {
  name: string;
  in: "query" | "header";
  description: string;
  schema?: Schema;
  required?: boolean;
}

export interface Answer {
  description: string;
  schema?: Schema;
  /** Default application/json. */
  type?: string;
  headers?: Record<string, string>;
}

export interface Op {
  summary: string;
  description?: string;
  tag: "ingest" | "assets" | "alerts" | "live tail" | "evidence" | "admin" | "operations" | "meta";
  auth: Auth;
  params?: Param[];
  body?: { schema: Schema; types?: string[]; required?: boolean; description?: string };
  responses: Record<string, Answer>;
  /** Problem types beyond the defaults (401/403 for authenticated routes, 400 for bad asset ids, 500). */
  problems?: ProblemCode[];
  /** Errors answer in the source protocol's own shape (Firehose, Splunk HEC), not problem+json. */
  nativeErrors?: boolean;
  /** The docs/ page that explains it. */
  docs?: string;
}

/** Problems every ingest route may answer. */
export const INGEST_PROBLEMS: ProblemCode[] = [
  "invalid_body", "invalid_json", "invalid_encoding", "invalid_parameter", "payload_too_large", "unsupported_media_type", "unprocessable", "rate_limited", "unavailable",
];

export const json = (schema: Schema, description: string): Answer => ({ description, schema });
