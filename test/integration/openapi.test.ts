/**
 * GET /openapi.json is generated from the mounted routes: every route the app mounts is in it
 * with its registry metadata, every documented operation is mounted, every scope is a security
 * scheme, every problem type is listed, every $ref resolves, and the documented credentials are
 * what the routes demand. GET /docs renders it under a nonce CSP.
 */
import { describe, expect, it } from "vitest";
import { PROBLEM_CODES, problemType, type ProblemCode } from "../../shared/problem.ts";
import { SCOPES } from "../../shared/scopes.ts";
import { app } from "../../workers/app.ts";
import { mountedOperations } from "../../workers/openapi/document.ts";
import { OPERATIONS } from "../../workers/openapi/registry.ts";
import { call } from "../fixtures/bridge.ts";

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { summary: string; security: Record<string, string[]>[]; "x-auth"?: string; responses: Record<string, any> }>>;
  components: { schemas: Record<string, any>; securitySchemes: Record<string, any> };
};

async function document(): Promise<Doc> {
  const res = await call("/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return (await res.json()) as Doc;
}

function documented(doc: Doc): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)).sort();
}

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 with exactly the mounted routes, each described by the registry", async () => {
    const doc = await document();
    expect(doc.openapi).toBe("3.1.0");
    const mounted = mountedOperations(app.routes);
    expect(mounted.length).toBeGreaterThan(40);
    expect(documented(doc)).toEqual(mounted);
    const undocumented = mounted.filter((k) => !OPERATIONS[k]);
    expect(undocumented, "mounted routes without an entry in workers/openapi/ops-*.ts").toEqual([]);
    const unmounted = Object.keys(OPERATIONS).filter((k) => !mounted.includes(k));
    expect(unmounted, "registry entries for routes the app does not mount").toEqual([]);
  });

  it("documents every scope as a security scheme and uses only declared schemes", async () => {
    const doc = await document();
    for (const s of SCOPES) expect(doc.components.securitySchemes[s]).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.securitySchemes.operator).toBeDefined();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) for (const req of op.security) for (const name of Object.keys(req)) expect(doc.components.securitySchemes).toHaveProperty(name);
    }
    expect(doc.paths["/v1/assets/{asset}/alerts/{id}/ack"]!.post!.security).toEqual([{ admin: [] }]);
    expect(doc.paths["/.well-known/jwks.json"]!.get!.security).toEqual([]);
  });

  it("lists every problem type, and every answer refers to real ones", async () => {
    const doc = await document();
    const listed = doc.components.schemas.ProblemType.oneOf.map((p: { const: string }) => p.const);
    expect(listed.sort()).toEqual((Object.keys(PROBLEM_CODES) as ProblemCode[]).map(problemType).sort());
    const used = new Set<string>();
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) {
        for (const [status, r] of Object.entries(op.responses)) {
          const schema = r.content?.["application/problem+json"]?.schema;
          if (!schema) continue;
          for (const t of schema.allOf[1].properties.type.enum as string[]) {
            expect(listed).toContain(t);
            const code = t.split("/").pop()!.replaceAll("-", "_") as ProblemCode;
            expect(String(PROBLEM_CODES[code][0])).toBe(status);
            used.add(t);
          }
        }
      }
    }
    expect(used.size).toBe(listed.length);
  });

  it("resolves every $ref", async () => {
    const doc = await document();
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(20);
    for (const r of new Set(refs)) {
      const name = r.slice(8, -1).replace("#/components/schemas/", "");
      expect(doc.components.schemas, r).toHaveProperty(name);
    }
  });

  it("documents credentials the routes really demand: without one, every protected route answers 401", async () => {
    const doc = await document();
    const values: Record<string, string> = {
      asset: "web-1", tenant: "openapi", key_id: "0123456789abcdef", file: "metadata.json",
    };
    const checked: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const auth = op["x-auth"];
        // Push and protocol routes answer in their own shapes; the tail refuses non-upgrades first.
        if (!auth || ["public", "metrics", "firehose", "splunk", "tail"].includes(auth)) continue;
        const id = path.includes("/alerts/") ? "1-rule" : "evidence-20260101-000000-abcdef12";
        const url = path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(n === "id" ? id : values[n]!));
        const res = await call(url, { method: method.toUpperCase(), ...(method === "get" || method === "options" ? {} : { body: "{}" }) });
        expect(res.status, `${method.toUpperCase()} ${path}`).toBe(401);
        checked.push(path);
      }
    }
    expect(checked.length).toBeGreaterThan(30);
  });
});

describe("GET /docs", () => {
  it("is a self-contained page whose only script runs under this response's nonce", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy")!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/<script[^>]+src=|https?:\/\/(?!www\.w3\.org)/);
  });

  it("and / and /dashboard lead to the dashboard", async () => {
    for (const path of ["/", "/dashboard"]) {
      const res = await call(path, { redirect: "manual" });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/dashboard/");
    }
  });
});
