/** Each evidence bundle's predicate names the redaction profile(s) that applied to its lines. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decodeTenantConfig } from "../../shared/tenant-config.ts";
import { redactionProfileDigest } from "../../shared/redaction/digest.ts";
import { call, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

async function predicateOf(key: string, asset: string, since: string): Promise<Record<string, any>> {
  const res = await getWithKey(`/v1/assets/${asset}/evidence?since=${since}`, key);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { bundle: { statement: string } };
  const envelope = JSON.parse(await (await env.EVIDENCE.get(body.bundle.statement))!.text()) as { payload: string };
  return (JSON.parse(atob(envelope.payload)) as { predicate: Record<string, any> }).predicate;
}

describe("redaction in evidence predicates", () => {
  it("names each profile with the first seq it applied to; no redaction, no member", async () => {
    const key = await tenantWithKey("red-ev");
    const send = (n: number) => post("/v1/logs", key, JSON.stringify({ n, email: "a@b.example" }), { "X-Asset-Id": "a" });
    expect((await send(0)).status).toBe(200);
    expect((await predicateOf(key, "a", "0")).redaction).toBeUndefined();

    const profile = { hash_keys: ["email"] };
    const put = await call("/v1/admin/tenants/red-ev/config", {
      method: "PUT", headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" }, body: JSON.stringify({ redaction: profile }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    expect((await send(1)).status).toBe(200);
    expect((await send(2)).status).toBe(200);
    const decoded = decodeTenantConfig({ redaction: profile });
    if (!decoded.ok) throw new Error("profile");
    const digest = redactionProfileDigest(decoded.value);
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    const predicate = await predicateOf(key, "a", "0");
    expect(predicate.redaction).toEqual({ profiles: [{ from_seq: 1, sha256: digest }] });
    expect(predicate.records).toMatchObject({ first_seq: 0, end_seq: 3 });
  });
});
