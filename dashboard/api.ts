/**
 * Calls to the bridge's API with the session's key in the Authorization header. Errors are the
 * bridge's RFC 9457 problems (docs/errors.md), raised as `ApiProblem` so views can say what
 * went wrong in the bridge's own words.
 */
import { forgetKey, savedKey } from "./session.ts";

export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly type: string;
  constructor(status: number, title: string, detail: string, type = "") {
    super(detail);
    this.status = status;
    this.title = title;
    this.type = type;
  }
}

/** Called when the bridge answers 401: the key was revoked or is wrong, so sign out. */
let onUnauthorized: (message: string) => void = () => {};
export function whenUnauthorized(f: (message: string) => void): void {
  onUnauthorized = f;
}

async function problemOf(res: Response): Promise<ApiProblem> {
  const text = await res.text().catch(() => "");
  try {
    const p = JSON.parse(text) as { title?: string; detail?: string; type?: string };
    return new ApiProblem(res.status, p.title ?? res.statusText, p.detail ?? text.slice(0, 300), p.type ?? "");
  } catch {
    return new ApiProblem(res.status, res.statusText, text.slice(0, 300) || `HTTP ${res.status}`);
  }
}

/** A request with the key; throws ApiProblem for any non-2xx answer. */
export async function call(path: string, init: RequestInit = {}, key = savedKey()): Promise<Response> {
  const headers = new Headers(init.headers);
  if (key) headers.set("Authorization", `Bearer ${key}`);
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers, cache: "no-store" });
  } catch {
    throw new ApiProblem(0, "Network error", "The bridge did not answer; is it running?");
  }
  if (res.ok) return res;
  const problem = await problemOf(res);
  if (res.status === 401 && key === savedKey()) {
    forgetKey();
    onUnauthorized(`The bridge no longer accepts this key: ${problem.message}`);
  }
  throw problem;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await call(path)).json()) as T;
}

export async function postJson<T>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const init: RequestInit = body === undefined ? { method: "POST" } : { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } };
  const res = await call(path, init);
  return { status: res.status, body: (await res.json()) as T };
}

export async function getBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await (await call(path)).arrayBuffer());
}

/** `/v1/assets/<asset>` with the asset id percent-encoded (ids may hold `/` and `:`). */
export function assetPath(asset: string, rest = ""): string {
  return `/v1/assets/${encodeURIComponent(asset)}${rest}`;
}

/** A message for a failed call, with a hint where the cause is usually the key's scopes. */
export function explain(e: unknown, scopeNeeded?: string, action?: string): string {
  if (!(e instanceof ApiProblem)) return e instanceof Error ? e.message : String(e);
  if (e.status === 403 && scopeNeeded) {
    return `${action ?? "This"} needs a key with the "${scopeNeeded}" scope, and this key lacks it: sign in with such a key to do this.`;
  }
  return e.status ? `${e.title} (${e.status}): ${e.message}` : e.message;
}
