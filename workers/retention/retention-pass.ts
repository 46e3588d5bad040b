/**
 * The retention pass: every tenant of the directory, in id order, has its expired evidence,
 * raw segments and rollups deleted (tenant-sweep.ts), within per-run bounds. It starts where
 * the previous run stopped (a position kept in the TenantDirectory, checkpointed after each
 * tenant) and holds a lease there, so the cron and an operator's run never sweep at once.
 */
import { RETENTION_LEASE_MS, RETENTION_PAGE_ENTRIES } from "../../shared/limits.ts";
import { countsTotal, RETENTION_CLASSES, zeroCounts, type RetentionCounts } from "../../shared/retention.ts";
import { DIRECTORY_OBJECT_NAME, type Env } from "../../durable-objects/env.ts";
import { log } from "../log.ts";
import { DEFAULT_RETENTION_BOUNDS, RetentionBudget, type BoundName, type RetentionBounds } from "./budget.ts";
import { Failures, type RetentionFailure } from "./failures.ts";
import { PHASES, sweepTenant, type TenantPoint } from "./tenant-sweep.ts";

export interface RetentionRunOptions {
  /** "Now" for every age decision (the cron's scheduledTime), epoch ms. */
  nowMs: number;
  /** Who runs it, for the audit entries: "cron" or "operator". */
  actor: string;
  /** Per-run bounds (defaults: shared/limits.ts). */
  bounds?: Partial<RetentionBounds>;
}

export interface RetentionReport {
  now: string;
  actor: string;
  /** Objects (evidence, raw) and rollup minutes (summary) deleted by this run. */
  deleted: RetentionCounts;
  /** Deletions that failed (locked, refused) and assets that did not answer: reported, left for a later run. */
  failed: RetentionCounts;
  /** Tenants this run worked on. */
  tenants: number;
  /** The run began where an earlier one had stopped. */
  resumed: boolean;
  /** Work remains: a bound stopped the run (`stopped_by`), and the next run continues from there. */
  more: boolean;
  stopped_by: BoundName | "lease" | null;
  by_tenant: { tenant: string; deleted: RetentionCounts; failed: RetentionCounts }[];
  failures: RetentionFailure[];
  failures_omitted: number;
}

export type RetentionRun = { ok: true; report: RetentionReport } | { ok: false; busy_until: number };

/** Where the pass stands: inside a tenant, or done with one (the next begins after it). */
type Position = ({ tenant: string } & TenantPoint) | { after: string };

function decodePosition(json: string | null): Position | null {
  if (json === null) return null;
  try {
    const p = JSON.parse(json) as Record<string, unknown>;
    if (typeof p.after === "string") return { after: p.after };
    if (typeof p.tenant === "string" && (PHASES as readonly unknown[]).includes(p.phase) && (p.cursor === null || typeof p.cursor === "string")) {
      return { tenant: p.tenant, phase: p.phase as TenantPoint["phase"], cursor: p.cursor as string | null };
    }
  } catch {
    // An unreadable position starts a fresh sweep: deleting is idempotent, so nothing is lost.
  }
  return null;
}

export async function runRetention(env: Env, opts: RetentionRunOptions): Promise<RetentionRun> {
  const runId = crypto.randomUUID();
  const directory = env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME);
  const lease = await directory.beginRetention(runId, RETENTION_LEASE_MS);
  if (!lease.ok) return { ok: false, busy_until: lease.held_until };

  const budget = new RetentionBudget({ ...DEFAULT_RETENTION_BOUNDS, ...opts.bounds });
  const failures = new Failures();
  const start = decodePosition(lease.position);
  const report: RetentionReport = {
    now: new Date(opts.nowMs).toISOString(), actor: opts.actor, deleted: zeroCounts(), failed: zeroCounts(),
    tenants: 0, resumed: start !== null, more: false, stopped_by: null, by_tenant: [], failures: [], failures_omitted: 0,
  };
  let saved = lease.position;
  let stopAt: Position | null = null;
  let outcome: "done" | "stopped" | "lease_lost" | "error" = "error";
  try {
    const resume = start && "tenant" in start ? start : null;
    for await (const tenant of tenantsFrom(env, resume?.tenant ?? null, start ? ("after" in start ? start.after : start.tenant) : null)) {
      const from: TenantPoint | null = resume && tenant === resume.tenant ? { phase: resume.phase, cursor: resume.cursor } : null;
      if (!budget.take("tenants")) {
        stopAt = { tenant, ...(from ?? { phase: PHASES[0], cursor: null }) };
        break;
      }
      report.tenants++;
      let swept;
      try {
        swept = await sweepTenant({ env, nowMs: opts.nowMs, actor: opts.actor, budget, failures }, tenant, from);
      } catch (e) {
        // A tenant whose objects fail is reported and passed over: it never stalls the others.
        failures.add({ tenant, class: null, step: "tenant", reason: "other", detail: String((e as Error).message ?? e) });
        swept = null;
      }
      if (swept) {
        for (const cls of RETENTION_CLASSES) {
          report.deleted[cls] += swept.deleted[cls];
          report.failed[cls] += swept.failed[cls];
        }
        if (countsTotal(swept.deleted) + countsTotal(swept.failed) > 0) report.by_tenant.push({ tenant, deleted: swept.deleted, failed: swept.failed });
        if (swept.stopped) {
          stopAt = { tenant, ...swept.stopped };
          break;
        }
      }
      const position = JSON.stringify({ after: tenant });
      if (!(await directory.checkpointRetention(runId, position, RETENTION_LEASE_MS))) {
        outcome = "lease_lost";
        break;
      }
      saved = position;
    }
    if (outcome !== "lease_lost") outcome = stopAt ? "stopped" : "done";
  } finally {
    // Give the pass up: complete (the next run begins a new sweep), stopped (it resumes there), or
    // failed (it resumes at the last checkpoint). A run that lost its lease leaves the position alone.
    if (outcome !== "lease_lost") {
      const position = outcome === "done" ? null : outcome === "stopped" ? JSON.stringify(stopAt) : saved;
      await directory.checkpointRetention(runId, position, RETENTION_LEASE_MS, true);
    }
  }
  report.more = outcome !== "done";
  report.stopped_by = outcome === "lease_lost" ? "lease" : stopAt ? budget.spent ?? "tenants" : null;
  report.failures = failures.list();
  report.failures_omitted = failures.omitted;
  log.info("RetentionRun", {
    actor: opts.actor, now: report.now, tenants: report.tenants, more: report.more, stopped_by: report.stopped_by,
    deleted_evidence: report.deleted.evidence, deleted_raw: report.deleted.raw, deleted_summary: report.deleted.summary,
    failed: countsTotal(report.failed), failure_groups: report.failures.length + (failures.omitted ? 1 : 0),
  });
  return { ok: true, report };
}

/** The resumed tenant first (if any), then the directory's tenants after `after`, a page at a time. */
async function* tenantsFrom(env: Env, resume: string | null, after: string | null): AsyncGenerator<string> {
  if (resume !== null) yield resume;
  const directory = env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME);
  let cursor = after ?? undefined;
  for (;;) {
    const page = await directory.list(RETENTION_PAGE_ENTRIES, cursor);
    for (const t of page.tenants) yield t.tenant_id;
    if (page.next_cursor === null) return;
    cursor = page.next_cursor;
  }
}
