/**
 * The retention pass with a controlled clock: evidence bundles, raw segments and rollups are
 * deleted exactly when past each tenant's retention, never earlier; runs are idempotent,
 * bounded and continue where they stopped; locked objects are reported and skipped; counters
 * and audit entries record it; the cron and the operator's route run it.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { BUNDLE_FILES, bundleId, bundlePrefix, bundleStamp } from "../../shared/evidence/bundle-layout.ts";
import type { TenantConfig } from "../../shared/config.ts";
import { evidenceStoreFor, storeDeps } from "../../shared/storage/store-for.ts";
import { DIRECTORY_OBJECT_NAME } from "../../durable-objects/env.ts";
import worker from "../../workers/index.ts";
import type { RetentionBounds } from "../../workers/retention/budget.ts";
import { runRetention, type RetentionReport } from "../../workers/retention/retention-pass.ts";
import { ADMIN_TOKEN, admin, call, createKey, createTenant, env, expectProblem, getWithKey, post, sha256Hex } from "../fixtures/bridge.ts";
import { FAKE_STORE_CREDENTIALS as CREDS } from "../support/fake-stores-setup.ts";

const DAY = 86_400_000;
/** "Now" for every run: in the future, so the AssetLogs' own hourly housekeeping (real clock) never fires first. */
const NOW = Date.UTC(2028, 0, 15, 12, 0, 0);
const ago = (days: number, ms = 0) => NOW - days * DAY - ms;

afterEach(() => {
  vi.useRealTimers();
});

async function run(opts: { now?: number; bounds?: Partial<RetentionBounds>; runEnv?: typeof env } = {}): Promise<RetentionReport> {
  const res = await runRetention(opts.runEnv ?? env, { nowMs: opts.now ?? NOW, actor: "cron", ...(opts.bounds ? { bounds: opts.bounds } : {}) });
  if (!res.ok) throw new Error("retention pass busy");
  return res.report;
}

const forTenant = (r: RetentionReport, tenant: string) =>
  r.by_tenant.find((t) => t.tenant === tenant) ?? { tenant, deleted: { evidence: 0, raw: 0, summary: 0 }, failed: { evidence: 0, raw: 0, summary: 0 } };

/** A bundle's three files, written with the real layout (in R2 unless a store is given); returns its folder. */
async function putBundle(tenant: string, asset: string, createdMs: number, put?: (key: string) => Promise<unknown>): Promise<string> {
  const hex = await sha256Hex(new TextEncoder().encode(`${tenant}/${asset}/${createdMs}/${put ? "s" : "r"}`));
  const prefix = bundlePrefix(tenant, asset, createdMs, bundleId(createdMs, hex));
  for (const f of BUNDLE_FILES) await (put ? put(prefix + f) : env.EVIDENCE.put(prefix + f, "{}"));
  return prefix;
}

/** How many of a bundle's files are in R2 (a bundle is deleted whole: 0 or 3). */
async function filesIn(prefix: string): Promise<number> {
  return (await env.EVIDENCE.list({ prefix })).objects.length;
}

/** A raw segment key as the raw spill writes it: received from firstMs to lastMs. */
function rawKey(tenant: string, asset: string, firstMs: number, lastMs: number, firstSeq = 0): string {
  const d = new Date(firstMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `raw/${tenant}/${encodeURIComponent(asset)}/${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/` +
    `raw-${bundleStamp(firstMs)}-${bundleStamp(lastMs)}-${firstSeq}-${firstSeq + 10}.jsonl.gz`;
}

async function putRaw(tenant: string, asset: string, firstMs: number, lastMs: number, firstSeq = 0): Promise<string> {
  const key = rawKey(tenant, asset, firstMs, lastMs, firstSeq);
  await env.EVIDENCE.put(key, "x");
  return key;
}

const exists = async (key: string) => (await env.EVIDENCE.head(key)) !== null;

/** One event received at `ms` (the Date of this isolate, and so of the Durable Objects, is faked meanwhile). */
async function ingestAt(key: string, asset: string, ms: number): Promise<void> {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(ms);
  try {
    const res = await post(`/v1/logs?asset=${encodeURIComponent(asset)}`, key, JSON.stringify({ message: "m", level: "info" }));
    expect(res.status).toBe(200);
  } finally {
    vi.useRealTimers();
  }
}

/** Events the asset's rollups hold for the minute starting at `ms`. */
async function rollupEvents(key: string, asset: string, ms: number): Promise<number> {
  const q = `since=${new Date(ms).toISOString()}&until=${new Date(ms + 60_000).toISOString()}`;
  const res = await getWithKey(`/v1/assets/${encodeURIComponent(asset)}/summary?${q}`, key);
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: number }).events;
}

async function retentionSeries(credential: string): Promise<Record<string, number>> {
  const res = await call("/metrics", { headers: { Authorization: `Bearer ${credential}` } });
  expect(res.status).toBe(200);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split("\n")) {
    const m = /^retention_deleted_total\{(.*)\} (\d+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function auditEntries(tenant: string): Promise<{ actor: string; action: string; detail: any }[]> {
  const res = await admin(`/v1/admin/tenants/${tenant}/audit?limit=1000`);
  const body = (await res.json()) as { entries: { actor: string; action: string; detail: any }[] };
  return body.entries.filter((e) => e.action === "retention.run");
}

async function tenantWithKeys(tenant: string, config?: TenantConfig): Promise<string> {
  await createTenant(tenant, config);
  return createKey(tenant, ["ingest", "read", "metrics"]);
}

describe("retention from the hourly cron (deployment defaults: evidence 365, raw 7, summary 30 days)", () => {
  it("deletes exactly what is past retention, records it, and a second run deletes nothing", async () => {
    const key = await tenantWithKeys("ret-def");
    const b364 = await putBundle("ret-def", "web/1", ago(364));
    const b365 = await putBundle("ret-def", "web/1", ago(365));
    const b365s = await putBundle("ret-def", "web/1", ago(365, 1000));
    const b366 = await putBundle("ret-def", "db-1", ago(366));
    // Judged by the store's upload time (now, really): 700+ days before NOW.
    await env.EVIDENCE.put("evidence/ret-def/legacy/object.bin", "x");
    const r6 = await putRaw("ret-def", "web/1", ago(6, 3_600_000), ago(6));
    const r7 = await putRaw("ret-def", "web/1", ago(7, 3_600_000), ago(7), 100);
    const r8 = await putRaw("ret-def", "web/1", ago(8, 3_600_000), ago(8), 200);
    // Began 9 days ago, ended 6.5 days ago: its last line is younger than 7 days, so it stays.
    const rSpan = await putRaw("ret-def", "db-1", ago(9), ago(6, 12 * 3_600_000), 300);
    for (const d of [31, 30, 29]) await ingestAt(key, "pump", ago(d));

    const ctx = createExecutionContext();
    await worker.scheduled!(createScheduledController({ cron: "17 * * * *", scheduledTime: NOW }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect([await filesIn(b364), await filesIn(b365), await filesIn(b365s), await filesIn(b366)]).toEqual([3, 3, 0, 0]);
    expect(await exists("evidence/ret-def/legacy/object.bin")).toBe(false);
    expect([await exists(r6), await exists(r7), await exists(r8), await exists(rSpan)]).toEqual([true, true, false, true]);
    expect([await rollupEvents(key, "pump", ago(31)), await rollupEvents(key, "pump", ago(30)), await rollupEvents(key, "pump", ago(29))]).toEqual([0, 1, 1]);

    // Counted for the tenant (its own view) and for the operator (tenant-labelled), and audited.
    expect(await retentionSeries(key)).toEqual({ 'class="evidence"': 7, 'class="raw"': 1, 'class="summary"': 1 });
    const operator = await retentionSeries(ADMIN_TOKEN);
    expect(operator['tenant="ret-def",class="evidence"']).toBe(7);
    expect(operator['tenant="ret-def",class="summary"']).toBe(1);
    const audit = await auditEntries("ret-def");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "cron",
      detail: { deleted: { evidence: 7, raw: 1, summary: 1 }, as_of: new Date(NOW).toISOString(), retention_days: { raw: 7, summary: 30, evidence: 365 } },
    });

    // Idempotent: nothing more to delete, no new audit entry, the counters stay.
    const again = await run();
    expect(forTenant(again, "ret-def").deleted).toEqual({ evidence: 0, raw: 0, summary: 0 });
    expect(again.more).toBe(false);
    expect(await auditEntries("ret-def")).toHaveLength(1);
    expect(await retentionSeries(key)).toEqual({ 'class="evidence"': 7, 'class="raw"': 1, 'class="summary"': 1 });
    expect([await filesIn(b364), await filesIn(b365)]).toEqual([3, 3]);
  });
});

describe("per-tenant retention", () => {
  it("applies each tenant's retention_days and never touches another tenant's objects", async () => {
    const shortKey = await tenantWithKeys("ret-x", { retention_days: { evidence: 30, raw: 1, summary: 2 } });
    // "ret-x2" starts with "ret-x": the pass lists "evidence/ret-x/", with the slash.
    const longKey = await tenantWithKeys("ret-x2", { retention_days: { evidence: 3650, raw: 60, summary: 90 } });
    const placed: Record<string, { b31: string; b29: string; r2: string; r0: string }> = {};
    for (const t of ["ret-x", "ret-x2"]) {
      placed[t] = {
        b31: await putBundle(t, "a", ago(31)), b29: await putBundle(t, "a", ago(29)),
        r2: await putRaw(t, "a", ago(2, 60_000), ago(2)), r0: await putRaw(t, "a", ago(0, 7_200_000), ago(0, 3_600_000), 10),
      };
    }
    for (const [t, k] of [["ret-x", shortKey], ["ret-x2", longKey]] as const) for (const d of [3, 1]) await ingestAt(k, "a", ago(d));
    // Not a tenant at all, and not retention's prefixes: never listed.
    const ghost = await putBundle("ret-ghost", "a", ago(4000));
    await env.EVIDENCE.put("probe/ret-x/old", "x");

    const report = await run();
    expect(forTenant(report, "ret-x").deleted).toEqual({ evidence: 3, raw: 1, summary: 1 });
    expect(forTenant(report, "ret-x2").deleted).toEqual({ evidence: 0, raw: 0, summary: 0 });
    expect(await filesIn(placed["ret-x"]!.b31)).toBe(0);
    expect(await filesIn(placed["ret-x"]!.b29)).toBe(3);
    expect([await exists(placed["ret-x"]!.r2), await exists(placed["ret-x"]!.r0)]).toEqual([false, true]);
    expect([await rollupEvents(shortKey, "a", ago(3)), await rollupEvents(shortKey, "a", ago(1))]).toEqual([0, 1]);
    for (const k of [placed["ret-x2"]!.b31, placed["ret-x2"]!.b29]) expect(await filesIn(k)).toBe(3);
    expect([await exists(placed["ret-x2"]!.r2), await exists(placed["ret-x2"]!.r0)]).toEqual([true, true]);
    expect([await rollupEvents(longKey, "a", ago(3)), await rollupEvents(longKey, "a", ago(1))]).toEqual([1, 1]);
    expect(await filesIn(ghost)).toBe(3);
    expect(await exists("probe/ret-x/old")).toBe(true);
    expect(await auditEntries("ret-x2")).toEqual([]);
  });
});

describe("bounded runs", () => {
  it("stops at its bounds, never splits a bundle, and the next runs finish the work exactly once", async () => {
    const tenants = ["ret-bound-a", "ret-bound-b"];
    const bundles: string[] = [];
    const young: string[] = [];
    const raws: string[] = [];
    for (const t of tenants) {
      const key = await tenantWithKeys(t);
      for (let i = 0; i < 4; i++) bundles.push(await putBundle(t, `asset-${i}`, ago(400 + i)));
      young.push(await putBundle(t, "asset-0", ago(10)));
      for (let i = 0; i < 3; i++) raws.push(await putRaw(t, "asset-0", ago(20 + i, 60_000), ago(20 + i), i * 10));
      for (const asset of ["m1", "m2", "m3"]) {
        await ingestAt(key, asset, ago(40));
        await ingestAt(key, asset, ago(1));
      }
    }

    const bounds = { deletions: 5, assets: 2 };
    const first = await run({ bounds });
    expect(first).toMatchObject({ more: true, stopped_by: "deletions", resumed: false });
    // Five keys asked, six taken: the second bundle's files go with it rather than being split.
    expect(forTenant(first, "ret-bound-a").deleted.evidence).toBe(6);
    expect((await Promise.all(bundles.map(filesIn))).filter((n) => n !== 0 && n !== 3)).toEqual([]);

    const reports = [first];
    while (reports.at(-1)!.more) {
      expect(reports.length).toBeLessThan(30);
      const next = await run({ bounds });
      expect(next.resumed).toBe(true);
      reports.push(next);
    }
    expect(reports.length).toBeGreaterThan(4);
    for (const b of bundles) expect(await filesIn(b)).toBe(0);
    for (const b of young) expect(await filesIn(b)).toBe(3);
    for (const r of raws) expect(await exists(r)).toBe(false);

    for (const t of tenants) {
      // Each deletion counted once over all the runs, in the report, the counters and the audit.
      const total = { evidence: 0, raw: 0, summary: 0 };
      for (const r of reports) for (const c of ["evidence", "raw", "summary"] as const) total[c] += forTenant(r, t).deleted[c];
      expect(total).toEqual({ evidence: 12, raw: 3, summary: 3 });
      const audit = await auditEntries(t);
      expect(audit.length).toBeGreaterThan(1);
      const audited = audit.reduce((s, e) => s + e.detail.deleted.evidence + e.detail.deleted.raw + e.detail.deleted.summary, 0);
      expect(audited).toBe(18);
      expect(audit.some((e) => e.detail.continues === true)).toBe(true);
      const key = await createKey(t, ["metrics"]);
      expect(await retentionSeries(key)).toEqual({ 'class="evidence"': 12, 'class="raw"': 3, 'class="summary"': 3 });
    }

    // The sweep completed: the next run starts afresh and finds nothing.
    const after = await run();
    expect(after).toMatchObject({ resumed: false, more: false, deleted: { evidence: 0, raw: 0, summary: 0 } });
  });

  it("stops at the list-page and tenant bounds too, and continues with the next tenant", async () => {
    await createTenant("ret-page");
    const b = await putBundle("ret-page", "a", ago(500));
    const r = await putRaw("ret-page", "a", ago(30, 60_000), ago(30));
    let report = await run({ bounds: { tenants: 1 } });
    const seen = new Set<string>();
    let runs = 1;
    while (report.more) {
      expect(report.stopped_by).toBe("tenants");
      expect(report.tenants).toBe(1);
      for (const t of report.by_tenant) seen.add(t.tenant);
      report = await run({ bounds: { tenants: 1 } });
      runs++;
    }
    for (const t of report.by_tenant) seen.add(t.tenant);
    expect(seen).toContain("ret-page");
    expect(runs).toBeGreaterThan(2);
    expect(await filesIn(b)).toBe(0);
    expect(await exists(r)).toBe(false);

    // One list page per run: each run lists one tenant's evidence or raw prefix.
    const b2 = await putBundle("ret-page", "a", ago(501));
    const pages: RetentionReport[] = [];
    do pages.push(await run({ bounds: { listPages: 1 } })); while (pages.at(-1)!.more && pages.length < 200);
    expect(pages.at(-1)!.more).toBe(false);
    expect(pages.slice(0, -1).every((p) => p.stopped_by === "listPages")).toBe(true);
    expect(await filesIn(b2)).toBe(0);
  });
});

describe("store failures", () => {
  const fakes = inject("fakeStores");
  /** The secrets the S3 config names, and http to the local fake allowed, as on a developer's machine. */
  const localEnv = { ...env, ALLOW_INSECURE_STORE_ENDPOINTS: "true", T_S3_KEY_ID: CREDS.s3AccessKeyId, T_S3_SECRET: CREDS.s3Secret };
  const s3 = (o: Record<string, unknown> = {}): TenantConfig["evidence_store"] => ({
    provider: "s3", endpoint: fakes.s3Endpoint, region: fakes.s3Region, bucket: fakes.s3Bucket, path_style: true,
    access_key_id_ref: "T_S3_KEY_ID", secret_access_key_ref: "T_S3_SECRET", ...o,
  }) as TenantConfig["evidence_store"];

  it("reports Object Lock refusals and goes on: other objects, R2 leftovers and later tenants are still done", async () => {
    const config = { evidence_store: s3({ object_lock: { mode: "COMPLIANCE", retain_days: 400 } }) } as TenantConfig;
    await createTenant("ret-lock", config);
    await createTenant("ret-lockz");
    const locked = evidenceStoreFor(config.evidence_store, storeDeps(localEnv));
    const unlocked = evidenceStoreFor(s3(), storeDeps(localEnv));
    if (!locked.ok || !unlocked.ok) throw new Error("store config");
    const putWith = (store: typeof locked.value) => async (key: string) => {
      const res = await store.put(key, "{}", { contentType: "application/json", ifNoneMatch: true });
      expect(res.ok).toBe(true);
    };
    const lockedOld = await putBundle("ret-lock", "a", ago(366), putWith(locked.value));
    const unlockedOld = await putBundle("ret-lock", "b", ago(366), putWith(unlocked.value));
    const lockedYoung = await putBundle("ret-lock", "a", ago(10), putWith(locked.value));
    // Written to R2 before the tenant moved to S3: swept there too.
    const r2Leftover = await putBundle("ret-lock", "a", ago(367));
    const later = await putBundle("ret-lockz", "a", ago(367));
    const inS3 = async (prefix: string) => (await unlocked.value.list(prefix)).objects.length;

    const report = await run({ runEnv: localEnv as typeof env });
    expect(report.more).toBe(false);
    expect(forTenant(report, "ret-lock")).toMatchObject({ deleted: { evidence: 6 }, failed: { evidence: 3 } });
    expect(report.failures).toContainEqual(expect.objectContaining({ tenant: "ret-lock", class: "evidence", step: "delete", reason: "locked", count: 3 }));
    expect(await inS3(lockedOld)).toBe(3);
    expect(await inS3(unlockedOld)).toBe(0);
    expect(await inS3(lockedYoung)).toBe(3);
    expect(await filesIn(r2Leftover)).toBe(0);
    expect(await filesIn(later)).toBe(0);
    expect(JSON.stringify(report)).not.toContain(CREDS.s3Secret);

    // Tried once per run, never stalling it: the next run reports them again and completes.
    const again = await run({ runEnv: localEnv as typeof env });
    expect(again.more).toBe(false);
    expect(forTenant(again, "ret-lock")).toMatchObject({ deleted: { evidence: 0 }, failed: { evidence: 3 } });
    const audit = await auditEntries("ret-lock");
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ deleted: { evidence: 6 }, failed: { evidence: 3 } });
  });

  it("reports a store it cannot build (a missing secret) and still applies summary retention", async () => {
    const key = await tenantWithKeys("ret-nosecret", { evidence_store: s3({ secret_access_key_ref: "T_S3_NOT_SET" }) });
    await ingestAt(key, "a", ago(31));
    const report = await run({ runEnv: localEnv as typeof env });
    expect(report.failures).toContainEqual(expect.objectContaining({ tenant: "ret-nosecret", step: "config", reason: "config", detail: expect.stringContaining("T_S3_NOT_SET") }));
    expect(forTenant(report, "ret-nosecret").deleted.summary).toBe(1);
  });
});

describe("POST /v1/admin/retention/run", () => {
  const runRoute = async (query = "", opts: { token?: string; runEnv?: object } = {}) => {
    const req = new Request(`http://bridge.test/v1/admin/retention/run${query}`, { method: "POST", headers: { Authorization: `Bearer ${opts.token ?? ADMIN_TOKEN}` } });
    const ctx = createExecutionContext();
    const res = await worker.fetch!(req as Request<unknown, IncomingRequestCfProperties>, (opts.runEnv ?? env) as typeof env, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };

  it("is the operator's only", async () => {
    await createTenant("ret-route-auth");
    const tenantAdmin = await createKey("ret-route-auth", ["admin"]);
    await expectProblem(await runRoute("", { token: tenantAdmin }), 403);
    await expectProblem(await call("/v1/admin/retention/run", { method: "POST" }), 401);
    await expectProblem(await runRoute("", { token: "not-the-token" }), 401);
  });

  it("runs the pass now and answers the counts and whether more remains; ?now only with RETENTION_TEST_CLOCK", async () => {
    await createTenant("ret-route");
    const b = await putBundle("ret-route", "a", ago(366));
    // Real time is well before NOW: at the real now this bundle is young, so a plain run keeps it.
    let res = await runRoute();
    expect(res.status).toBe(200);
    let body = (await res.json()) as RetentionReport & { ok: boolean };
    expect(body).toMatchObject({ ok: true, actor: "operator", more: false, deleted: { evidence: 0, raw: 0, summary: 0 }, failed: expect.any(Object) });
    expect(await filesIn(b)).toBe(3);

    const at = `?now=${new Date(NOW).toISOString()}`;
    const refused = await expectProblem(await runRoute(at), 400);
    expect(refused.detail).toContain("RETENTION_TEST_CLOCK");
    expect(await filesIn(b)).toBe(3);

    res = await runRoute(at, { runEnv: { ...env, RETENTION_TEST_CLOCK: "true" } });
    body = (await res.json()) as RetentionReport & { ok: boolean };
    expect(res.status).toBe(200);
    expect(body.now).toBe(new Date(NOW).toISOString());
    expect(forTenant(body, "ret-route").deleted.evidence).toBe(3);
    expect(await filesIn(b)).toBe(0);
    expect((await auditEntries("ret-route"))[0]).toMatchObject({ actor: "operator", detail: { deleted: { evidence: 3 } } });
    await expectProblem(await runRoute("?now=yesterday", { runEnv: { ...env, RETENTION_TEST_CLOCK: "true" } }), 400);
  });

  it("answers 409 with Retry-After while another run holds the pass", async () => {
    const directory = env.TENANT_DIRECTORY.getByName(DIRECTORY_OBJECT_NAME);
    const held = await directory.beginRetention("another-run", 60_000);
    expect(held.ok).toBe(true);
    try {
      const res = await runRoute();
      await expectProblem(res, 409);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await runRetention(env, { nowMs: NOW, actor: "cron" })).toMatchObject({ ok: false });
    } finally {
      expect(await directory.checkpointRetention("another-run", held.ok ? held.position : null, 0, true)).toBe(true);
    }
    expect((await runRoute()).status).toBe(200);
  });
});
