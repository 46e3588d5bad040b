/**
 * Apply a redaction profile to one record: key rules (drop, hash, allow list) by key name at
 * any depth or dot path from the root, then value patterns over every remaining string, then
 * truncation. Builds a new record (the input is not changed) and counts what it did per reason.
 * Hashes are SHA-256 hex of the value (a string's UTF-8, anything else its JCS), or
 * HMAC-SHA-256 keyed with the tenant's salt, so equal values stay joinable without being readable.
 * Pure and synchronous (noble hashes: many small inputs, where a sync hash beats WebCrypto calls).
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { RE2JS } from "re2js";
import { canonicalize } from "../evidence/jcs.ts";
import { toHex } from "../hex.ts";
import { BUILTIN_DETECTORS, type Span } from "./builtins.ts";
import { BUILTIN_PATTERNS, type RedactionAction, type RedactionProfile } from "./profile.ts";

export type RedactionCounts = Record<string, number>;

interface Detector { name: string; action: RedactionAction; find: (s: string) => Span[] }

interface Selectors { names: Set<string>; paths: Set<string> }

export interface CompiledProfile {
  drop: Selectors;
  hash: Selectors;
  allow: Selectors | null;
  /** Whether any selector is a dot path (then the walk builds paths). */
  paths: boolean;
  detectors: Detector[];
  maxString: number | null;
}

const compiled = new WeakMap<RedactionProfile, CompiledProfile>();

function selectors(list: readonly string[] | undefined): Selectors {
  const out: Selectors = { names: new Set(), paths: new Set() };
  for (const s of list ?? []) (s.includes(".") ? out.paths : out.names).add(s.toLowerCase());
  return out;
}

/** Compile once per profile object (tenant configs are cached per isolate). */
export function compileProfile(p: RedactionProfile): CompiledProfile {
  let c = compiled.get(p);
  if (c) return c;
  const drop = selectors(p.drop_keys);
  const hash = selectors(p.hash_keys);
  const allow = p.allow_keys ? selectors(p.allow_keys) : null;
  const detectors: Detector[] = [];
  for (const name of BUILTIN_PATTERNS) {
    const action = p.patterns?.[name];
    if (action) detectors.push({ name, action, find: BUILTIN_DETECTORS[name] });
  }
  for (const cp of p.custom_patterns ?? []) {
    const re = RE2JS.compile(cp.pattern);
    detectors.push({
      name: cp.name, action: cp.action,
      find: (s) => {
        const out: Span[] = [];
        const m = re.matcher(s);
        while (m.find()) if (m.end() > m.start()) out.push([m.start(), m.end()]);
        return out;
      },
    });
  }
  c = {
    drop, hash, allow, detectors, maxString: p.max_string_length ?? null,
    paths: [drop, hash, allow].some((s) => s !== null && s.paths.size > 0),
  };
  compiled.set(p, c);
  return c;
}

/** SHA-256 hex of the text, or HMAC-SHA-256 keyed with the salt. */
export function redactionHash(text: string, salt: Uint8Array | null): string {
  const bytes = new TextEncoder().encode(text);
  return toHex(salt ? hmac(sha256, salt, bytes) : sha256(bytes));
}

const hits = (s: Selectors, name: string, path: string | null) => s.names.has(name) || (path !== null && s.paths.has(path));

class Walk {
  readonly counts: RedactionCounts = {};
  readonly #c: CompiledProfile;
  readonly #salt: Uint8Array | null;
  constructor(c: CompiledProfile, salt: Uint8Array | null) {
    this.#c = c;
    this.#salt = salt;
  }

  count(reason: string, n = 1): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + n;
  }

  /** A value under `path` (null when no selector is a path); `allowed`: an allow selector covers it. Undefined: removed. */
  value(v: unknown, path: string | null, allowed: boolean): unknown {
    if (Array.isArray(v)) {
      // Array elements are transparent to selectors: they share the array's key and path.
      const out = v.map((x) => this.value(x, path, allowed)).filter((x) => x !== undefined);
      return !allowed && out.length === 0 ? this.#notAllowed(v.length === 0) : out;
    }
    if (typeof v === "object" && v !== null) {
      const entries: [string, unknown][] = [];
      for (const [k, x] of Object.entries(v)) {
        const name = k.toLowerCase();
        const p = this.#c.paths ? (path === null ? name : `${path}.${name}`) : null;
        if (hits(this.#c.drop, name, p)) { this.count("key_dropped"); continue; }
        if (hits(this.#c.hash, name, p)) {
          this.count("key_hashed");
          entries.push([k, redactionHash(typeof x === "string" ? x : canonicalize(x), this.#salt)]);
          continue;
        }
        const out = this.value(x, p, allowed || (this.#c.allow !== null && hits(this.#c.allow, name, p)));
        if (out !== undefined) entries.push([k, out]);
      }
      // An emptied container that no allow selector covers is structure only: it goes too.
      if (!allowed && entries.length === 0) return this.#notAllowed(Object.keys(v).length === 0);
      return Object.fromEntries(entries);
    }
    if (!allowed) { this.count("not_allowed"); return undefined; }
    return typeof v === "string" ? this.string(v) : v;
  }

  /** A container outside the allow list with nothing kept in it; an empty one counts as a field. */
  #notAllowed(wasEmpty: boolean): undefined {
    if (wasEmpty) this.count("not_allowed");
    return undefined;
  }

  /** Value patterns over the whole string, then truncation (so a cut never leaves half a match behind). */
  string(s: string): string {
    let out = s;
    if (this.#c.detectors.length) {
      const found: { span: Span; d: Detector }[] = [];
      for (const d of this.#c.detectors) for (const span of d.find(s)) found.push({ span, d });
      if (found.length) {
        found.sort((a, b) => a.span[0] - b.span[0] || b.span[1] - a.span[1]);
        let pos = 0;
        out = "";
        for (const { span: [start, end], d } of found) {
          if (start < pos) continue; // overlaps a match already replaced
          out += s.slice(pos, start);
          out += d.action === "hash" ? `[redacted:${d.name}:${redactionHash(s.slice(start, end), this.#salt)}]` : `[redacted:${d.name}]`;
          this.count(d.name);
          pos = end;
        }
        out += s.slice(pos);
      }
    }
    const max = this.#c.maxString;
    if (max !== null && out.length > max) {
      // Never split a surrogate pair: the stored line must stay valid UTF-8.
      const code = out.charCodeAt(max - 1);
      out = out.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
      this.count("truncated");
    }
    return out;
  }
}

/** The record with the profile applied, and what was done (null when nothing changed). */
export function redactRecord(record: Record<string, unknown>, profile: CompiledProfile, salt: Uint8Array | null): { record: Record<string, unknown>; counts: RedactionCounts | null } {
  const walk = new Walk(profile, salt);
  const out = walk.value(record, null, profile.allow === null);
  const counts = Object.keys(walk.counts).length ? walk.counts : null;
  return { record: (out ?? {}) as Record<string, unknown>, counts };
}

/** Whether `text` is a string anywhere in `value` (bounded by the record's own size). */
export function containsString(value: unknown, text: string): boolean {
  if (typeof value === "string") return value === text;
  if (typeof value !== "object" || value === null) return false;
  for (const x of Array.isArray(value) ? value : Object.values(value)) if (containsString(x, text)) return true;
  return false;
}
