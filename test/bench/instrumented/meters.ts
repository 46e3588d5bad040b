/**
 * Billing meters for the instrumented bridge (bench only): SQLite rows read and written
 * (summed from every cursor's `rowsRead`/`rowsWritten`, which is what Cloudflare bills),
 * `setAlarm` calls (billed as one row written each), R2 operations by class, and Durable
 * Object invocations (each RPC call and alarm is a billed DO request).
 */

export interface MeterSnapshot {
  rows_read: number;
  rows_written: number;
  set_alarm: number;
  r2: Record<string, number>;
  calls: Record<string, number>;
}

/** R2 operations billed as Class A (mutations, listings) and Class B (reads); DeleteObject is free. */
export const R2_CLASS_A = new Set(["put", "list", "createMultipartUpload", "uploadPart", "complete"]);
export const R2_CLASS_B = new Set(["get", "head"]);

export class Meter {
  #cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  #read = 0;
  #written = 0;
  setAlarm = 0;
  r2: Record<string, number> = {};
  calls: Record<string, number> = {};

  /** Wrap a SqlStorage so every cursor it returns is counted once it has run. */
  watchSql(sql: SqlStorage): void {
    const exec = sql.exec.bind(sql);
    // Own property on the runtime object: AssetLog keeps this same object and calls it.
    (sql as { exec: SqlStorage["exec"] }).exec = ((query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings);
      this.#cursors.push(cursor);
      // Cursors of finished calls are fully read by now; fold them so memory stays flat.
      if (this.#cursors.length > 4096) this.#fold(2048);
      return cursor;
    }) as SqlStorage["exec"];
  }

  watchAlarms(storage: DurableObjectStorage): void {
    const setAlarm = storage.setAlarm.bind(storage);
    (storage as { setAlarm: DurableObjectStorage["setAlarm"] }).setAlarm = (t, o) => {
      this.setAlarm++;
      return setAlarm(t, o);
    };
  }

  /** An R2Bucket that counts operations (multipart parts included). */
  watchR2(bucket: R2Bucket): R2Bucket {
    const note = (op: string) => (this.r2[op] = (this.r2[op] ?? 0) + 1);
    const upload = (u: R2MultipartUpload): R2MultipartUpload => ({
      key: u.key,
      uploadId: u.uploadId,
      uploadPart: (...a) => (note("uploadPart"), u.uploadPart(...a)),
      complete: (...a) => (note("complete"), u.complete(...a)),
      abort: () => (note("abort"), u.abort()),
    });
    return new Proxy(bucket, {
      get: (target, prop) => {
        const v = Reflect.get(target, prop, target) as unknown;
        if (typeof v !== "function") return v;
        const name = String(prop);
        return (...args: unknown[]) => {
          note(name);
          const out = (v as (...a: unknown[]) => unknown).apply(target, args);
          if (name === "createMultipartUpload" || name === "resumeMultipartUpload") {
            return name === "resumeMultipartUpload" ? upload(out as R2MultipartUpload) : (out as Promise<R2MultipartUpload>).then(upload);
          }
          return out;
        };
      },
    });
  }

  call(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  snapshot(): MeterSnapshot {
    this.#fold(this.#cursors.length);
    return { rows_read: this.#read, rows_written: this.#written, set_alarm: this.setAlarm, r2: { ...this.r2 }, calls: { ...this.calls } };
  }

  reset(): void {
    this.snapshot();
    this.#read = this.#written = this.setAlarm = 0;
    this.r2 = {};
    this.calls = {};
  }

  #fold(n: number): void {
    for (const c of this.#cursors.splice(0, n)) {
      this.#read += c.rowsRead;
      this.#written += c.rowsWritten;
    }
  }
}

/**
 * Subclass a Durable Object class so that every public method (RPC, alarm, fetch) counts as
 * one billed request on the instance's meter. Methods are looked up on the prototype, as
 * workerd's RPC does, so the wrappers are installed there.
 */
export function countCalls<C extends abstract new (...args: any[]) => { meter: Meter }>(cls: C, base: object): C {
  for (const name of Object.getOwnPropertyNames(base)) {
    const d = Object.getOwnPropertyDescriptor(base, name);
    if (name === "constructor" || typeof d?.value !== "function") continue;
    const fn = d.value as (...a: unknown[]) => unknown;
    Object.defineProperty(cls.prototype, name, {
      configurable: true,
      writable: true,
      value: function (this: { meter: Meter }, ...args: unknown[]) {
        this.meter.call(name);
        return fn.apply(this, args);
      },
    });
  }
  return cls;
}
