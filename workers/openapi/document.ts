/**
 * The OpenAPI 3.1 document, generated: the operations are the routes mounted on the Hono app
 * (`app.routes`), each described by its registry entry (registry.ts). A mounted route without
 * an entry still appears (marked undocumented) and an entry whose route is not mounted does
 * not, so the document never claims what the Worker does not serve; the test suite fails on both.
 */
import { PROBLEM_CODES, problemType, type ProblemCode } from "../../shared/problem.ts";
import { SERVICE_NAME, SERVICE_VERSION } from "../../shared/version.ts";
import { SCHEMAS } from "./components.ts";
import type { Op, Param } from "./operation.ts";
import { OPERATIONS } from "./registry.ts";
import { ref, str, type Schema } from "./schema.ts";
import { securityOf, SECURITY_SCHEMES } from "./security.ts";

export interface MountedRoute {
  method: string;
  path: string;
}

/** Hono's `:param` to OpenAPI's `{param}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

/** The app's endpoints, as "METHOD /path/{param}": middleware (method ALL) left out, duplicates merged. */
export function mountedOperations(routes: readonly MountedRoute[]): string[] {
  const keys = routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`);
  return [...new Set(keys)].sort();
}

const PATH_PARAMS: Record<string, string> = {
  asset: "Asset id: 1-128 of [A-Za-z0-9._:/@-], percent-encoded (a / is %2F).",
  tenant: "Tenant id: 1-63 of [a-z0-9-].",
  key_id: "Key id: 16 hex digits.",
  file: "records.jsonl.gz, statement.dsse.json or metadata.json.",
  name: "The export's name in the tenant config.",
};

function pathParams(path: string): Record<string, unknown>[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name, in: "path", required: true, schema: str(),
    description: name === "id" ? (path.includes("/alerts/") ? "Alert id as listed." : "Bundle id: evidence-<yyyymmdd-hhmmss>-<8 hex>.") : PATH_PARAMS[name!] ?? name,
  }));
}

function param(p: Param): Record<string, unknown> {
  return { name: p.name, in: p.in, required: p.required ?? false, description: p.description, schema: p.schema ?? str() };
}

/** The problem types an operation may answer: its own plus those every route of its kind has. */
export function problemsOf(op: Op, path: string): ProblemCode[] {
  if (op.nativeErrors) return [];
  const codes = new Set<ProblemCode>(op.problems ?? []);
  if (op.auth !== "public") (["unauthorized", "forbidden"] as const).forEach((c) => codes.add(c));
  if (path.includes("{asset}")) codes.add("invalid_parameter");
  codes.add("internal");
  return [...codes];
}

function problemResponses(codes: ProblemCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const c of codes) byStatus.set(PROBLEM_CODES[c][0], [...(byStatus.get(PROBLEM_CODES[c][0]) ?? []), c]);
  return Object.fromEntries([...byStatus].map(([status, cs]) => [String(status), {
    description: cs.map((c) => `${PROBLEM_CODES[c][1]} (${problemType(c).split("/").pop()})`).join("; "),
    ...(status === 429 || status === 503 ? { headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } } } : {}),
    content: { "application/problem+json": { schema: { allOf: [ref("Problem"), { properties: { type: { enum: cs.map(problemType) } } }] } } },
  }]));
}

function operation(key: string, op: Op | undefined): Record<string, unknown> {
  const [method, path] = key.split(" ") as [string, string];
  if (!op) return { summary: "Undocumented route", operationId: operationId(method, path), parameters: pathParams(path), responses: { default: { description: "Not described yet." } } };
  const responses: Record<string, unknown> = {};
  for (const [status, a] of Object.entries(op.responses)) {
    responses[status] = {
      description: a.description,
      ...(a.headers ? { headers: Object.fromEntries(Object.entries(a.headers).map(([h, d]) => [h, { description: d, schema: str() }])) } : {}),
      ...(a.schema ? { content: { [a.type ?? "application/json"]: { schema: a.schema } } } : {}),
    };
  }
  for (const [status, r] of Object.entries(problemResponses(problemsOf(op, path)))) responses[status] ??= r;
  return {
    operationId: operationId(method, path),
    summary: op.summary,
    description: [op.description, op.docs ? `More: ${op.docs} in the repository.` : "", op.auth === "public" ? "No credential needed." : ""].filter(Boolean).join("\n\n"),
    tags: [op.tag],
    security: securityOf(op.auth),
    "x-auth": op.auth,
    parameters: [...pathParams(path), ...(op.params ?? []).map(param)],
    ...(op.body ? {
      requestBody: {
        required: op.body.required ?? false,
        ...(op.body.description ? { description: op.body.description } : {}),
        content: Object.fromEntries((op.body.types ?? ["application/json"]).map((t) => [t, { schema: op.body!.schema }])),
      },
    } : {}),
    responses,
  };
}

function operationId(method: string, path: string): string {
  return `${method.toLowerCase()}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+/g, "_").replace(/_$/, "")}`;
}

/** The document for the routes mounted on the app, with `origin` as its server. */
export function openApiDocument(routes: readonly MountedRoute[], origin: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const key of mountedOperations(routes)) {
    const [method, path] = key.split(" ") as [string, string];
    (paths[path] ??= {})[method.toLowerCase()] = operation(key, OPERATIONS[key]);
  }
  const problemTypes: Schema = {
    description: "Every problem type the API answers (docs/errors.md).",
    oneOf: (Object.keys(PROBLEM_CODES) as ProblemCode[]).map((c) => ({ const: problemType(c), title: PROBLEM_CODES[c][1], description: `HTTP ${PROBLEM_CODES[c][0]}` })),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Telemetry Bridge API", version: SERVICE_VERSION,
      description: `${SERVICE_NAME}: telemetry ingest, per-asset logs, live tail, alerts and signed evidence bundles. ` +
        "Errors are RFC 9457 application/problem+json (components.schemas.ProblemType lists every type). Generated from the mounted routes.",
    },
    servers: [{ url: origin }],
    tags: ["ingest", "assets", "alerts", "live tail", "evidence", "admin", "operations", "meta"].map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...SCHEMAS, Problem: { ...SCHEMAS.Problem, properties: { ...(SCHEMAS.Problem!.properties as object), type: ref("ProblemType") } }, ProblemType: problemTypes },
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
