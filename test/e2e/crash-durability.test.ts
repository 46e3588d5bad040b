/**
 * Crash durability against a real `wrangler dev`: concurrent clients ingest while workerd is
 * SIGKILLed at several points; after each restart on the same state, clients retry what was not
 * acknowledged (same Idempotency-Key). Then every event is stored exactly once, seq stays
 * gap-free, a bundle over the whole log verifies (signature, digests, Merkle), and ingest
 * resumes. Bounded: 3 kills, 4 clients.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { nodeHasher } from "../../shared/evidence/node-hasher.ts";
import { verifyBundle } from "../../shared/evidence/verify.ts";
import { startBridge, tenantKey, type Bridge } from "./wrangler-dev.ts";

const CLIENTS = 4;
const BATCH = 20;
const KILLS = 3;
const stateDir = mkdtempSync(join(tmpdir(), "tb-crash-"));
let bridge: Bridge | undefined;

afterAll(async () => {
  await bridge?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

type Batch = { key: string; ids: string[] };

function send(url: string, key: string, batch: Batch): Promise<Response> {
  const body = batch.ids.map((id) => JSON.stringify({ eid: id, msg: "x".repeat(100) })).join("\n");
  return fetch(`${url}/v1/logs?asset=crash`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/x-ndjson", "Idempotency-Key": batch.key },
    body,
  });
}

/** Send batches until told to stop or the bridge goes away; returns what was acknowledged and what was not. */
async function client(url: string, key: string, c: number, round: number, stop: { now: boolean }): Promise<{ acked: string[]; unknown: Batch[] }> {
  const acked: string[] = [];
  for (let b = 0; !stop.now && b < 10_000; b++) {
    const batch = { key: `r${round}-c${c}-b${b}`, ids: Array.from({ length: BATCH }, (_, i) => `r${round}-c${c}-b${b}-${i}`) };
    try {
      const res = await send(url, key, batch);
      if (res.status === 200) acked.push(...batch.ids);
      else await res.body?.cancel();
    } catch {
      return { acked, unknown: [batch] }; // killed mid-request: stored or not, the client cannot tell
    }
  }
  return { acked, unknown: [] };
}

it("keeps every acknowledged event, exactly once, across SIGKILLs", async () => {
  bridge = await startBridge({ stateDir });
  const key = await tenantKey(bridge, "crash");
  const port = Number(new URL(bridge.url).port);
  const acked = new Set<string>();
  let retried = 0;
  for (let round = 0; round < KILLS; round++) {
    const stop = { now: false };
    const clients = Array.from({ length: CLIENTS }, (_, c) => client(bridge!.url, key, c, round, stop));
    await new Promise((r) => setTimeout(r, 700 + round * 400));
    await bridge.kill();
    stop.now = true;
    const results = await Promise.all(clients);
    for (const r of results) for (const id of r.acked) acked.add(id);
    bridge = await startBridge({ stateDir, port });
    // Retry what was in flight at the kill, with the same Idempotency-Key: stored once either way.
    for (const batch of results.flatMap((r) => r.unknown)) {
      const res = await send(bridge.url, key, batch);
      expect(res.status).toBe(200);
      await res.body?.cancel();
      for (const id of batch.ids) acked.add(id);
      retried++;
    }
  }
  expect(retried).toBeGreaterThan(0);
  expect(acked.size).toBeGreaterThan(100);

  // Ingest resumes after the last restart.
  const after = await fetch(`${bridge.url}/v1/logs?asset=crash`, { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: JSON.stringify({ eid: "after-restart" }) });
  expect(after.status).toBe(200);
  acked.add("after-restart");

  const ev = (await (await fetch(`${bridge.url}/v1/assets/crash/evidence?since=0`, { headers: { Authorization: `Bearer ${key}` } })).json()) as any;
  const get = async (f: string) => new Uint8Array(await (await fetch(`${bridge!.url}/v1/bundles/${ev.bundle.id}/${f}`, { headers: { Authorization: `Bearer ${key}` } })).arrayBuffer());
  const records = await get("records.jsonl.gz");
  const statement = new TextDecoder().decode(await get("statement.dsse.json"));
  const jwks = await (await fetch(`${bridge.url}/.well-known/jwks.json`)).json();
  const report = await verifyBundle({ records, statement }, { jwks, hasher: nodeHasher });
  expect(report, report.message).toMatchObject({ ok: true, first_seq: 0 });

  const text = await new Response(new Blob([records]).stream().pipeThrough(new DecompressionStream("gzip"))).text();
  const lines = text.trim().split("\n").map((l) => JSON.parse(l) as { seq: number; record: { eid: string } });
  lines.forEach((l, i) => expect(l.seq).toBe(i));
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l.record.eid, (counts.get(l.record.eid) ?? 0) + 1);
  for (const id of acked) expect(counts.get(id), id).toBe(1);
  // Nothing else was stored, and nothing twice.
  for (const [id, n] of counts) expect(n, id).toBe(1);
  expect(counts.size).toBe(acked.size);
}, 180_000);
