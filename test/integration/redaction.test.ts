/**
 * Redaction profiles through the Worker: nothing redacted reaches stored lines, evidence bundles,
 * summaries, alerts or the live tail; hashes with and without a salt; redaction before enrichment;
 * counters in the answer and in GET /metrics; a missing salt stores nothing.
 */
import { describe, expect, it, vi } from "vitest";
import { call, createKey, env, expectProblem, getWithKey, gunzipText, post, storedLines, tenantWithKey } from "../fixtures/bridge.ts";

const SALT = "redaction-test-salt-not-a-secret"; // vitest.config.ts binds it as REDACTION_SALT_TEST
const EMAIL = "alice.secret@example.com";
const CARD = "4111 1111 1111 1111";
const TOKEN = "eyJsecretbearertoken.abc.def";
const PASSWORD = "hunter2-password-value";
const SECRETS = [EMAIL, CARD, TOKEN, PASSWORD, "4111111111111111"];

const PROFILE = {
  drop_keys: ["password"], hash_keys: ["user.email"],
  patterns: { email: "hash", card_number: "drop", bearer_token: "drop" },
  hash_salt_ref: "REDACTION_SALT_TEST",
};
const RULES = {
  alert_rules: [
    { name: "per-user", type: "burst", key_field: "user.email", min_count: 2, window_seconds: 600, cooldown_seconds: 0 },
    { name: "leaked-email", type: "pattern", pattern: "alice\\.secret@example\\.com" },
    { name: "saw-redaction", type: "pattern", pattern: "redacted:email" },
  ],
  counting_rules: [{ name: "by-email", fields: ["user.email"], values: [EMAIL] }],
};

async function hex(data: ArrayBuffer): Promise<string> {
  return [...new Uint8Array(data)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
const sha = async (s: string) => hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
async function hmac(key: string, s: string): Promise<string> {
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return hex(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(s)));
}

const record = (i: number) => ({
  level: "error", message: `login failed for ${EMAIL} with card ${CARD}`, user: { email: EMAIL, password: PASSWORD, id: i },
  headers: { authorization: `Bearer ${TOKEN}` },
});

function expectNoSecret(text: string, where: string): void {
  for (const s of SECRETS) expect(text.includes(s), `${where} holds ${s}`).toBe(false);
}

describe("redaction at ingest", () => {
  it("leaves nothing redacted in stored lines, the bundle, the summary, alerts or the live tail", async () => {
    const key = await tenantWithKey("red-all", { redaction: PROFILE, ...RULES });
    const adminKey = await createKey("red-all", ["admin", "read"]);
    const tail = await call("/v1/assets/app/tail", { headers: { Upgrade: "websocket", Authorization: `Bearer ${key}` } });
    const ws = tail.webSocket!;
    const frames: string[] = [];
    ws.addEventListener("message", (m) => { frames.push(String(m.data)); });
    ws.accept();

    const res = await post("/v1/logs?asset=app", key, [record(1), record(2)].map((r) => JSON.stringify(r)).join("\n"), { "Content-Type": "application/x-ndjson" });
    expect(res.status).toBe(200);
    // Alert openings are stored lines too (source bridge.alert): checked with the bundle's bytes below.
    const lines = (await storedLines(key, "app")).filter((l) => l.source === "http");
    expect(lines).toHaveLength(2);
    const emailHash = await hmac(SALT, EMAIL);
    expect(lines[0].record).toEqual({
      level: "error", message: `login failed for [redacted:email:${emailHash}] with card [redacted:card_number]`,
      user: { email: emailHash, id: 1 }, headers: { authorization: "Bearer [redacted:bearer_token]" },
    });

    // The bundle's own bytes, not only its parsed lines.
    const evidence = (await (await getWithKey("/v1/assets/app/evidence?since=0", key)).json()) as { upload: { key: string } };
    expectNoSecret(await gunzipText(await (await env.EVIDENCE.get(evidence.upload.key))!.arrayBuffer()), "records.jsonl.gz");

    const summary = await (await getWithKey("/v1/assets/app/summary?since=3600", key)).text();
    expectNoSecret(summary, "summary");
    const s = JSON.parse(summary);
    expect(s.ops_summary.alerts).toEqual(expect.arrayContaining([{ rule: "by-email", count: 0 }]));

    const alerts = (await (await getWithKey("/v1/assets/app/alerts", adminKey)).json()) as { alerts: { rule: string; key?: string }[] };
    expectNoSecret(JSON.stringify(alerts), "alerts");
    expect(alerts.alerts.map((a) => a.rule).sort()).toEqual(["per-user", "saw-redaction"]);
    expect(alerts.alerts.find((a) => a.rule === "per-user")!.key).toBe(emailHash);

    await vi.waitFor(() => expect(frames.filter((f) => f.includes('"type":"event"') && f.includes('"source":"http"'))).toHaveLength(2));
    expect(frames.join("\n")).toContain(emailHash);
    expectNoSecret(frames.join("\n"), "live tail");
    ws.close(1000, "done");
  });

  it("hashes the same input to the same SHA-256 without a salt, and differently with one", async () => {
    const plainA = await tenantWithKey("red-plain-a", { redaction: { hash_keys: ["email"] } });
    const plainB = await tenantWithKey("red-plain-b", { redaction: { hash_keys: ["email"] } });
    const salted = await tenantWithKey("red-salted", { redaction: { hash_keys: ["email"], hash_salt_ref: "REDACTION_SALT_TEST" } });
    for (const k of [plainA, plainB, salted]) expect((await post("/v1/logs?asset=h", k, JSON.stringify({ email: EMAIL }))).status).toBe(200);
    const [a] = await storedLines(plainA, "h");
    const [b] = await storedLines(plainB, "h");
    const [c] = await storedLines(salted, "h");
    expect(a.record.email).toBe(await sha(EMAIL));
    expect(b.record.email).toBe(a.record.email);
    expect(c.record.email).toBe(await hmac(SALT, EMAIL));
    expect(c.record.email).not.toBe(a.record.email);
  });

  it("stores nothing when the salt's secret is not set", async () => {
    const key = await tenantWithKey("red-nosalt", { redaction: { hash_keys: ["email"], hash_salt_ref: "REDACTION_SALT_MISSING" } });
    const problem = await expectProblem(await post("/v1/logs?asset=n", key, JSON.stringify({ email: EMAIL })), 503);
    expect(problem.detail).toContain("REDACTION_SALT_MISSING");
    expect(await storedLines(key, "n")).toEqual([]);
  });

  it("redacts before enrichment: a hashed address is never looked up or named", async () => {
    const config = { redaction: { hash_keys: ["src_addr", "src_ip"] }, enrichment: { enabled: true, threat_intel: true } };
    const key = await tenantWithKey("red-enrich", config);
    const adminKey = await createKey("red-enrich", ["admin"]);
    const put = await call("/v1/indicators", { method: "PUT", headers: { Authorization: `Bearer ${adminKey}` }, body: JSON.stringify({ list: "hosts", indicators: [{ ip: "203.0.113.7", score: 90 }, { ip: "10.0.0.1", score: 30 }] }) });
    expect(put.status).toBe(200);
    const res = await post("/v1/ingest/flows?asset=f", key, JSON.stringify({ src_addr: "203.0.113.7", dst_addr: "10.0.0.1", proto: 6, src_port: 1, dst_port: 2, timestamp: 1763971200 }));
    expect(await res.json()).toEqual({ ok: true, accepted: 1, refused: 0, assets: { f: 1 }, redactions: { key_hashed: 2 } });
    const [line] = await storedLines(key, "f");
    expect(JSON.stringify(line).includes("203.0.113.7")).toBe(false);
    expect(line.record.flow.src_ip).toBe(await sha("203.0.113.7"));
    expect(line.record._enrichment).toEqual({
      ips: { "flow.dst_ip": { ip: "10.0.0.1", threats: [{ list: "hosts", range: "10.0.0.1/32", labels: [], score: 30 }] } }, risk: 30, tables_version: 1,
    });
  });

  it("counts redactions per reason in the answer and in GET /metrics", async () => {
    const key = await tenantWithKey("red-count", { redaction: { ...PROFILE, max_string_length: 32 } });
    const scraper = await createKey("red-count", ["metrics"]);
    const body = [record(1), record(2), { note: "x".repeat(40) }].map((r) => JSON.stringify(r)).join("\n");
    const res = await post("/v1/ingest/flows?asset=c", key, body, { "Content-Type": "application/x-ndjson" });
    // Not flows: all refused, so nothing is counted.
    expect(res.status).toBe(422);
    expect((await post("/v1/logs?asset=c", key, body, { "Content-Type": "application/x-ndjson" })).status).toBe(200);
    const want = { key_dropped: 2, key_hashed: 2, email: 2, card_number: 2, bearer_token: 2, truncated: 3 };
    await vi.waitFor(async () => {
      const text = await (await call("/metrics", { headers: { Authorization: `Bearer ${scraper}` } })).text();
      for (const [reason, n] of Object.entries(want)) expect(text).toContain(`telemetry_redactions_total{reason="${reason}"} ${n}`);
    }, { timeout: 5_000, interval: 250 });
  });
});
