/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the mounted routes), `GET /docs` (a page
 * rendering it), and the dashboard's entry points: `/` and `/dashboard` redirect to
 * `/dashboard/`, which Workers static assets serve (wrangler.toml `[assets]`, docs/dashboard.md).
 */
import { Hono } from "hono";
import { randomBase64Url } from "../../shared/hex.ts";
import type { AppEnv } from "../app-env.ts";
import { docsCsp, docsPage } from "../openapi/docs-page.ts";
import { openApiDocument, type MountedRoute } from "../openapi/document.ts";

/** `routes` reads the app's route table when asked, so the document sees every route mounted. */
export function apiDocs(routes: () => readonly MountedRoute[]): Hono<AppEnv> {
  const r = new Hono<AppEnv>();
  r.get("/openapi.json", (c) => c.json(openApiDocument(routes(), new URL(c.req.url).origin), 200, { "Cache-Control": "no-cache" }));
  r.get("/docs", (c) => {
    const nonce = randomBase64Url(16);
    return c.html(docsPage(nonce), 200, { "Content-Security-Policy": docsCsp(nonce), "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" });
  });
  r.get("/", (c) => c.redirect("/dashboard/", 302));
  r.get("/dashboard", (c) => c.redirect("/dashboard/", 302));
  return r;
}
