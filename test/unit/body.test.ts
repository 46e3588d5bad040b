import { describe, expect, it } from "vitest";
import { ApiError } from "../../workers/api-error.ts";
import { gunzipCapped } from "../../workers/body.ts";
import { gzip } from "../fixtures/bridge.ts";

describe("gunzipCapped", () => {
  it("inflates concatenated gzip members", async () => {
    const multi = new Uint8Array([...(await gzip("hello ")), ...(await gzip("world"))]);
    expect(new TextDecoder().decode(gunzipCapped(multi))).toBe("hello world");
  });

  it("stops at the cap instead of inflating a bomb", async () => {
    const bomb = await gzip("\u0000".repeat(4 * 1024 * 1024));
    expect(() => gunzipCapped(bomb, 1024 * 1024)).toThrow(ApiError);
    try {
      gunzipCapped(bomb, 1024 * 1024);
    } catch (e) {
      expect((e as ApiError).code).toBe("payload_too_large");
    }
  });

  it("rejects corrupt gzip as invalid_encoding", () => {
    try {
      gunzipCapped(new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0xff, 0xff]));
      expect.unreachable();
    } catch (e) {
      expect((e as ApiError).code).toBe("invalid_encoding");
    }
  });
});
