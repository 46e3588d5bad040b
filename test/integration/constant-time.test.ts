/**
 * Secret comparisons are constant-time: every API key check (known or unknown key id, right or
 * wrong secret) and every admin token check goes through crypto.subtle.timingSafeEqual on
 * equal-length digests, and tail token MACs through crypto.subtle.verify, never `===`.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, call, createKey, createTenant, post } from "../fixtures/bridge.ts";

afterEach(() => vi.restoreAllMocks());

function spyCompare() {
  const calls: [number, number][] = [];
  const real = crypto.subtle.timingSafeEqual.bind(crypto.subtle);
  vi.spyOn(crypto.subtle, "timingSafeEqual").mockImplementation((a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView) => {
    calls.push([a.byteLength, b.byteLength]);
    return real(a, b);
  });
  return calls;
}

describe("constant-time comparison", () => {
  it("checks API keys with timingSafeEqual on 32-byte digests, also for unknown key ids and wrong secrets", async () => {
    await createTenant("ct-keys");
    const key = await createKey("ct-keys", ["ingest"]);
    const [, tenant, keyId, secret] = /^tb_([^_]+)_([^_]+)_(.+)$/.exec(key)!;
    const variants = {
      right: key,
      "wrong secret": `tb_${tenant}_${keyId}_${secret!.slice(0, -1)}${secret!.endsWith("A") ? "B" : "A"}`,
      "unknown key id": `tb_${tenant}_0123456789abcdef_${secret}`,
    };
    for (const [what, k] of Object.entries(variants)) {
      const calls = spyCompare();
      const res = await post("/v1/logs?asset=a", k, "{}");
      expect(res.status, what).toBe(what === "right" ? 200 : 401);
      expect(calls, what).toEqual([[32, 32]]);
      vi.restoreAllMocks();
    }
  });

  it("checks the admin token with timingSafeEqual on 32-byte digests, whatever its length", async () => {
    for (const token of [ADMIN_TOKEN, `${ADMIN_TOKEN}x`, "t", "x".repeat(500)]) {
      const calls = spyCompare();
      const res = await call("/v1/admin/tenants", { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(token === ADMIN_TOKEN ? 200 : 401);
      expect(calls[0]).toEqual([32, 32]);
      vi.restoreAllMocks();
    }
  });

  it("verifies tail token MACs with crypto.subtle.verify", async () => {
    await createTenant("ct-tail");
    const key = await createKey("ct-tail", ["read"]);
    const { token } = (await (await post("/v1/assets/a/tail/token", key, "")).json()) as { token: string };
    const verify = vi.spyOn(crypto.subtle, "verify");
    const res = await call(`/v1/assets/a/tail?token=${encodeURIComponent(token.slice(0, -2) + "AA")}`, { headers: { Upgrade: "websocket" } });
    res.webSocket?.accept();
    expect(verify).toHaveBeenCalledWith("HMAC", expect.anything(), expect.anything(), expect.anything());
    res.webSocket?.close();
  });
});
