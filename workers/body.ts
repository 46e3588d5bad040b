/**
 * Read a request body once, with a cap on the wire size and a bounded streaming
 * gunzip (fflate handles multi-member gzip, which DecompressionStream rejects), then
 * decode strict UTF-8. Inflated output is decoded to text chunk by chunk, so the
 * inflated bytes are never held whole; each gzip member's CRC-32 and length are
 * checked (fflate does not), so corrupt or padded gzip is a 400, not stored data.
 */
import { Gunzip } from "fflate";
import { CRC32_INIT, crc32Final, crc32Update } from "../shared/crc32.ts";
import { MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES } from "../shared/limits.ts";
import { ApiError } from "./api-error.ts";

/** Gzip input is fed in slices this small so one push cannot inflate far past the cap. */
const GUNZIP_SLICE_BYTES = 4096;
const GZIP_TRAILER_BYTES = 8;

export async function readBodyText(req: Request): Promise<string> {
  const encoding = (req.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (!["identity", "gzip", "x-gzip", ""].includes(encoding)) {
    throw new ApiError("unsupported_media_type", `Content-Encoding "${encoding.slice(0, 32)}" is not supported; use gzip or none.`);
  }
  const raw = await readCapped(req);
  if (encoding === "gzip" || encoding === "x-gzip") return gunzipText(raw);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw);
  } catch {
    throw invalidUtf8();
  }
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
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

/** Inflate gzip (one or more members) to UTF-8 text, at most `cap` inflated bytes. */
export function gunzipText(raw: Uint8Array, cap = MAX_DECOMPRESSED_BYTES): string {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  const pieces: string[] = [];
  let total = 0;
  let over = false;
  let utf8Error = false;
  let crc = CRC32_INIT;
  let memberBytes = 0;
  let trailerError: string | null = null;
  const checkTrailer = (end: number) => {
    if (trailerError) return;
    if (end < GZIP_TRAILER_BYTES) {
      trailerError = "truncated";
      return;
    }
    const view = new DataView(raw.buffer, raw.byteOffset + end - GZIP_TRAILER_BYTES, GZIP_TRAILER_BYTES);
    if (view.getUint32(0, true) !== crc32Final(crc)) trailerError = "CRC-32 mismatch (corrupt data or trailing bytes)";
    else if (view.getUint32(4, true) !== memberBytes % 2 ** 32) trailerError = "length mismatch";
    crc = CRC32_INIT;
    memberBytes = 0;
  };
  const gunzip = new Gunzip((chunk) => {
    total += chunk.byteLength;
    if (total > cap) {
      over = true;
      return;
    }
    crc = crc32Update(crc, chunk);
    memberBytes += chunk.byteLength;
    try {
      pieces.push(decoder.decode(chunk, { stream: true }));
    } catch {
      utf8Error = true;
    }
  });
  // Called as each further member starts: the previous one ended there, trailer included.
  gunzip.onmember = (offset) => checkTrailer(offset);
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
  checkTrailer(raw.byteLength);
  if (trailerError) throw new ApiError("invalid_encoding", `Body is not valid gzip (${trailerError}).`);
  try {
    pieces.push(decoder.decode());
  } catch {
    utf8Error = true;
  }
  if (utf8Error) throw invalidUtf8();
  return pieces.join("");
}

function invalidUtf8(): ApiError {
  return new ApiError("invalid_encoding", "Body is not valid UTF-8.");
}

function tooLarge(detail: string): ApiError {
  return new ApiError("payload_too_large", detail);
}
