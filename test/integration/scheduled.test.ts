/** Cron: evidence retention deletes only what is past RETENTION_DAYS_EVIDENCE, and is idempotent. */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../workers/index.ts";
import { describe, expect, it } from "vitest";
import { sweepEvidence } from "../../workers/scheduled.ts";
import { R2Store } from "../../shared/storage/r2-store.ts";

const DAY = 86_400_000;

describe("evidence retention", () => {
  it("deletes objects older than the retention period and keeps the rest, paging through listings", async () => {
    for (let i = 0; i < 1005; i++) await env.EVIDENCE.put(`evidence/t/a/old-${i}`, "x");
    await env.EVIDENCE.put("evidence/t/a/new", "x");
    await env.EVIDENCE.put("other/not-evidence", "x");
    const store = new R2Store(env.EVIDENCE, "b");
    // Everything was uploaded "now": pretend now is 366 days later, except for a 400-day retention.
    expect(await sweepEvidence(store, 400, Date.now() + 366 * DAY)).toEqual({ scanned: 1006, deleted: 0 });
    const res = await sweepEvidence(store, 365, Date.now() + 366 * DAY);
    expect(res).toEqual({ scanned: 1006, deleted: 1006 });
    expect(await env.EVIDENCE.head("other/not-evidence")).not.toBeNull();
    expect(await sweepEvidence(store, 365, Date.now() + 366 * DAY)).toEqual({ scanned: 0, deleted: 0 });
  });

  it("runs from the cron trigger: keeps fresh evidence, deletes it once past retention", async () => {
    await env.EVIDENCE.put("evidence/t/a/fresh", "x");
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env, createExecutionContext());
    expect(await env.EVIDENCE.head("evidence/t/a/fresh")).not.toBeNull();
    // RETENTION_DAYS_EVIDENCE is 365 in wrangler.toml.
    const later = Date.now() + 366 * DAY;
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: later }), env, createExecutionContext());
    expect(await env.EVIDENCE.head("evidence/t/a/fresh")).toBeNull();
  });
});
