/** Tenant DO schema: append-only migrations. */
export const TENANT_MIGRATIONS = [
  `CREATE TABLE tenant (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'active',
     config TEXT NOT NULL DEFAULT '{}',
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE api_keys (
     key_id TEXT PRIMARY KEY,
     secret_sha256 BLOB NOT NULL,
     prefix TEXT NOT NULL,
     name TEXT,
     scopes TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER,
     revoked_at INTEGER
   );`,
  // Evidence bundles by id, so GET /v1/bundles/{id}/{file} needs no asset in the path.
  `CREATE TABLE bundles (
     id TEXT PRIMARY KEY,
     asset TEXT NOT NULL,
     prefix TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // Admin actions on this tenant: who did what, when (never secrets).
  `CREATE TABLE audit (
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT
   );
   ALTER TABLE api_keys ADD COLUMN rotated_from TEXT;`,
  // The tenant's assets, as their AssetLog objects report them (throttled, so counts may lag).
  `CREATE TABLE assets (
     asset TEXT PRIMARY KEY,
     first_seen INTEGER NOT NULL,
     last_seen INTEGER NOT NULL,
     events_total INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // The last REQUEST_LOG_ROWS authenticated requests, for the dashboard.
  `CREATE TABLE requests (
     at INTEGER NOT NULL,
     method TEXT NOT NULL,
     path TEXT NOT NULL,
     status INTEGER NOT NULL,
     ms INTEGER NOT NULL,
     key TEXT NOT NULL,
     request_id TEXT NOT NULL,
     bytes INTEGER NOT NULL,
     events INTEGER NOT NULL
   );`,
  // The asset's reported AssetMetrics (JSON), for GET /metrics; NULL until it reports them.
  `ALTER TABLE assets ADD COLUMN metrics TEXT;`,
  // What the retention pass deleted, by class (evidence, raw, summary), for GET /metrics.
  `CREATE TABLE retention_totals (
     class TEXT PRIMARY KEY,
     deleted INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // Where each bundle was stored (its store config: secret names only), so a download reads the
  // store the bundle went to even after the tenant moved to another; NULL: the tenant's current store.
  `ALTER TABLE bundles ADD COLUMN store TEXT;`,
  // Idempotency-Key records (docs/ingest.md): the first final answer to a key, replayed for 24 h
  // to a retry with the same body. Scope is "<key id>:<Idempotency-Key>"; the index serves expiry.
  `CREATE TABLE idempotency (
     scope TEXT PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     status INTEGER NOT NULL,
     content_type TEXT NOT NULL,
     body TEXT NOT NULL,
     created_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX idempotency_age ON idempotency (created_at);`,
  // Enrichment range tables (durable-objects/tenant/range-store.ts): one row per table, its bytes in
  // parts under the row limit, one version for all (changed by every upload or delete); and the
  // redaction counters by reason (docs/enrichment-and-redaction.md).
  `CREATE TABLE range_tables (
     name TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     entries INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE range_parts (
     name TEXT NOT NULL,
     part INTEGER NOT NULL,
     data BLOB NOT NULL,
     PRIMARY KEY (name, part)
   );
   CREATE TABLE range_version (version INTEGER NOT NULL);
   INSERT INTO range_version (version) VALUES (0);
   CREATE TABLE redaction_totals (
     reason TEXT PRIMARY KEY,
     n INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // The tenant's current or most recent incident (shared/incident.ts, JSON); NULL: never had one.
  // Kept apart from config: PUT config does not touch it, and the edge sees it merged into the config.
  `ALTER TABLE tenant ADD COLUMN incident TEXT;`,
  // The request log as one row per batch an isolate sends (durable-objects/tenant/request-log-store.ts):
  // end_total numbers the batch's last record; the old rows become batches of one, numbered in order.
  `CREATE TABLE request_log (
     end_total INTEGER PRIMARY KEY,
     records TEXT NOT NULL
   );
   INSERT INTO request_log (end_total, records)
     SELECT row_number() OVER (ORDER BY rowid), json_array(json_object('at', at, 'method', method, 'path', path, 'status', status,
       'ms', ms, 'key', key, 'request_id', request_id, 'bytes', bytes, 'events', events))
     FROM requests;
   DROP TABLE requests;`,
] as const;
