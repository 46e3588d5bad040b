/** Object layout of an evidence bundle in the store (DESIGN.md section 6, a contract). */

export const RECORDS_FILE = "records.jsonl.gz";
export const STATEMENT_FILE = "statement.dsse.json";
export const METADATA_FILE = "metadata.json";
export const BUNDLE_FILES = [RECORDS_FILE, STATEMENT_FILE, METADATA_FILE] as const;
export type BundleFile = (typeof BUNDLE_FILES)[number];

/** Bundle ids as the bridge makes them; anything else is not looked up. */
export const BUNDLE_ID_RE = /^evidence-\d{8}-\d{6}-[0-9a-f]{8}$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `yyyymmdd-hhmmss` in UTC. */
export function bundleStamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}-` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  );
}

/** Bundle id: the folder name, `evidence-<yyyymmdd-hhmmss>-<sha256(gz)[0:8]>`. */
export function bundleId(createdMs: number, gzSha256Hex: string): string {
  return `evidence-${bundleStamp(createdMs)}-${gzSha256Hex.slice(0, 8)}`;
}

/**
 * Folder of a bundle: `evidence/<tenant>/<asset>/<yyyy>/<mm>/<dd>/<bundle id>/`.
 * The asset is percent-encoded, since asset ids may contain "/" and would otherwise
 * add path levels that make keys ambiguous.
 */
export function bundlePrefix(tenant: string, asset: string, createdMs: number, id: string): string {
  const d = new Date(createdMs);
  return (
    `evidence/${tenant}/${encodeURIComponent(asset)}/` +
    `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${id}/`
  );
}
