/**
 * The endpoints the Hono app mounts, read from `app.routes`, so suites that must cover every
 * route (the isolation matrix, the route fuzz) notice a new one instead of silently skipping it.
 */
import { app } from "../../workers/app.ts";

export interface Endpoint {
  method: string;
  /** Hono's pattern, e.g. `/v1/assets/:asset/summary`. */
  path: string;
}

/** Every (method, path) with a handler; `ALL` entries are middleware (`app.use`), not endpoints. */
export function endpoints(): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const r of app.routes) {
    if (r.method === "ALL") continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

export const label = (e: Endpoint) => `${e.method} ${e.path}`;

/** The path with each `:param` replaced (percent-encoded); throws when a value is missing. */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`no value for :${name} in ${path}`);
    return encodeURIComponent(v);
  });
}
