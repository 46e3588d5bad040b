/**
 * Enrichment through the Worker: indicator lists and the ASN table (PUT/DELETE, scope admin,
 * effective on the next request), `_enrichment` in stored lines and evidence bundles, the risk
 * score, sender geo from request.cf, the reserved member, bounds and tenant isolation.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { tenantObjectName } from "../../durable-objects/env.ts";
import { encodeRangeTable } from "../../shared/enrichment/range-table.ts";
import { decodeIndicatorList } from "../../shared/enrichment/table-input.ts";
import { admin, call, createKey, env, expectProblem, getWithKey, post, storedLines, tenantWithKey } from "../fixtures/bridge.ts";

const ENRICH = { enrichment: { enabled: true, asn: true, threat_intel: true, geo: true } };
const flow = (src: string, dst = "10.0.0.1") => JSON.stringify({ src_addr: src, dst_addr: dst, proto: 6, src_port: 4444, dst_port: 443, timestamp: 1763971200 });

function put(path: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return call(path, { method: "PUT", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
}
const del = (path: string, key: string) => call(path, { method: "DELETE", headers: { Authorization: `Bearer ${key}` } });

async function tenant(id: string, config: unknown = ENRICH) {
  const key = await tenantWithKey(id, config);
  return { key, adminKey: await createKey(id, ["admin"]) };
}

/** Ingest one flow and return its stored `_enrichment` (the asset is fresh each time). */
let n = 0;
async function enrichmentOf(key: string, src: string, init: RequestInit = {}): Promise<any> {
  const asset = `e-${n++}`;
  const res = await call(`/v1/ingest/flows?asset=${asset}`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: flow(src), ...init });
  expect(res.status, await res.clone().text()).toBe(200);
  const [line] = await storedLines(key, asset);
  return line.record._enrichment;
}

afterEach(() => vi.useRealTimers());

describe("indicator lists", () => {
  it("take effect on the next request: put, replace, delete", async () => {
    const { key, adminKey } = await tenant("enr-lists");
    expect(await enrichmentOf(key, "203.0.113.7")).toEqual({ risk: 0, tables_version: 0 });

    const res = await put("/v1/indicators", adminKey, { list: "c2", indicators: [{ ip: "203.0.113.7", labels: ["c2"], score: 90 }, { cidr: "198.51.100.0/24", labels: ["scanner"], score: 40 }] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ name: "c2", kind: "indicators", entries: 2, version: 1, segments: 2 });
    expect(await enrichmentOf(key, "203.0.113.7")).toEqual({
      ips: { "flow.src_ip": { ip: "203.0.113.7", threats: [{ list: "c2", range: "203.0.113.7/32", labels: ["c2"], score: 90 }] } },
      risk: 90, tables_version: 1,
    });

    expect((await put("/v1/indicators", adminKey, { list: "c2", indicators: [{ ip: "203.0.113.7", score: 20 }] })).status).toBe(200);
    expect((await enrichmentOf(key, "203.0.113.7")).risk).toBe(20);
    expect((await enrichmentOf(key, "198.51.100.1")).risk).toBe(0);

    const gone = await del("/v1/indicators/c2", adminKey);
    expect(await gone.json()).toEqual({ list: "c2", deleted: true, version: 3 });
    expect(await enrichmentOf(key, "203.0.113.7")).toEqual({ risk: 0, tables_version: 3 });
    await expectProblem(await del("/v1/indicators/c2", adminKey), 404);
  });

  it("score across lists and addresses into one risk, and the evidence bundle holds it", async () => {
    const { key, adminKey } = await tenant("enr-risk");
    await put("/v1/indicators", adminKey, { list: "c2", indicators: [{ ip: "203.0.113.7", score: 80 }] });
    await put("/v1/indicators", adminKey, { list: "scanners", indicators: [{ cidr: "203.0.113.0/24", score: 50 }, { cidr: "10.0.0.0/8", score: 50 }] });
    const res = await post("/v1/ingest/flows?asset=risky", key, flow("203.0.113.7", "10.9.9.9"));
    expect(res.status).toBe(200);
    const [line] = await storedLines(key, "risky");
    // 80 (c2), then scanners' 203.0.113.0/24 and 10.0.0.0/8: 80 + 10 = 90, + floor(10 * 50 / 100) = 95.
    expect(line.record._enrichment.risk).toBe(95);
    expect(Object.keys(line.record._enrichment.ips).sort()).toEqual(["flow.dst_ip", "flow.src_ip"]);
  });

  it("are listed, validated with pointers, bounded, and need the admin scope", async () => {
    const { key, adminKey } = await tenant("enr-admin");
    await expectProblem(await put("/v1/indicators", key, { list: "x", indicators: [] }), 403);
    const bad = await expectProblem(await put("/v1/indicators", adminKey, { list: "x", indicators: [{ cidr: "10.0.0.1/8" }] }), 422);
    expect(bad.errors).toEqual([{ pointer: "/indicators/0/cidr", detail: expect.stringMatching(/bits set/) }]);
    await expectProblem(await put("/v1/indicators", adminKey, "{"), 400);
    for (let i = 0; i < 20; i++) expect((await put("/v1/indicators", adminKey, { list: `l${i}`, indicators: [{ ip: `192.0.2.${i}` }] })).status).toBe(200);
    await expectProblem(await put("/v1/indicators", adminKey, { list: "l20", indicators: [] }), 409);
    expect((await put("/v1/indicators", adminKey, { list: "l3", indicators: [] })).status).toBe(200); // replacing one is fine
    const listed = (await (await getWithKey("/v1/indicators", adminKey)).json()) as { lists: { name: string }[] };
    expect(listed.lists).toHaveLength(20);
    await expectProblem(await del("/v1/indicators/..", adminKey), 404);
    const audit = (await (await admin("/v1/admin/tenants/enr-admin/audit")).json()) as { entries: { action: string; target: string }[] };
    expect(audit.entries[0]).toMatchObject({ action: "indicators.put", target: "l3" });
  });

  it("belong to their tenant only", async () => {
    const a = await tenant("enr-iso-a");
    const b = await tenant("enr-iso-b");
    await put("/v1/indicators", b.adminKey, { list: "b-only", indicators: [{ ip: "203.0.113.7", score: 99 }] });
    expect((await enrichmentOf(a.key, "203.0.113.7")).risk).toBe(0);
    await expectProblem(await del("/v1/indicators/b-only", a.adminKey), 404);
    expect((await enrichmentOf(b.key, "203.0.113.7")).risk).toBe(99);
  });

  it("reach other isolates within the check interval (a change made elsewhere)", async () => {
    const { key } = await tenant("enr-elsewhere");
    expect((await enrichmentOf(key, "203.0.113.7")).tables_version).toBe(0);
    // Another isolate's upload: straight to the tenant's object, so this isolate's cache is not told.
    const list = decodeIndicatorList({ list: "late", indicators: [{ ip: "203.0.113.7", score: 70 }] });
    if (!list.ok) throw new Error("fixture");
    await env.TENANT.getByName(tenantObjectName("enr-elsewhere")).putRangeTable("indicators", "late", encodeRangeTable(list.value.table), 1, "test");
    expect((await enrichmentOf(key, "203.0.113.7")).risk).toBe(0);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 5_001);
    expect((await enrichmentOf(key, "203.0.113.7")).risk).toBe(70);
  });
});

describe("ASN table", () => {
  it("is uploaded as JSON or iptoasn TSV and looked up by range", async () => {
    const { key, adminKey } = await tenant("enr-asn", { enrichment: { enabled: true, asn: true } });
    const res = await put("/v1/asn-ranges", adminKey, { ranges: [{ cidr: "203.0.113.0/24", asn: 64500, name: "EXAMPLE-NET", country: "NL" }, { cidr: "203.0.113.128/25", asn: 64501 }] });
    expect(await res.json()).toMatchObject({ name: "asn", kind: "asn", entries: 2, segments: 2 });
    expect((await enrichmentOf(key, "203.0.113.127")).ips["flow.src_ip"]).toEqual({ ip: "203.0.113.127", asn: 64500, as_name: "EXAMPLE-NET", as_country: "NL" });
    expect((await enrichmentOf(key, "203.0.113.128")).ips["flow.src_ip"]).toEqual({ ip: "203.0.113.128", asn: 64501 });

    const tsv = "203.0.113.0\t203.0.113.255\t13335\tUS\tCLOUDFLARENET\n";
    expect((await put("/v1/asn-ranges", adminKey, tsv, { "Content-Type": "text/tab-separated-values" })).status).toBe(200);
    const e = await enrichmentOf(key, "203.0.113.200");
    expect(e).toEqual({ ips: { "flow.src_ip": { ip: "203.0.113.200", asn: 13335, as_name: "CLOUDFLARENET", as_country: "US" } }, tables_version: 2 });
    expect(await (await getWithKey("/v1/asn-ranges", adminKey)).json()).toMatchObject({ version: 2, table: { name: "asn", entries: 1 } });
    expect((await del("/v1/asn-ranges", adminKey)).status).toBe(200);
    expect(await enrichmentOf(key, "203.0.113.200")).toEqual({ tables_version: 3 });
    await expectProblem(await put("/v1/asn-ranges", adminKey, "x", { "Content-Type": "text/csv" }), 415);
  });
});

describe("enrichment of other sources", () => {
  it("adds the sender's geo from request.cf, and leaves records alone when off", async () => {
    const { key } = await tenant("enr-geo", { enrichment: { enabled: true, geo: true } });
    const cf = { country: "NL", asn: 1136, asOrganization: "KPN B.V." } as unknown as RequestInit["cf"];
    const res = await call("/v1/logs?asset=geo", { method: "POST", headers: { Authorization: `Bearer ${key}` }, body: '{"message":"hi"}', cf });
    expect(res.status).toBe(200);
    const [line] = await storedLines(key, "geo");
    expect(line.record).toEqual({ message: "hi", _enrichment: { sender: { country: "NL", asn: 1136, as_org: "KPN B.V." } } });
    const off = await tenantWithKey("enr-off");
    await post("/v1/logs?asset=plain", off, '{"message":"hi","_enrichment":"mine"}');
    expect((await storedLines(off, "plain"))[0].record).toEqual({ message: "hi", _enrichment: "mine" });
  });

  it("refuses a record carrying its own _enrichment while enrichment is on", async () => {
    const { key } = await tenant("enr-reserved");
    const problem = await expectProblem(await post("/v1/logs?asset=r", key, '[{"ok":1},{"_enrichment":{"risk":0}}]'), 422);
    expect(problem.errors).toEqual([{ pointer: "/1/_enrichment", detail: "reserved for the bridge's enrichment" }]);
    const flows = await post("/v1/ingest/flows?asset=r", key, `${flow("10.0.0.9")}\n${JSON.stringify({ ...JSON.parse(flow("10.0.0.9")), _enrichment: {} })}`, { "Content-Type": "application/x-ndjson" });
    expect(await flows.json()).toMatchObject({ accepted: 1, refused: 1, errors: [{ index: 1, pointer: "/1/_enrichment" }] });
  });

  it("looks up the configured fields of any record", async () => {
    const { key, adminKey } = await tenant("enr-fields", { enrichment: { enabled: true, threat_intel: true, ip_fields: ["httpRequest.clientIp"] } });
    await put("/v1/indicators", adminKey, { list: "bad", indicators: [{ cidr: "2001:db8::/32", score: 60 }] });
    await post("/v1/logs?asset=waf", key, JSON.stringify({ httpRequest: { clientIp: "2001:DB8::1" }, src_ip: "2001:db8::2" }));
    const [line] = await storedLines(key, "waf");
    expect(line.record._enrichment).toEqual({
      ips: { "httpRequest.clientIp": { ip: "2001:db8::1", threats: [{ list: "bad", range: "2001:db8::/32", labels: [], score: 60 }] } },
      risk: 60, tables_version: 1,
    });
  });
});
