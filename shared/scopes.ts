/** API key scopes (DESIGN.md section 7) and tenant id rules. */
export const SCOPES = ["ingest", "read", "evidence", "metrics", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(s: unknown): s is Scope {
  return typeof s === "string" && (SCOPES as readonly string[]).includes(s);
}

/** Tenant ids: lowercase letters, digits and inner hyphens, 1..63 chars (no "_": keys embed the id). */
export const TENANT_ID_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Who is calling: the result of authentication. */
export interface Principal {
  tenant: string;
  keyId: string;
  scopes: Scope[];
}
