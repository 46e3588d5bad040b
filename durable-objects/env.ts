/** Bindings and vars of the Worker script, shared by the edge and the Durable Objects. */
import type { ConfigVars } from "../shared/config.ts";
import type { AssetLog } from "./asset-log/asset-log.ts";
import type { Tenant } from "./tenant/tenant.ts";
import type { TenantDirectory } from "./tenant-directory/tenant-directory.ts";

export interface Env extends ConfigVars {
  ASSET_LOG: DurableObjectNamespace<AssetLog>;
  TENANT: DurableObjectNamespace<Tenant>;
  TENANT_DIRECTORY: DurableObjectNamespace<TenantDirectory>;
  EVIDENCE: R2Bucket;
  /** Name of the R2 bucket behind EVIDENCE (bindings do not expose it); reported in evidence responses. */
  EVIDENCE_BUCKET_NAME?: string;
  /** Operator bootstrap secret for the admin API. */
  ADMIN_TOKEN?: string;
  /** Private Ed25519 JWK set; the first key signs. */
  EVIDENCE_SIGNING_KEYS?: string;
  /** Secret the live tail's short-lived `?token=` credentials are signed under (HKDF); falls back to ADMIN_TOKEN. */
  TAIL_TOKEN_SECRET?: string;
}

/** Durable Object names: built here only, so tenants never share an object. */
export function assetObjectName(tenant: string, asset: string): string {
  return `${tenant}\u0000${asset}`;
}

export function tenantObjectName(tenant: string): string {
  return `tenant:${tenant}`;
}

/** The one TenantDirectory object. */
export const DIRECTORY_OBJECT_NAME = "directory";
