/**
 * CPU profile of the Worker and its Durable Objects in workerd, through wrangler's DevTools
 * inspector (Chrome DevTools Protocol over WebSocket): start, run something, stop, and
 * summarise self time by function. The raw profile is written for DevTools / speedscope.
 */
import { writeFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Hotspot {
  function: string;
  where: string;
  self_ms: number;
  self_share: number;
}

async function connect(port: number): Promise<{ send: (method: string, params?: object) => Promise<any>; close: () => void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  if (!targets[0]) throw new Error(`no inspector target on port ${port}`);
  // wrangler's inspector proxy wants a local Origin; Node's WebSocket (undici) takes headers as an extension.
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let next = 1;
  const waiting = new Map<number, (v: any) => void>();
  ws.addEventListener("message", (e) => {
    const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) waiting.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
  });
  return {
    send: (method, params = {}) => new Promise((resolve) => {
      const id = next++;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    }),
    close: () => ws.close(),
  };
}

/** Profile workerd's isolate while `work` runs; returns the top functions by self time. */
export async function profileWhile(port: number, file: string, work: () => Promise<unknown>, top = 25): Promise<Hotspot[]> {
  const cdp = await connect(port);
  try {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    await work();
    const { profile } = (await cdp.send("Profiler.stop")) as { profile: Profile };
    writeFileSync(file, JSON.stringify(profile));
    return hotspots(profile, top);
  } finally {
    cdp.close();
  }
}

/** Self time per function (name + file:line), largest first. */
export function hotspots(profile: Profile, top: number): Hotspot[] {
  const byNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) byNode.set(samples[i]!, (byNode.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  const total = [...byNode.values()].reduce((a, b) => a + b, 0) || 1;
  const byFn = new Map<string, Hotspot>();
  for (const n of profile.nodes) {
    const us = byNode.get(n.id) ?? 0;
    if (!us) continue;
    const where = `${n.callFrame.url.split("/").slice(-2).join("/")}:${n.callFrame.lineNumber + 1}`;
    const key = `${n.callFrame.functionName || "(anonymous)"} ${where}`;
    const h = byFn.get(key) ?? { function: n.callFrame.functionName || "(anonymous)", where, self_ms: 0, self_share: 0 };
    h.self_ms += us / 1000;
    byFn.set(key, h);
  }
  return [...byFn.values()]
    .map((h) => ({ ...h, self_ms: +h.self_ms.toFixed(1), self_share: +(h.self_ms * 1000 / total).toFixed(3) }))
    .sort((a, b) => b.self_ms - a.self_ms)
    .slice(0, top);
}
