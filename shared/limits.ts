/** Every bound and default of the bridge, in one place, each with its unit. */

/** Largest request body accepted on the wire (compressed size when gzip). */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;
/** Largest body after inflating a gzip request (gzip-bomb bound). */
export const MAX_DECOMPRESSED_BYTES = 50 * 1024 * 1024;
/** Records per ingest request. */
export const MAX_RECORDS_PER_REQUEST = 10_000;
/** One record, measured as its canonical (JCS) JSON in UTF-8. */
export const MAX_RECORD_BYTES = 256 * 1024;
/** One NDJSON line before parsing. */
export const MAX_NDJSON_LINE_BYTES = 1024 * 1024;
/** Distinct assets one request may write to (each is a Durable Object call, a subrequest). */
export const MAX_ASSETS_PER_REQUEST = 100;
/** Nesting depth of any JSON value we accept. */
export const MAX_JSON_DEPTH = 64;
/** Asset ids: 1..128 chars of [A-Za-z0-9._:/@-]. */
export const MAX_ASSET_ID_LENGTH = 128;

/** Ring buffer defaults (overridable in wrangler vars and per tenant). */
export const DEFAULT_RING_MAX_LINES = 200_000;
export const DEFAULT_RING_MAX_SECONDS = 21_600;
/** Upper bounds a tenant may configure. */
export const MAX_RING_MAX_LINES = 10_000_000;
export const MAX_RING_MAX_SECONDS = 30 * 24 * 3600;

/** Evidence window default, seconds (the original collector's default). */
export const DEFAULT_EVIDENCE_SINCE_SECONDS = 3600;

/** One stored chunk row holds at most this many bytes of JSONL (DO SQLite rows cap at 2 MB). */
export const CHUNK_MAX_BYTES = 1024 * 1024;
/** Chunks read per SQL page while building a bundle. */
export const BUNDLE_READ_PAGE_CHUNKS = 8;
/** R2 multipart part size for bundles larger than one part (R2 needs equal parts >= 5 MiB). */
export const EVIDENCE_PART_BYTES = 8 * 1024 * 1024;
/** One AssetLog.append RPC carries at most this many bytes of records (RPC messages cap at 32 MiB). */
export const APPEND_SLICE_MAX_BYTES = 8 * 1024 * 1024;
/** Parallel AssetLog calls per request. */
export const FANOUT_CONCURRENCY = 8;
/** Ring-buffer trimming deletes at most this many chunk rows per alarm (then re-arms in 1 s). */
export const TRIM_BATCH_CHUNKS = 5_000;

/** Positive auth results are cached per isolate for this long; revocation is effective within it. */
export const AUTH_CACHE_TTL_MS = 30_000;
/** Failed authentications are remembered per isolate for this long. */
export const AUTH_MISS_TTL_MS = 10_000;
/** Auth cache entries per isolate (each of the positive and negative caches). */
export const AUTH_CACHE_MAX_ENTRIES = 1_000;
/** JWT issuer settings and key sets are cached per isolate this long (config changes apply within it). */
export const JWT_CONFIG_TTL_MS = 60_000;
/** Directory look-ups per second per isolate for JWT issuers not yet cached. */
export const JWT_LOOKUPS_PER_SECOND = 50;
/** Leeway for JWT exp/nbf, seconds. */
export const JWT_CLOCK_TOLERANCE_SECONDS = 30;
/** Requests kept per tenant in the request log. */
export const REQUEST_LOG_ROWS = 1_000;
/** An isolate sends its buffered request records when it holds this many, or the oldest is this old. */
export const REQUEST_LOG_FLUSH_RECORDS = 50;
export const REQUEST_LOG_FLUSH_MS = 1_000;
/** An asset reports its activity to the tenant's index at most this often. */
export const ASSET_INDEX_INTERVAL_MS = 30_000;
/** Per-asset ingest cap: the bucket holds this many seconds of the configured rate. */
export const ASSET_BURST_SECONDS = 10;
/** Tenant and key quotas count in fixed windows of this length. */
export const QUOTA_WINDOW_MS = 60_000;
/** An isolate leases quota from the tenant's object in slices of this fraction of the limit. */
export const QUOTA_LEASE_FRACTION = 0.02;
/** Retry-After seconds when a Durable Object is overloaded or unavailable. */
export const RETRY_AFTER_SECONDS = 2;
/** Physical ring-buffer trimming runs at most this often while ingest continues. */
export const TRIM_INTERVAL_MS = 30_000;
