/**
 * A seal whose upload never reports back, as when the object dies mid-upload (found by the crash
 * soak: SIGKILL during a whole-log seal). The bundle row is recorded, signed, before its objects
 * are put; here the first put hangs, and every object is reset (restarted from storage) meanwhile. The bundle must not stay pending forever (range
 * pinned, file downloads 404, the next bundle chaining to it): the alarm retries the upload, the
 * bundle becomes downloadable and verifiable, and the next bundle chains to it.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { assetObjectName } from "../../durable-objects/env.ts";
import type { AssetLog } from "../../durable-objects/asset-log/asset-log.ts";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { env, getWithKey, post, tenantWithKey } from "../fixtures/bridge.ts";

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

type Listed = { bundles: { id: string; upload: { status: string; next_attempt_at?: string } }[] };
const list = async (key: string) => (await (await getWithKey("/v1/assets/a/bundles", key)).json()) as Listed;

describe("a seal interrupted by a crash", () => {
  it("is retried by the alarm, not left pending forever", async () => {
    const key = await tenantWithKey("seal-crash");
    expect((await post("/v1/logs?asset=a", key, JSON.stringify([{ n: 1 }, { n: 2 }]))).status).toBe(200);
    const stub = env.ASSET_LOG.getByName(assetObjectName("seal-crash", "a"));

    // The store's first put never answers: the object is mid-upload when it dies.
    const put = env.EVIDENCE.put.bind(env.EVIDENCE);
    let hung = false;
    vi.spyOn(env.EVIDENCE, "put").mockImplementation(((...args: Parameters<typeof put>) => {
      if (hung) return put(...args);
      hung = true;
      return new Promise(() => undefined);
    }) as typeof put);
    void getWithKey("/v1/assets/a/evidence?since=0", key).catch(() => undefined);
    await vi.waitFor(async () => expect((await list(key)).bundles).toHaveLength(1));
    // The process dies mid-upload: the object restarts from its storage.
    await abortAllDurableObjects();
    vi.restoreAllMocks();

    const [pending] = (await list(key)).bundles;
    expect(pending!.upload.status).toBe("pending");
    expect(pending!.upload.next_attempt_at, "a retry is scheduled").toEqual(expect.any(String));
    // ... and the object will wake up for it.
    const alarmAt = await runInDurableObject(stub, (_o: AssetLog, state) => state.storage.getAlarm());
    expect(alarmAt).toBeLessThanOrEqual(Date.parse(pending!.upload.next_attempt_at!));
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(pending!.upload.next_attempt_at!) + 1_000);
    await runDurableObjectAlarm(stub);
    vi.useRealTimers();
    expect((await list(key)).bundles.map((b) => b.upload.status)).toEqual(["stored"]);

    const file = async (f: string) => new Uint8Array(await (await getWithKey(`/v1/bundles/${pending!.id}/${f}`, key)).arrayBuffer());
    const jwks = await (await getWithKey("/.well-known/jwks.json", key)).json();
    const statement = new TextDecoder().decode(await file("statement.dsse.json"));
    expect(await verifyBundle({ records: await file("records.jsonl.gz"), statement }, { jwks, hasher: nodeHasher })).toMatchObject({ ok: true, first_seq: 0 });
    // The next bundle chains to the recovered one.
    expect((await post("/v1/logs?asset=a", key, JSON.stringify({ n: 3 }))).status).toBe(200);
    const next = (await (await getWithKey("/v1/assets/a/evidence?since=continue", key)).json()) as { bundle: { id: string } };
    const nextStatement = new TextDecoder().decode(new Uint8Array(await (await getWithKey(`/v1/bundles/${next.bundle.id}/statement.dsse.json`, key)).arrayBuffer()));
    const nextRecords = new Uint8Array(await (await getWithKey(`/v1/bundles/${next.bundle.id}/records.jsonl.gz`, key)).arrayBuffer());
    expect(await verifyBundle({ records: nextRecords, statement: nextStatement }, { jwks, hasher: nodeHasher, previous: { statement } })).toMatchObject({ ok: true, first_seq: 2 });
  });
});
