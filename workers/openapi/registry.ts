/** Every route's OpenAPI metadata, by "METHOD /path/{param}" (see operation.ts). */
import { ADMIN_OPS } from "./ops-admin.ts";
import { INGEST_OPS } from "./ops-ingest.ts";
import { META_OPS } from "./ops-meta.ts";
import { NETWORK_OPS } from "./ops-network.ts";
import { TENANT_OPS } from "./ops-tenant.ts";
import type { Op } from "./operation.ts";

export const OPERATIONS: Record<string, Op> = { ...INGEST_OPS, ...NETWORK_OPS, ...TENANT_OPS, ...ADMIN_OPS, ...META_OPS };
