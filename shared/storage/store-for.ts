/**
 * The evidence store a tenant's config names: R2 (the binding) by default, or an S3-compatible
 * bucket or an Azure Blob container with credentials read from Worker secrets by name.
 */
import { err, ok, type Result } from "../result.ts";
import type { EvidenceStoreConfig } from "../tenant-config.ts";
import { AzureBlobStore } from "./azure-blob-store.ts";
import { endpointRefusal } from "./endpoint-policy.ts";
import type { EvidenceStore } from "./evidence-store.ts";
import { R2Store } from "./r2-store.ts";
import { S3Store } from "./s3-store.ts";

export interface StoreDeps {
  r2: R2Bucket;
  r2BucketName: string;
  /** A Worker secret by name (undefined when it is not set). */
  secret: (name: string) => string | undefined;
  fetch?: typeof fetch;
  /** ALLOW_INSECURE_STORE_ENDPOINTS: http and private hosts, for local testing only. */
  allowInsecureEndpoints?: boolean;
}

/** Why no store could be built; names the secret or the setting, never a value. */
export type StoreConfigError =
  | { code: "missing_secret"; ref: string; detail: string }
  | { code: "endpoint_refused"; detail: string };

export function evidenceStoreFor(config: EvidenceStoreConfig | undefined, deps: StoreDeps): Result<EvidenceStore, StoreConfigError> {
  if (!config || config.provider === "r2") return ok(new R2Store(deps.r2, deps.r2BucketName));
  const read = (ref: string): Result<string, StoreConfigError> => {
    const v = deps.secret(ref);
    return v ? ok(v) : err({ code: "missing_secret", ref, detail: `The Worker secret ${ref} named by the evidence store config is not set.` });
  };
  const refuse = (url: string) => {
    const why = endpointRefusal(url, deps.allowInsecureEndpoints ?? false);
    return why ? err<StoreConfigError>({ code: "endpoint_refused", detail: `Evidence store endpoint refused: ${why}.` }) : null;
  };
  if (config.provider === "azure-blob") {
    const refused = refuse(config.container_url);
    if (refused) return refused;
    const sas = read(config.sas_token_ref);
    if (!sas.ok) return sas;
    return ok(new AzureBlobStore({ containerUrl: config.container_url, sasToken: sas.value, ...(deps.fetch ? { fetch: deps.fetch } : {}) }));
  }
  const refused = refuse(config.endpoint);
  if (refused) return refused;
  const keyId = read(config.access_key_id_ref);
  if (!keyId.ok) return keyId;
  const secret = read(config.secret_access_key_ref);
  if (!secret.ok) return secret;
  return ok(new S3Store({
    endpoint: config.endpoint, region: config.region, bucket: config.bucket, pathStyle: config.path_style,
    accessKeyId: keyId.value, secretAccessKey: secret.value,
    ...(config.object_lock ? { objectLock: { mode: config.object_lock.mode, retainDays: config.object_lock.retain_days } } : {}),
    ...(config.conditional_writes === false ? { conditionalWrites: false } : {}),
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  }));
}

/** The bridge's own secrets: never handed to a store, whatever a config names. */
const OWN_SECRETS = new Set(["ADMIN_TOKEN", "EVIDENCE_SIGNING_KEYS", "TAIL_TOKEN_SECRET"]);

/** The bindings and vars `storeDeps` reads (a structural slice of the Worker's Env). */
export interface StoreEnv {
  EVIDENCE: R2Bucket;
  EVIDENCE_BUCKET_NAME?: string;
  ALLOW_INSECURE_STORE_ENDPOINTS?: string;
}

/**
 * Store dependencies from the Worker env, for the edge and the Durable Objects alike. Secrets
 * are Worker secrets looked up on `env` by name: wrangler puts secrets and vars on the same
 * object, typed here as unknown and accepted only when they are strings.
 */
export function storeDeps(env: StoreEnv): StoreDeps {
  const bag = env as unknown as Record<string, unknown>;
  return {
    r2: env.EVIDENCE,
    r2BucketName: env.EVIDENCE_BUCKET_NAME ?? "evidence",
    secret: (name) => {
      if (OWN_SECRETS.has(name) || name.startsWith("CLOUDFLARE_")) return undefined;
      const v = bag[name];
      return typeof v === "string" ? v : undefined;
    },
    allowInsecureEndpoints: env.ALLOW_INSECURE_STORE_ENDPOINTS === "true",
  };
}
