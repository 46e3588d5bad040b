/** The error handler: transient Durable Object errors become 503 with Retry-After; bugs a bare 500. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../workers/app.ts";

describe("app.onError", () => {
  it("maps retryable and overloaded errors to 503 and hides everything else behind a 500", async () => {
    const probe = app.get("/__probe/:kind", (c) => {
      const e = new Error(`boom secret=hunter2 (${c.req.param("kind")})`) as Error & { retryable?: boolean; overloaded?: boolean };
      if (c.req.param("kind") === "retryable") e.retryable = true;
      if (c.req.param("kind") === "overloaded") e.overloaded = true;
      throw e;
    });
    for (const kind of ["retryable", "overloaded"]) {
      const res = await probe.request(`/__probe/${kind}`, {}, env);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(await res.text()).not.toContain("hunter2");
    }
    const res = await probe.request("/__probe/bug", {}, env);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { detail: string; request_id: string };
    expect(body.detail).toBe("An internal error occurred.");
    expect(JSON.stringify(body)).not.toContain("hunter2");
  });
});
