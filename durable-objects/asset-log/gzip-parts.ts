/**
 * Streaming gzip for bundles: JSONL pieces in, equal-sized gzip parts out, with
 * SHA-256 of both the JSONL and the gzip bytes computed on the way (platform
 * CompressionStream and DigestStream: measured fastest in workerd, DESIGN.md 12).
 * Memory is one part plus the stream buffers, whatever the window size.
 */
import { toHex } from "../../shared/hex.ts";

export interface GzipDigests {
  jsonlSha256: string;
  jsonlBytes: number;
  gzSha256: string;
  gzBytes: number;
}

/** Yields gzip output cut into parts of exactly `partBytes` (the last may be shorter); fills `out` when done. */
export async function* gzipParts(
  pieces: Iterable<string> | AsyncIterable<string>,
  partBytes: number,
  out: Partial<GzipDigests>,
): AsyncGenerator<Uint8Array> {
  const gzip = new CompressionStream("gzip");
  const jsonlDigest = new crypto.DigestStream("SHA-256");
  const feeding = feed(pieces, gzip.writable, jsonlDigest);
  // Surface a feeding failure through the read loop below rather than as an unhandled rejection.
  feeding.catch(() => undefined);

  const gzDigest = new crypto.DigestStream("SHA-256");
  const gzWriter = gzDigest.getWriter();
  let part = new Uint8Array(partBytes);
  let fill = 0;
  let gzBytes = 0;
  for await (const chunk of gzip.readable as ReadableStream<Uint8Array>) {
    await gzWriter.write(chunk);
    gzBytes += chunk.byteLength;
    for (let off = 0; off < chunk.byteLength; ) {
      const n = Math.min(partBytes - fill, chunk.byteLength - off);
      part.set(chunk.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === partBytes) {
        yield part;
        part = new Uint8Array(partBytes);
        fill = 0;
      }
    }
  }
  const jsonlBytes = await feeding;
  if (fill > 0) yield part.subarray(0, fill);
  await gzWriter.close();
  out.jsonlBytes = jsonlBytes;
  out.jsonlSha256 = toHex(await jsonlDigest.digest);
  out.gzBytes = gzBytes;
  out.gzSha256 = toHex(await gzDigest.digest);
}

async function feed(
  pieces: Iterable<string> | AsyncIterable<string>,
  sink: WritableStream<BufferSource>,
  digest: DigestStream,
): Promise<number> {
  const enc = new TextEncoder();
  const writer = sink.getWriter();
  const digestWriter = digest.getWriter();
  let bytes = 0;
  try {
    for await (const piece of pieces) {
      const b = enc.encode(piece);
      bytes += b.byteLength;
      await digestWriter.write(b);
      await writer.write(b);
    }
    await digestWriter.close();
    await writer.close();
    return bytes;
  } catch (e) {
    await writer.abort(e).catch(() => undefined);
    throw e;
  }
}
