/** The Tenant's request log stores one row per batch: the newest REQUEST_LOG_ROWS records, filtered, at a row or two per batch. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { appendRequests, readRequests, type RequestRecord } from "../../durable-objects/tenant/request-log-store.ts";
import { TENANT_MIGRATIONS } from "../../durable-objects/tenant/schema.ts";
import type { Tenant } from "../../durable-objects/tenant/tenant.ts";
import { REQUEST_LOG_FLUSH_RECORDS, REQUEST_LOG_ROWS } from "../../shared/limits.ts";
import { migrate } from "../../shared/sql-migrations.ts";

function record(n: number): RequestRecord {
  return {
    at: 1_700_000_000_000 + n * 10, method: n % 3 ? "POST" : "GET", path: n % 2 ? "/v1/logs" : `/v1/assets/a${n % 5}/summary`,
    status: [200, 200, 429, 400, 503][n % 5]!, ms: n % 7, key: `k${n % 4}`, request_id: `r-${n}`, bytes: n, events: n % 3,
  };
}

/** A SqlStorage that keeps its cursors, to sum rows read and written. */
function counting(sql: SqlStorage) {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const wrapped = {
    exec: (q: string, ...b: unknown[]) => {
      const c = sql.exec(q, ...(b as SqlStorageValue[]));
      cursors.push(c);
      return c;
    },
  } as unknown as SqlStorage;
  const sum = (k: "rowsRead" | "rowsWritten") => cursors.reduce((n, c) => n + c[k], 0);
  return { sql: wrapped, reset: () => void (cursors.length = 0), read: () => sum("rowsRead"), written: () => sum("rowsWritten") };
}

describe("Tenant request log", () => {
  it("keeps exactly the newest REQUEST_LOG_ROWS records, newest first, with every filter, at about two rows written per batch", async () => {
    const stub = env.TENANT.getByName(tenantObjectName("req-batches"));
    expect((await stub.create({ tenant_id: "req-batches", name: "R" }, "operator")).ok).toBe(true);
    // Uneven batches, as isolates send them (full ones and timer flushes), 1,537 records in all.
    const all: RequestRecord[] = [];
    let n = 0;
    for (const size of [1, 7, ...Array(29).fill(REQUEST_LOG_FLUSH_RECORDS), 23, 3, 50, 3]) {
      const batch = Array.from({ length: size }, () => record(n++));
      all.push(...batch);
      await stub.recordRequests(batch);
    }
    const newest = all.slice(-REQUEST_LOG_ROWS).reverse();
    expect(await stub.requestLog({ limit: 5_000 })).toEqual(newest);
    expect(await stub.requestLog({ limit: 7 })).toEqual(newest.slice(0, 7));
    const cases: [Parameters<Tenant["requestLog"]>[0], (r: RequestRecord) => boolean][] = [
      [{ limit: 100, status: 429 }, (r) => r.status === 429],
      [{ limit: 1_000, status_class: 5 }, (r) => r.status >= 500 && r.status < 600],
      [{ limit: 1_000, path_prefix: "/v1/assets/a3" }, (r) => r.path.startsWith("/v1/assets/a3")],
      [{ limit: 50, key: "k2", since: all[1_300]!.at }, (r) => r.key === "k2" && r.at >= all[1_300]!.at],
      [{ limit: 1_000, key: "nobody" }, () => false],
    ];
    for (const [q, keep] of cases) expect(await stub.requestLog(q)).toEqual(newest.filter(keep).slice(0, q.limit));

    await runInDurableObject(stub, (_o: Tenant, state) => {
      const rows = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM request_log").one().n;
      // Whole batches only: the rows that hold the window, plus at most the one straddling its start.
      expect(rows).toBeLessThanOrEqual(Math.ceil(REQUEST_LOG_ROWS / REQUEST_LOG_FLUSH_RECORDS) + 4);
      const c = counting(state.storage.sql);
      state.storage.transactionSync(() => appendRequests(c.sql, Array.from({ length: REQUEST_LOG_FLUSH_RECORDS }, () => record(n++))));
      // One insert, and one trimmed batch row (was: 50 inserts and 50 deletes).
      expect(c.written()).toBeLessThanOrEqual(3);
      c.reset();
      expect(readRequests(c.sql, { limit: 10 })).toHaveLength(10);
      expect(c.read()).toBeLessThanOrEqual(20);
    });
  });

  it("carries the rows of the old one-row-per-request table over, in order", async () => {
    const stub = env.TENANT.getByName(tenantObjectName("req-migrated"));
    await runInDurableObject(stub, (_o: Tenant, state) => {
      const sql = state.storage.sql;
      migrate(sql, TENANT_MIGRATIONS.slice(0, -1));
      const old = Array.from({ length: 1_005 }, (_, i) => record(i));
      for (const r of old) {
        sql.exec(
          "INSERT INTO requests (at, method, path, status, ms, key, request_id, bytes, events) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          r.at, r.method, r.path, r.status, r.ms, r.key, r.request_id, r.bytes, r.events,
        );
      }
      sql.exec("DELETE FROM requests WHERE rowid <= 3"); // the old trim leaves a gap at the start
      migrate(sql, TENANT_MIGRATIONS);
      expect(sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'requests'").toArray()).toEqual([]);
      expect(readRequests(sql, { limit: 5_000 })).toEqual(old.slice(3).slice(-REQUEST_LOG_ROWS).reverse());
      appendRequests(sql, [record(2_000)]);
      expect(readRequests(sql, { limit: 2 })).toEqual([record(2_000), old.at(-1)]);
    });
  });
});
