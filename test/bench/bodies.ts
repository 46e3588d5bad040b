/**
 * NDJSON request bodies with fresh, increasing timestamps and distinct records, made cheaply:
 * one template per batch size, copied per request with the timestamp and counter digits
 * overwritten in place. (Serialising 1,000 records per request in the load generator would
 * take the CPU the server under test needs on a 2-core machine; repeating one body would
 * distort indexed inserts, as the issue warns.)
 */
import { benchRecord } from "./record.ts";

const TS_MARK = 1999999999999; // 13 digits, like every epoch-ms timestamp until 2286
const COUNTER_MARK = " req "; // followed by the record counter's 10 zero-padded digits

/** Templates per factory: small batches rotate through several, so levels and actions still vary. */
const MIN_TEMPLATE_RECORDS = 64;

interface Template {
  bytes: Buffer;
  tsAt: number[];
  nAt: number[];
}

function template(batch: number, first: number): Template {
  let text = "";
  const tsAt: number[] = [];
  const nAt: number[] = [];
  for (let i = first; i < first + batch; i++) {
    // Records vary (level, action, latency...) like real traffic; ts and counter are patched per request.
    const line = JSON.stringify(benchRecord(i, TS_MARK));
    tsAt.push(text.length + line.indexOf(String(TS_MARK)));
    nAt.push(text.length + line.indexOf(COUNTER_MARK) + COUNTER_MARK.length);
    text += line + (i < first + batch - 1 ? "\n" : "");
  }
  return { bytes: Buffer.from(text, "latin1"), tsAt, nAt };
}

export class BodyFactory {
  readonly batch: number;
  /** Bytes per body (all bodies of a factory have about this size). */
  readonly bytes: number;
  #templates: Template[] = [];
  #lastTs = 0;
  #n: number;

  constructor(batch: number, start = 0) {
    this.batch = batch;
    this.#n = start;
    for (let first = 0; first < Math.max(batch, MIN_TEMPLATE_RECORDS); first += batch) this.#templates.push(template(batch, first));
    this.bytes = this.#templates[0]!.bytes.length;
  }

  /** The next body: every record gets this request's timestamp (>= the previous one + 1 ms) and its own counter. */
  next(): Buffer {
    const ts = Math.max(Date.now(), this.#lastTs + 1);
    this.#lastTs = ts;
    const t = this.#templates[this.#n % this.#templates.length]!;
    const body = Buffer.allocUnsafe(t.bytes.length);
    t.bytes.copy(body);
    const tsDigits = String(ts);
    for (let i = 0; i < this.batch; i++) {
      body.write(tsDigits, t.tsAt[i]!, "latin1");
      body.write(String(this.#n++).padStart(10, "0"), t.nAt[i]!, "latin1");
    }
    return body;
  }
}
