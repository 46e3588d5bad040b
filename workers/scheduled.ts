/**
 * Cron: evidence retention. Deletes evidence objects older than
 * RETENTION_DAYS_EVIDENCE, paging through the listing. Idempotent: a second run
 * finds nothing more to delete. (Per-tenant retention arrives with tenant config.)
 */
import { defaultRetention } from "../shared/config.ts";
import type { EvidenceStore } from "../shared/storage/evidence-store.ts";
import { R2Store } from "../shared/storage/r2-store.ts";
import type { Env } from "../durable-objects/env.ts";
import { log } from "./log.ts";

const DAY_MS = 86_400_000;

export async function sweepEvidence(store: EvidenceStore, retentionDays: number, nowMs: number): Promise<{ scanned: number; deleted: number }> {
  const cutoff = nowMs - retentionDays * DAY_MS;
  let cursor: string | undefined;
  let scanned = 0;
  let deleted = 0;
  do {
    const page = await store.list("evidence/", cursor);
    scanned += page.objects.length;
    const expired = page.objects.filter((o) => o.uploaded.getTime() < cutoff).map((o) => o.key);
    await store.delete(expired);
    deleted += expired.length;
    cursor = page.cursor;
  } while (cursor);
  return { scanned, deleted };
}

export async function scheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  const retention = defaultRetention(env);
  const store = new R2Store(env.EVIDENCE, env.EVIDENCE_BUCKET_NAME ?? "evidence");
  const result = await sweepEvidence(store, retention.evidence, controller.scheduledTime);
  log.info("RetentionSwept", { class: "evidence", retention_days: retention.evidence, ...result });
}
