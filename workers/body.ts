/**
 * Read a request body once, with a cap on the wire size and a bounded streaming
 * gunzip (fflate handles multi-member gzip, which DecompressionStream rejects),
 * then decode strict UTF-8. Nothing downstream sees an unbounded body.
 */
import { Gunzip } from "fflate";
import { MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES } from "../shared/limits.ts";
import { ApiError } from "./api-error.ts";

/** Gzip input is fed in slices this small so one push cannot inflate far past the cap. */
const GUNZIP_SLICE_BYTES = 4096;

export async function readBodyText(req: Request): Promise<string> {
  const bytes = await readBodyBytes(req);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError("invalid_encoding", "Body is not valid UTF-8.");
  }
}

export async function readBodyBytes(req: Request): Promise<Uint8Array> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (!["identity", "gzip", "x-gzip", ""].includes(encoding)) {
    throw new ApiError("unsupported_media_type", `Content-Encoding "${encoding.slice(0, 32)}" is not supported; use gzip or none.`);
  }
  const raw = await readCapped(req);
  return encoding === "gzip" || encoding === "x-gzip" ? gunzipCapped(raw) : raw;
}

async function readCapped(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge(`Body is ${declared} bytes; the limit is ${MAX_BODY_BYTES}.`);
  if (!req.body) return new Uint8Array();
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(`Body exceeds the limit of ${MAX_BODY_BYTES} bytes.`);
    }
    parts.push(value);
  }
  return concat(parts, total);
}

export function gunzipCapped(raw: Uint8Array, cap = MAX_DECOMPRESSED_BYTES): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let over = false;
  const gunzip = new Gunzip((chunk) => {
    total += chunk.byteLength;
    if (total > cap) over = true;
    else parts.push(chunk);
  });
  try {
    for (let off = 0; off < raw.byteLength && !over; off += GUNZIP_SLICE_BYTES) {
      const end = Math.min(off + GUNZIP_SLICE_BYTES, raw.byteLength);
      gunzip.push(raw.subarray(off, end), end === raw.byteLength);
    }
    if (raw.byteLength === 0) gunzip.push(raw, true);
  } catch (e) {
    throw new ApiError("invalid_encoding", `Body is not valid gzip (${(e as Error).message}).`);
  }
  if (over) throw tooLarge(`Body inflates beyond the limit of ${cap} bytes.`);
  return concat(parts, total);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

function tooLarge(detail: string): ApiError {
  return new ApiError("payload_too_large", detail);
}
