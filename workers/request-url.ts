/**
 * The request's URL, parsed once: the request log, the asset resolution and the routes each
 * read it, and `new URL()` showed up in single-event ingest profiles (docs/performance.md).
 */
const parsed = new WeakMap<Request, URL>();

/** The parsed URL of `req` (the same object on every call for one request; do not mutate it). */
export function requestUrl(req: Request): URL {
  let url = parsed.get(req);
  if (!url) parsed.set(req, (url = new URL(req.url)));
  return url;
}
