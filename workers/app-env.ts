/** Hono typing for the bridge: bindings and per-request variables. */
import type { TenantConfig } from "../shared/config.ts";
import type { Principal } from "../shared/scopes.ts";
import type { Env } from "../durable-objects/env.ts";
import type { IngestedBatch } from "./metrics/accepted-by-source.ts";

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    principal: Principal;
    tenantConfig: TenantConfig;
    /** Who performs an admin action: "operator" (ADMIN_TOKEN) or "key:<key_id>". */
    actor: string;
    /** Set by checkReplay: this keyed request's answer is to be recorded for replay. */
    idempotency: { scope: string; fingerprint: string };
    /** Events an ingest request stored (for the request log). */
    events: number;
    /** An ingest request's events and per-asset outcomes (for the metrics by source). */
    ingested: IngestedBatch;
  };
};
