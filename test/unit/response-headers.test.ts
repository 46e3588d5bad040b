/** setResponseHeaders: in place on the Worker's own responses, by Hono's copy on immutable ones. */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { setResponseHeaders } from "../../workers/response-headers.ts";

describe("setResponseHeaders", () => {
  const app = new Hono();
  const seen: Response[] = [];
  app.use(async (c, next) => {
    await next();
    seen.push(c.res);
    setResponseHeaders(c, { "X-Request-ID": "r-1", "X-API-Version": "v1" });
  });
  app.get("/own", (c) => c.json({ ok: true }, 201, { "X-Own": "yes" }));
  // A subrequest's response: the runtime will not let its headers change (nor those of one passed through from a DO's fetch).
  app.get("/immutable", () => fetch("https://x.down.test/"));

  it("sets the headers on the handler's own response, without copying it", async () => {
    const res = await app.request("/own");
    expect(res).toBe(seen.at(-1));
    expect(res.status).toBe(201);
    expect(Object.fromEntries(res.headers)).toMatchObject({ "x-request-id": "r-1", "x-api-version": "v1", "x-own": "yes", "content-type": "application/json" });
    expect(await res.json()).toEqual({ ok: true });
  });

  it("falls back to a copy when the response's headers are immutable", async () => {
    const res = await app.request("/immutable");
    expect(() => seen.at(-1)!.headers.set("x", "y")).toThrow(TypeError);
    expect(res).not.toBe(seen.at(-1));
    expect(res.status).toBe(503);
    expect(res.headers.get("x-request-id")).toBe("r-1");
    expect(res.headers.get("x-api-version")).toBe("v1");
  });
});
