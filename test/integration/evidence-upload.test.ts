/** Evidence requests when the tenant's store fails: honest upload status, clear problems, no secrets. */
import { describe, expect, it } from "vitest";
import { expectProblem, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

const downStore = {
  provider: "s3", endpoint: "https://s3.down.test", region: "auto", bucket: "evidence-bucket", path_style: true,
  access_key_id_ref: "EVIDENCE_TEST_S3_KEY_ID", secret_access_key_ref: "EVIDENCE_TEST_S3_SECRET",
};
const SECRETS = ["down-store-secret-not-a-secret", "AKIDDOWNSTORE"];

describe("evidence with a failing store", () => {
  it("answers 202 with upload.status pending when the store is down: sealed, signed, and retried", async () => {
    const key = await tenantWithKey("ev-down", { evidence_store: downStore });
    expect((await post("/v1/logs", key, JSON.stringify([{ n: 1 }, { n: 2 }]), { "X-Asset-Id": "a" })).status).toBe(200);
    const res = await getWithKey("/v1/assets/a/evidence?since=0", key);
    const text = await res.text();
    expect(res.status, text).toBe(202);
    for (const s of SECRETS) expect(text).not.toContain(s);
    const body = JSON.parse(text);
    expect(body).toMatchObject({
      ok: true,
      metadata: { line_count: 2 },
      upload: { provider: "s3", bucket: "evidence-bucket", status: "pending", attempts: 1, next_attempt_at: expect.any(String), error: expect.stringMatching(/^unavailable: /) },
      bundle: { line_count: 2, upload: { status: "pending" } },
    });
    expect(body.upload.url).toBe(`s3://evidence-bucket/${body.upload.key}`);
    // Listed as pending; not downloadable until stored.
    const list = (await (await getWithKey("/v1/assets/a/bundles", key)).json()) as { bundles: { id: string; upload: { status: string } }[] };
    expect(list.bundles.map((b) => b.upload.status)).toEqual(["pending"]);
    await expectProblem(await getWithKey(`/v1/bundles/${list.bundles[0]!.id}/statement.dsse.json`, key), 404);
    // The next bundle chains to the pending one: it is a real, signed bundle.
    expect((await post("/v1/logs", key, JSON.stringify({ n: 3 }), { "X-Asset-Id": "a" })).status).toBe(200);
    const next = await getWithKey("/v1/assets/a/evidence?since=continue", key);
    expect(next.status).toBe(202);
    expect(((await next.json()) as { bundle: unknown }).bundle).toMatchObject({ first_seq: 2, end_seq: 3 });
  });

  it("a misconfigured store is a clear 502 problem naming the secret, never its value, and seals nothing", async () => {
    const key = await tenantWithKey("ev-misconf", { evidence_store: { ...downStore, secret_access_key_ref: "EVIDENCE_NOT_SET" } });
    expect((await post("/v1/logs", key, JSON.stringify({ n: 1 }), { "X-Asset-Id": "a" })).status).toBe(200);
    const res = await getWithKey("/v1/assets/a/evidence?since=0", key);
    const problem = await expectProblem(res, 502);
    expect(problem).toMatchObject({ reason: "config", detail: expect.stringContaining("EVIDENCE_NOT_SET") });
    for (const s of SECRETS) expect(JSON.stringify(problem)).not.toContain(s);
    const list = (await (await getWithKey("/v1/assets/a/bundles", key)).json()) as { bundles: unknown[] };
    expect(list.bundles).toEqual([]);
  });

  it("a refused endpoint (loopback, where the deployment does not allow it) is a clear problem too", async () => {
    // Private hosts are refused when the config is saved; loopback only when the store is called.
    const key = await tenantWithKey("ev-private", { evidence_store: { ...downStore, endpoint: "https://127.0.0.1:9" } });
    expect((await post("/v1/logs", key, JSON.stringify({ n: 1 }), { "X-Asset-Id": "a" })).status).toBe(200);
    const problem = await expectProblem(await getWithKey("/v1/assets/a/evidence?since=0", key), 502);
    expect(problem.detail).toMatch(/private|loopback|internal/);
  });

  it("with the default R2 store: 200 and upload.status stored", async () => {
    const key = await tenantWithKey("ev-r2");
    expect((await post("/v1/logs", key, JSON.stringify({ n: 1 }), { "X-Asset-Id": "a" })).status).toBe(200);
    const res = await getWithKey("/v1/assets/a/evidence?since=0", key);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { upload: unknown }).upload).toMatchObject({ provider: "r2", status: "stored", attempts: 1 });
  });
});
