/**
 * The FixOps overlay's `telemetry_bridge` section mapped onto tenant configuration
 * (DESIGN.md section 11). Pure: the CLI parses the YAML and applies the result through
 * the admin API. Every key is either applied or reported with the reason it is not.
 */
import type { EvidenceStoreConfig, TenantConfig } from "./tenant-config.ts";

export type StoreChoice = "keep" | "r2" | "aws" | "gcp" | "azure";

export interface OverlayMapping {
  config: TenantConfig;
  applied: { from: string; to: string; value: unknown }[];
  ignored: { key: string; reason: string }[];
}

/** Secret names the store configs refer to; the operator creates these Worker secrets. */
export const OVERLAY_SECRET_REFS = {
  aws: { access_key_id_ref: "AWS_ACCESS_KEY_ID", secret_access_key_ref: "AWS_SECRET_ACCESS_KEY" },
  gcp: { access_key_id_ref: "GCS_HMAC_ACCESS_ID", secret_access_key_ref: "GCS_HMAC_SECRET" },
  azure: { sas_token_ref: "AZURE_STORAGE_SAS" },
} as const;

const NOT_USED: Record<string, string> = {
  fluentbit: "shipper-side setting (configure Fluent Bit's http output: docs/ingest.md)",
  vector: "shipper-side setting (configure Vector's http sink: docs/ingest.md)",
  "aws.cw_log_groups": "chosen in AWS when creating the subscription filter, not in the bridge",
  "azure.location": "an Azure deployment setting, not used by the bridge",
  "azure.event_hub": "an Azure deployment setting, not used by the bridge",
  "azure.key_vault_name": "secrets live in Worker secrets, not Key Vault",
  "gcp.project_id": "a GCP deployment setting, not used by the bridge",
};

function flatten(value: unknown, prefix: string, out: [string, unknown][]): void {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix, value]);
  }
}

export function mapOverlay(doc: unknown, opts: { store: StoreChoice; azureContainer?: string } = { store: "keep" }): OverlayMapping {
  const section = (doc as { telemetry_bridge?: unknown } | null)?.telemetry_bridge;
  const result: OverlayMapping = { config: {}, applied: [], ignored: [] };
  if (typeof section !== "object" || section === null) {
    result.ignored.push({ key: "telemetry_bridge", reason: "section missing: nothing to apply" });
    return result;
  }
  const entries: [string, unknown][] = [];
  flatten(section, "", entries);
  const c = result.config;
  const set = (from: string, to: string, value: unknown, apply: () => void) => {
    apply();
    result.applied.push({ from, to, value });
  };
  const stores: Partial<Record<"aws" | "gcp" | "azure", EvidenceStoreConfig>> = {};
  // Only the keys the overlay has; the CLI merges them over the tenant's current section.
  const forwarding = () => (c.forwarding ??= {} as NonNullable<TenantConfig["forwarding"]>);
  const byKey = Object.fromEntries(entries);
  for (const [key, value] of entries) {
    const [head, tail] = [key.split(".")[0]!, key.split(".").slice(1).join(".")];
    if (head === "ring_buffer" && (tail === "max_lines" || tail === "max_seconds")) {
      set(key, `ring_buffer.${tail}`, value, () => ((c.ring_buffer ??= {})[tail] = value as number));
    } else if (head === "retention_days" && (tail === "raw" || tail === "summary" || tail === "evidence")) {
      set(key, `retention_days.${tail}`, value, () => ((c.retention_days ??= {})[tail] = value as number));
    } else if (key === "mode") {
      set(key, "forwarding.mode", value, () => (forwarding().mode = value as "http" | "off"));
    } else if (key === "fixops_url") {
      set(key, "forwarding.fixops_url", value, () => (forwarding().fixops_url = value as string));
    } else if (key === "api_key_secret_ref") {
      set(key, "forwarding.api_key_secret_ref", value, () => (forwarding().api_key_secret_ref = value as string));
    } else if (key === "aws.s3_bucket") {
      const region = typeof byKey["aws.region"] === "string" ? (byKey["aws.region"] as string) : "us-east-1";
      stores.aws = { provider: "s3", endpoint: `https://s3.${region}.amazonaws.com/`, region, bucket: value as string, path_style: false, ...OVERLAY_SECRET_REFS.aws };
    } else if (key === "aws.region" && byKey["aws.s3_bucket"] !== undefined) {
      // Consumed with aws.s3_bucket.
    } else if (key === "gcp.gcs_bucket") {
      stores.gcp = { provider: "s3", endpoint: "https://storage.googleapis.com/", region: "auto", bucket: value as string, path_style: true, ...OVERLAY_SECRET_REFS.gcp };
    } else if (key === "azure.storage_account") {
      const container = opts.azureContainer ?? "evidence";
      stores.azure = { provider: "azure-blob", container_url: `https://${value as string}.blob.core.windows.net/${container}`, ...OVERLAY_SECRET_REFS.azure };
    } else {
      const reason = NOT_USED[key] ?? NOT_USED[head] ?? "not a telemetry_bridge setting the bridge knows";
      result.ignored.push({ key, reason });
    }
  }
  for (const cloud of ["aws", "gcp", "azure"] as const) {
    const store = stores[cloud];
    if (!store) continue;
    const from = cloud === "aws" ? "aws.s3_bucket (+ aws.region)" : cloud === "gcp" ? "gcp.gcs_bucket" : "azure.storage_account";
    if (opts.store === cloud) set(from, "evidence_store", store, () => (c.evidence_store = store));
    else result.ignored.push({ key: from, reason: `evidence store not chosen (use --store ${cloud} to write evidence there)` });
  }
  if (opts.store === "r2") set("--store r2", "evidence_store", { provider: "r2" }, () => (c.evidence_store = { provider: "r2" }));
  // A FixOps URL without a mode means forwarding to it (the overlay's own default).
  if (c.forwarding && c.forwarding.mode === undefined && c.forwarding.fixops_url !== undefined) c.forwarding.mode = "http";
  return result;
}
