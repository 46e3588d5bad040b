import { describe, expect, it } from "vitest";
import { ApiError } from "../../workers/api-error.ts";
import { gunzipText } from "../../workers/body.ts";
import { crc32Final, crc32Update, CRC32_INIT } from "../../shared/crc32.ts";
import { gzip } from "../fixtures/bridge.ts";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as ApiError).code;
  }
  return undefined;
}

describe("gunzipText", () => {
  it("inflates concatenated gzip members", async () => {
    const multi = new Uint8Array([...(await gzip("hello ")), ...(await gzip("wörld"))]);
    expect(gunzipText(multi)).toBe("hello wörld");
  });

  it("stops at the cap instead of inflating a bomb", async () => {
    const bomb = await gzip("\u0000".repeat(4 * 1024 * 1024));
    expect(codeOf(() => gunzipText(bomb, 1024 * 1024))).toBe("payload_too_large");
  });

  it("rejects corrupt gzip, a bad CRC, a bad length and trailing bytes as invalid_encoding", async () => {
    expect(codeOf(() => gunzipText(new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0xff, 0xff])))).toBe("invalid_encoding");
    const good = await gzip('{"a":1}');
    const badCrc = good.slice();
    badCrc[badCrc.length - 8]! ^= 0x01;
    expect(codeOf(() => gunzipText(badCrc))).toBe("invalid_encoding");
    const badLen = good.slice();
    badLen[badLen.length - 1]! ^= 0x01;
    expect(codeOf(() => gunzipText(badLen))).toBe("invalid_encoding");
    expect(codeOf(() => gunzipText(new Uint8Array([...good, 1, 2, 3])))).toBe("invalid_encoding");
    const second = await gzip('{"b":2}');
    const badFirstMember = new Uint8Array([...badCrc, ...second]);
    expect(codeOf(() => gunzipText(badFirstMember))).toBe("invalid_encoding");
    expect(codeOf(() => gunzipText(good.slice(0, good.length - 3)))).toBe("invalid_encoding");
  });

  it("rejects inflated bytes that are not UTF-8", async () => {
    const stream = new Blob([new Uint8Array([0x7b, 0xff, 0x7d])]).stream().pipeThrough(new CompressionStream("gzip"));
    const gz = new Uint8Array(await new Response(stream).arrayBuffer());
    expect(codeOf(() => gunzipText(gz))).toBe("invalid_encoding");
  });
});

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32Final(crc32Update(CRC32_INIT, new TextEncoder().encode("123456789"))).toString(16)).toBe("cbf43926");
  });
});
