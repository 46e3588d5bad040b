/**
 * Forward an Event Hub batch (Azure diagnostic settings messages) to Telemetry Bridge:
 * gzip JSON arrays of at most `maxBodyBytes` each, POSTed to /v1/ingest/azure/eventhub with an
 * `Idempotency-Key` that is the same on every retry of the same messages (hub, partition and
 * offsets), retried with jittered exponential backoff (capped at maxDelayMs) on network errors, 429
 * and 5xx — by default until delivered: the Functions runtime checkpoints after every invocation,
 * failed or not, so giving up would lose the batch. Any other 4xx is a permanent refusal: those
 * messages will never be accepted; they are reported (onRefused) and skipped.
 */

export interface ForwardOptions {
  /** Bridge base URL, e.g. https://bridge.example.com */
  url: string;
  /** Bridge API key with scope `ingest`. */
  key: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Default: unlimited (until the function's own timeout). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called for chunks the bridge refuses permanently (4xx other than 429). */
  onRefused?: (info: { from: number; to: number; status: number }) => void;
  /** Uncompressed JSON per request (the bridge takes 5 MiB compressed, 50 MiB inflated). */
  maxBodyBytes?: number;
}

export interface BatchMeta {
  /** The Event Hub (namespace/name): offsets are only unique within one hub and partition. */
  source?: string;
  partitionId?: string;
  /** One offset (or sequence number) per message, as the trigger metadata gives them. */
  offsets?: (string | number)[];
}

const enc = new TextEncoder();

function parse(message: unknown): unknown {
  if (typeof message === "string") {
    try {
      return JSON.parse(message);
    } catch {
      return { records: [{ message }] };
    }
  }
  if (message instanceof Uint8Array) return parse(new TextDecoder().decode(message));
  return message;
}

async function gzip(text: string): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function digest(text: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", enc.encode(text)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Split messages into JSON arrays under the size limit; a single oversized message goes alone. */
export function chunk(messages: unknown[], maxBodyBytes: number): { from: number; to: number; json: string }[] {
  const out: { from: number; to: number; json: string }[] = [];
  let parts: string[] = [];
  let size = 2;
  let from = 0;
  messages.forEach((m, i) => {
    const s = JSON.stringify(parse(m));
    const bytes = enc.encode(s).byteLength + 1;
    if (parts.length && size + bytes > maxBodyBytes) {
      out.push({ from, to: i, json: `[${parts.join(",")}]` });
      parts = [];
      size = 2;
      from = i;
    }
    parts.push(s);
    size += bytes;
  });
  if (parts.length) out.push({ from, to: messages.length, json: `[${parts.join(",")}]` });
  return out;
}

export async function forwardBatch(messages: unknown[], meta: BatchMeta, opts: ForwardOptions): Promise<{ sent: number; refused: number; requests: number }> {
  const doFetch = opts.fetch ?? fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = opts.maxAttempts ?? Infinity;
  const base = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 60_000;
  let refused = 0;
  const endpoint = new URL("/v1/ingest/azure/eventhub", opts.url).toString();
  let requests = 0;
  for (const c of chunk(messages, opts.maxBodyBytes ?? 4 * 1024 * 1024)) {
    const first = meta.offsets?.[c.from];
    const last = meta.offsets?.[c.to - 1];
    const idempotencyKey = first !== undefined && last !== undefined
      ? `eh:${meta.source ?? ""}:${meta.partitionId ?? "p"}:${first}-${last}`
      : `eh:${await digest(c.json)}`;
    const body = await gzip(c.json);
    for (let attempt = 1; ; attempt++) {
      requests++;
      let status = 0;
      try {
        const res = await doFetch(endpoint, {
          method: "POST",
          headers: { Authorization: `Bearer ${opts.key}`, "Content-Type": "application/json", "Content-Encoding": "gzip", "Idempotency-Key": idempotencyKey },
          body,
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
      } catch {
        status = 0; // network error: retry
      }
      if (status >= 200 && status < 300) break;
      if (status !== 0 && status !== 429 && status < 500) {
        refused += c.to - c.from;
        opts.onRefused?.({ from: c.from, to: c.to, status });
        break;
      }
      if (attempt >= maxAttempts) throw new Error(`could not deliver messages ${c.from}-${c.to - 1} after ${attempt} attempts (last status ${status || "network error"})`);
      await sleep(Math.min(maxDelay, Math.round(base * 2 ** (attempt - 1) * (0.5 + Math.random()))));
    }
  }
  return { sent: messages.length - refused, refused, requests };
}
