/** readLines pages on the primary key: rows read grow with the window, not its square (a bench finding). */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { readLines } from "../../durable-objects/asset-log/read-lines.ts";
import { assetObjectName } from "../../durable-objects/env.ts";
import { canonicalize } from "../../shared/evidence/jcs.ts";

describe("readLines", () => {
  it("reads each chunk of a range about once, whatever the range's start", async () => {
    const ref = { tenant: "t-read", asset: "one-event-chunks", ring: { max_lines: 100_000, max_seconds: 21_600 } };
    const stub = env.ASSET_LOG.getByName(assetObjectName(ref.tenant, ref.asset));
    // 400 single-event appends: 400 chunk rows, the worst case for paging.
    for (let i = 0; i < 400; i++) await stub.append(ref, [{ ts: i, source: "http", recordJcs: canonicalize({ i }) }]);
    await runInDurableObject(stub, (_o: AssetLog, state) => {
      const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
      const counting = {
        exec: (q: string, ...b: unknown[]) => {
          const c = state.storage.sql.exec(q, ...(b as SqlStorageValue[]));
          cursors.push(c);
          return c;
        },
      } as unknown as SqlStorage;
      for (const [first, end] of [[0, 400], [150, 390]] as const) {
        cursors.length = 0;
        const text = [...readLines(counting, first, end)].join("");
        const seqs = text.trimEnd().split("\n").map((l) => (JSON.parse(l) as { seq: number }).seq);
        expect(seqs).toEqual(Array.from({ length: end - first }, (_, k) => first + k));
        const rowsRead = cursors.reduce((n, c) => n + c.rowsRead, 0);
        // One look-up for the start, then each chunk once (plus a row per page boundary).
        expect(rowsRead).toBeLessThanOrEqual(2 * (end - first) + 10);
      }
    });
  });
});
