/**
 * The README's live tail against a real `wrangler dev`, over real HTTP: `telemetry-bridge tail`
 * gets a token with the key in a header, opens the WebSocket with `?token=`, prints the snapshot
 * and then a line ingested while it runs; a bad key exits 1.
 */
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startBridge, tenantKey, type Bridge } from "./wrangler-dev.ts";

let bridge: Bridge;
let key: string;

beforeAll(async () => {
  bridge = await startBridge();
  key = await tenantKey(bridge, "tail");
});
afterAll(async () => {
  await bridge?.stop();
});

async function ingest(message: string): Promise<void> {
  const res = await fetch(`${bridge.url}/v1/logs?asset=web-1`, {
    method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify({ message }),
  });
  expect(res.status).toBe(200);
}

it("prints the snapshot, then events as they are stored", async () => {
  await ingest("before");
  const child = spawn(process.execPath, ["bin/telemetry-bridge.ts", "tail", "web-1", "--url", bridge.url, "--snapshot", "5"], {
    env: { ...process.env, TB_API_KEY: key },
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const lines = (): any[] => out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const until = async (n: number) => {
    const deadline = Date.now() + 20_000;
    while (lines().length < n) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`tail printed ${JSON.stringify(out)} / ${err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  child.stdout.on("data", (d) => (out += d));
  try {
    await until(1);
    expect(lines()[0]).toMatchObject({ seq: 0, record: { message: "before" } });
    await ingest("during");
    await until(2);
    expect(lines()[1]).toMatchObject({ seq: 1, record: { message: "during" } });
    expect(out + err).not.toContain(key);
  } finally {
    child.kill("SIGTERM");
  }
});

it("exits 1 with the bridge's answer for a bad key", () => {
  const res = spawnSync(process.execPath, ["bin/telemetry-bridge.ts", "tail", "web-1", "--url", bridge.url, "--key", "tb_tail_nope_nope"], { encoding: "utf8" });
  expect(res.status).toBe(1);
  expect(res.stderr).toContain("401");
});
