/**
 * Set headers on a request's final response. Hono's `c.header()` after the handler has
 * answered copies the whole Response for every header it sets (two copies per request for
 * the request id and API version: ~5% of single-event ingest CPU, docs/performance.md).
 * Responses built in this Worker have mutable headers, so they are set in place; a response
 * whose headers are immutable (one passed through from a Durable Object's fetch, such as a
 * WebSocket upgrade) gets Hono's copy, as before.
 */
import type { Context } from "hono";

export function setResponseHeaders(c: Context, headers: Record<string, string>): void {
  try {
    for (const name in headers) c.res.headers.set(name, headers[name]!);
  } catch {
    for (const name in headers) c.header(name, headers[name]!);
  }
}
