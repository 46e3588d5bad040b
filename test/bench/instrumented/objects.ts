/**
 * The bridge's Durable Object classes, metered (bench only; never deployed): each instance
 * counts its SQLite rows read and written, setAlarm calls, R2 operations and invocations
 * (see meters.ts), and AssetLog gets the in-DO benchmark: appends straight to `append`
 * inside the object, no HTTP and no RPC, with the real trimming alarm run as it would be.
 */
import { AssetLog as BridgeAssetLog, type AssetRef } from "../../../durable-objects/asset-log/asset-log.ts";
import type { Env } from "../../../durable-objects/env.ts";
import { Tenant as BridgeTenant } from "../../../durable-objects/tenant/tenant.ts";
import { TenantDirectory as BridgeTenantDirectory } from "../../../durable-objects/tenant-directory/tenant-directory.ts";
import { packEvents, type PackedEvents } from "../../../shared/packed-events.ts";
import { makeBatches } from "./batches.ts";
import { breakdown } from "./breakdown.ts";
import { countCalls, Meter, type MeterSnapshot } from "./meters.ts";

export interface MeterReport extends MeterSnapshot {
  database_bytes: number;
}

function metered(ctx: DurableObjectState, env: Env): [Meter, Env] {
  const meter = new Meter();
  meter.watchSql(ctx.storage.sql);
  meter.watchAlarms(ctx.storage);
  return [meter, { ...env, EVIDENCE: meter.watchR2(env.EVIDENCE) }];
}

function report(meter: Meter, ctx: DurableObjectState, reset: boolean): MeterReport {
  const snap = meter.snapshot();
  if (reset) meter.reset();
  return { ...snap, database_bytes: ctx.storage.sql.databaseSize };
}

export interface InDoRun {
  events: number;
  appends: number;
  trims: number;
  /** Rows the trimming alarms wrote (deleted chunk rows count as written). */
  trim_rows_written: number;
  /** Time inside the object by its own clock (workerd advances it on I/O only, so this may read low). */
  inside_ms: number;
  rows: MeterReport;
}

class MeteredAssetLog extends BridgeAssetLog {
  meter: Meter;
  #held: PackedEvents[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    const [meter, wrapped] = metered(ctx, env);
    super(ctx, wrapped);
    this.meter = meter;
  }

  async benchMeter(reset = false): Promise<MeterReport> {
    return report(this.meter, this.ctx, reset);
  }

  /** Time each step of the append path alone (see breakdown.ts); use an asset of its own. */
  async benchBreakdown(batches: number): Promise<Record<string, number>> {
    return breakdown(this.ctx.storage.sql, batches);
  }

  /** Build and hold batches for the next benchRun (kept apart so the run times appends only). */
  async benchPrepare(asset: string, count: number, size: number, first: number): Promise<number> {
    // Packed, as the edge sends them: the run includes append's unpacking.
    this.#held = makeBatches(asset, count, size, first).map(packEvents);
    return this.#held.length;
  }

  /**
   * Append the held batches one after another; every `trimEvery` appends run the alarm (the
   * ring's trimming pass, due every TRIM_INTERVAL_MS once the count bound evicts). Rows are
   * this run's own (the meter is reset first).
   */
  async benchRun(ref: AssetRef, trimEvery: number): Promise<InDoRun> {
    this.meter.reset();
    const batches = this.#held;
    this.#held = [];
    let events = 0;
    let trims = 0;
    let trimRows = 0;
    const t0 = performance.now();
    for (let i = 0; i < batches.length; i++) {
      events += (await this.append(ref, batches[i]!)).accepted;
      if (trimEvery > 0 && (i + 1) % trimEvery === 0) {
        const before = this.meter.snapshot().rows_written;
        await this.alarm();
        trimRows += this.meter.snapshot().rows_written - before;
        trims++;
      }
    }
    const inside = performance.now() - t0;
    return { events, appends: batches.length, trims, trim_rows_written: trimRows, inside_ms: inside, rows: report(this.meter, this.ctx, false) };
  }
}

class MeteredTenant extends BridgeTenant {
  meter: Meter;
  constructor(ctx: DurableObjectState, env: Env) {
    const [meter, wrapped] = metered(ctx, env);
    super(ctx, wrapped);
    this.meter = meter;
  }
  async benchMeter(reset = false): Promise<MeterReport> {
    return report(this.meter, this.ctx, reset);
  }
}

class MeteredTenantDirectory extends BridgeTenantDirectory {
  meter: Meter;
  constructor(ctx: DurableObjectState, env: Env) {
    const [meter, wrapped] = metered(ctx, env);
    super(ctx, wrapped);
    this.meter = meter;
  }
  async benchMeter(reset = false): Promise<MeterReport> {
    return report(this.meter, this.ctx, reset);
  }
}

export const AssetLog = countCalls(MeteredAssetLog, BridgeAssetLog.prototype);
export const Tenant = countCalls(MeteredTenant, BridgeTenant.prototype);
export const TenantDirectory = countCalls(MeteredTenantDirectory, BridgeTenantDirectory.prototype);
