/**
 * Tenant isolation matrix: with tenant A's key (every scope, admin included) and A's JWT,
 * no route returns anything of tenant B — B's assets, evidence, bundles, config, keys, audit.
 */
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, call, createKey, createTenant, getWithKey, post } from "../fixtures/bridge.ts";

const MARKER = "b-secret-marker-7731";
let keyA: string;
let jwtA: string;
let keyB: string;
let bundleB: string;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  await createTenant("iso-a", { jwt: { issuers: [{ issuer: "https://idp.iso", audience: "iso-a", jwks: { keys: [await exportJWK(pair.publicKey)] }, default_scopes: ["ingest", "read", "evidence", "metrics", "admin"] }] } });
  await createTenant("iso-b");
  keyA = await createKey("iso-a", ["ingest", "read", "evidence", "metrics", "admin"]);
  keyB = await createKey("iso-b", ["ingest", "read", "evidence"]);
  jwtA = await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setIssuer("https://idp.iso").setAudience("iso-a").setExpirationTime("5m").sign(pair.privateKey);
  expect((await post("/v1/logs?asset=shared", keyB, JSON.stringify({ note: MARKER }))).status).toBe(200);
  const ev = (await (await getWithKey("/v1/assets/shared/evidence?since=0", keyB)).json()) as any;
  bundleB = ev.bundle.id;
});

describe("tenant isolation", () => {
  it("gives A's key and A's JWT nothing of B on any route", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", "/v1/assets"],
      ["GET", "/v1/assets/shared/evidence?since=0"],
      ["GET", "/evidence?since=0&asset=shared"],
      ["GET", "/v1/assets/shared/bundles"],
      ...(["records.jsonl.gz", "statement.dsse.json", "metadata.json"].map((f) => ["GET", `/v1/bundles/${bundleB}/${f}`] as [string, string])),
      ["GET", "/v1/admin/tenants/iso-b"],
      ["PATCH", "/v1/admin/tenants/iso-b", { name: "taken" }],
      ["GET", "/v1/admin/tenants/iso-b/config"],
      ["PUT", "/v1/admin/tenants/iso-b/config", {}],
      ["GET", "/v1/admin/tenants/iso-b/keys"],
      ["POST", "/v1/admin/tenants/iso-b/keys", { scopes: ["ingest"] }],
      ["DELETE", `/v1/admin/tenants/iso-b/keys/${keyB.split("_")[2]}`],
      ["POST", `/v1/admin/tenants/iso-b/keys/${keyB.split("_")[2]}/rotate`, {}],
      ["GET", "/v1/admin/tenants/iso-b/audit"],
      ["GET", "/v1/admin/tenants"],
    ];
    for (const credential of [keyA, jwtA]) {
      for (const [method, path, body] of routes) {
        const init: RequestInit = { method, headers: { Authorization: `Bearer ${credential}`, "Content-Type": "application/json" } };
        if (body !== undefined) init.body = JSON.stringify(body);
        const res = await call(path, init);
        const text = await res.text();
        const label = `${method} ${path} (${credential === keyA ? "key" : "jwt"}) -> ${res.status}`;
        if (res.status === 200) {
          // Only A's own, empty, view of the same asset name.
          expect(text, label).not.toContain(MARKER);
          expect(text, label).not.toContain("iso-b");
          expect(text, label).not.toContain(bundleB);
        } else {
          expect([403, 404], label).toContain(res.status);
        }
      }
    }
    // B's key still works: nothing above changed B.
    expect((await getWithKey("/v1/assets", keyB)).status).toBe(200);
    expect(((await (await admin("/v1/admin/tenants/iso-b")).json()) as any).name).toBe("ISO-B");
  });

  it("lists each tenant's own assets only", async () => {
    await post("/v1/logs?asset=only-a", keyA, "{}");
    const a = (await (await getWithKey("/v1/assets", keyA)).json()) as any;
    expect(a.assets.map((x: any) => x.asset)).toEqual(["only-a"]);
    const b = (await (await getWithKey("/v1/assets", keyB)).json()) as any;
    expect(b.assets).toEqual([{ asset: "shared", first_seen: expect.any(String), last_seen: expect.any(String), events_total: 1 }]);
  });
});
