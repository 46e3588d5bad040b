/**
 * Small validators for hand-written decoders: each checks one value at a JSON pointer,
 * records an issue when it is wrong, and returns a clean value or undefined. Decoders
 * build new values from what they return, never the input itself.
 */
import type { FieldIssue } from "./problem.ts";
import { isLoopbackHost, isPrivateHost } from "./storage/endpoint-policy.ts";

export class Issues {
  readonly list: FieldIssue[] = [];
  add(pointer: string, detail: string): undefined {
    this.list.push({ pointer, detail });
    return undefined;
  }
}

export function object(v: unknown, at: string, issues: Issues): Record<string, unknown> | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return issues.add(at, "must be an object");
  return v as Record<string, unknown>;
}

/** Report own keys not in `allowed` (inherited names like "toString" are unknown too). */
export function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], at: string, issues: Issues): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) issues.add(`${at}/${k}`, "unknown key");
}

export function integer(v: unknown, at: string, min: number, max: number, issues: Issues): number | undefined {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) return issues.add(at, `must be an integer from ${min} to ${max}`);
  return v;
}

export function string(v: unknown, at: string, issues: Issues, opts: { max?: number; re?: RegExp; what?: string } = {}): string | undefined {
  const max = opts.max ?? 256;
  if (typeof v !== "string" || v.length === 0 || v.length > max || (opts.re && !opts.re.test(v))) {
    return issues.add(at, `must be ${opts.what ?? `a string of 1 to ${max} characters`}`);
  }
  return v;
}

export function boolean(v: unknown, at: string, issues: Issues): boolean | undefined {
  if (typeof v !== "boolean") return issues.add(at, "must be true or false");
  return v;
}

export function oneOf<T extends string>(v: unknown, values: readonly T[], at: string, issues: Issues): T | undefined {
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) return issues.add(at, `must be one of ${values.join(", ")}`);
  return v as T;
}

export function array(v: unknown, at: string, max: number, issues: Issues): unknown[] | undefined {
  if (!Array.isArray(v) || v.length > max) return issues.add(at, `must be an array of at most ${max} items`);
  return v;
}

/**
 * An absolute https URL to a public host. Loopback (http too) passes here, for local
 * development: the endpoint policy refuses it when called unless the deployment allows it.
 * Private, link-local and internal hosts are never configurable (SSRF).
 */
export function httpsUrl(v: unknown, at: string, issues: Issues): string | undefined {
  if (typeof v !== "string" || v.length > 2048) return issues.add(at, "must be an https URL");
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return issues.add(at, "must be an https URL");
  }
  const loopback = u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
  if (u.protocol !== "https:" && !(u.protocol === "http:" && loopback)) return issues.add(at, "must be an https URL");
  if (u.username || u.password) return issues.add(at, "must not carry credentials; use a secret reference");
  if (isPrivateHost(u.hostname) && !isLoopbackHost(u.hostname)) return issues.add(at, "must not point at a private, link-local or internal host");
  return u.toString();
}

/** The bridge's own secrets: never usable as a reference, whoever asks. */
const RESERVED_SECRETS = new Set(["ADMIN_TOKEN", "EVIDENCE_SIGNING_KEYS", "TAIL_TOKEN_SECRET"]);

/** The name of a Worker secret (the value never sits in configuration). */
export function secretRef(v: unknown, at: string, issues: Issues): string | undefined {
  const name = string(v, at, issues, { max: 64, re: /^[A-Z][A-Z0-9_]*$/, what: "the name of a Worker secret (A-Z, 0-9, _)" });
  if (name && (RESERVED_SECRETS.has(name) || name.startsWith("CLOUDFLARE_"))) return issues.add(at, "names one of the bridge's own secrets");
  return name;
}

/** A dot path into a record, e.g. "properties.action". */
export function fieldPath(v: unknown, at: string, issues: Issues): string | undefined {
  return string(v, at, issues, { max: 200, re: /^[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$/, what: "a dot path such as properties.action" });
}
