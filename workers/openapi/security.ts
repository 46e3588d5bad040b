/**
 * Scopes as OpenAPI security schemes: one bearer scheme per API key scope (an API key or JWT
 * carrying it), the operator's ADMIN_TOKEN, and the credential forms of push sources and the
 * live tail. Operations name the scheme(s) that let a caller in.
 */
import { SCOPES } from "../../shared/scopes.ts";
import type { Auth } from "./operation.ts";

const SCOPE_TEXT: Record<(typeof SCOPES)[number], string> = {
  ingest: "send telemetry",
  read: "list assets, read summaries and alerts, open the live tail",
  evidence: "create, list and download evidence bundles",
  metrics: "scrape GET /metrics for the key's tenant",
  admin: "administer the key's own tenant (config, keys, audit), change alerts, redrive dead letters",
};

export const SECURITY_SCHEMES: Record<string, Record<string, unknown>> = {
  ...Object.fromEntries(SCOPES.map((s) => [s, {
    type: "http", scheme: "bearer", bearerFormat: "tb_<tenant>_<key_id>_<secret>, or a tenant JWT",
    description: `An API key or JWT with the "${s}" scope: ${SCOPE_TEXT[s]}. Also accepted as X-API-Key: <key>.`,
  }])),
  operator: { type: "http", scheme: "bearer", description: "The operator's ADMIN_TOKEN (a Worker secret): every tenant." },
  key_query: { type: "apiKey", in: "query", name: "key", description: "An ingest key in ?key=, for push sources that cannot set headers (Pub/Sub push, Event Grid)." },
  firehose_key: { type: "apiKey", in: "header", name: "X-Amz-Firehose-Access-Key", description: "An ingest key as the delivery stream's access key." },
  splunk_key: { type: "apiKey", in: "header", name: "Authorization", description: "Authorization: Splunk <ingest key>." },
  tail_token: { type: "apiKey", in: "query", name: "token", description: "A 60-second token from POST /v1/assets/{asset}/tail/token." },
};

/** OpenAPI security requirements (any one suffices) for an operation's auth. */
export function securityOf(auth: Auth): Record<string, string[]>[] {
  switch (auth) {
    case "public": return [];
    case "operator": return [{ operator: [] }];
    case "tenant_admin": return [{ operator: [] }, { admin: [] }];
    case "push_ingest": return [{ ingest: [] }, { key_query: ["ingest"] }];
    case "firehose": return [{ firehose_key: ["ingest"] }, { ingest: [] }];
    case "splunk": return [{ splunk_key: ["ingest"] }];
    case "tail": return [{ read: [] }, { tail_token: ["read"] }];
    // {} = no credential, where the deployment sets METRICS_PUBLIC = "true".
    case "metrics": return [{ metrics: [] }, { operator: [] }, {}];
    default: return [{ [auth]: [] }];
  }
}
