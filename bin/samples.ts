/**
 * The built-in sample stream of `send --sample`: log records from the real-shaped payloads in
 * test/fixtures/samples/ (Fluent Bit, Vector, Azure diagnostic records, a Cloud Logging entry),
 * repeated to the count asked for, each with the current time in its own timestamp field, so a
 * fresh bridge shows levels, latencies and WAF blocks at once.
 */
import { readFileSync } from "node:fs";

const DIR = new URL("../test/fixtures/samples/", import.meta.url);
const TIME_FIELDS = ["ts", "timestamp", "time", "@timestamp", "date"];

type Rec = Record<string, unknown>;

function load(name: string): string {
  return readFileSync(new URL(name, DIR), "utf8");
}

/** The sample records, each with an asset (the sample's own, or one named after its source). */
export function sampleRecords(): Rec[] {
  const fluentBit = JSON.parse(load("fluentbit-http-json.json")) as Rec[];
  const vector = load("vector-http-ndjson.ndjson").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Rec);
  const azure = (JSON.parse(load("azure-diagnostic-records.json")) as { records: Rec[] }).records.map((r) => ({ asset: "azure-appgw", ...r }));
  const gcp = { asset: "gcp-lb", ...(JSON.parse(load("gcp-cloud-logging-entry.json")) as Rec) };
  return [...fluentBit, ...vector, ...azure, gcp];
}

/** A copy of `r` whose timestamp field(s) say `now` (in the field's own unit: ISO, or epoch s or ms). */
export function freshen(r: Rec, now: number): Rec {
  const out: Rec = { ...r };
  for (const f of TIME_FIELDS) {
    const v = r[f];
    if (typeof v === "number") out[f] = v < 1e11 ? now / 1000 : now;
    else if (typeof v === "string") out[f] = new Date(now).toISOString();
  }
  return out;
}

/** `count` records cycling through the samples, timestamped now; all under `asset` when given. */
export function sampleStream(count: number, asset: string | undefined, now = Date.now()): Rec[] {
  const base = sampleRecords();
  return Array.from({ length: count }, (_, i) => {
    const r = freshen(base[i % base.length]!, now);
    return asset === undefined ? r : { ...r, asset };
  });
}
